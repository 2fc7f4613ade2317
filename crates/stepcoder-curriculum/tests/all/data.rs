//! Access to the shared real data; tests skip with a message when it is absent.

use std::path::PathBuf;

pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/"
    ))
    .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

/// valid_350.json as raw JSON records (independent of the loaders).
pub fn valid_350_raw() -> Option<Vec<serde_json::Value>> {
    let p = shared("apps_plus/valid_350.json")?;
    let text = std::fs::read_to_string(&p).expect("read valid_350.json");
    Some(serde_json::from_str(&text).expect("valid_350.json is a JSON list"))
}
