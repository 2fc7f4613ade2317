//! tree-sitter extraction against the published APPS+ scope lists.

use stepcoder_core::Scope;
use stepcoder_curriculum::extract_scopes;

fn published(record: &serde_json::Value) -> Vec<Scope> {
    record["scope"]
        .as_array()
        .expect("scope is a list")
        .iter()
        .map(|t| Scope {
            kind: t[0].as_str().expect("kind").to_string(),
            start_line: t[1].as_u64().expect("start") as u32,
            end_line: t[2].as_u64().expect("end") as u32,
        })
        .collect()
}

#[test]
fn extraction_matches_published_scope_on_valid_350() {
    let Some(records) = crate::data::valid_350_raw() else {
        return;
    };
    assert_eq!(records.len(), 350);
    let mut identical = 0;
    let mut diffs = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let src = r["canonical_solution"]
            .as_str()
            .expect("canonical_solution");
        let ours = extract_scopes(src).unwrap_or_else(|e| panic!("record {i}: {e}"));
        let theirs = published(r);
        if ours == theirs {
            identical += 1;
        } else {
            let only_ours: Vec<_> = ours.iter().filter(|s| !theirs.contains(s)).collect();
            let only_theirs: Vec<_> = theirs.iter().filter(|s| !ours.contains(s)).collect();
            diffs.push(format!(
                "record {i}: ours only {only_ours:?}; published only {only_theirs:?}\n ours {:?}\n pub  {:?}",
                ours.iter().map(|s| (&s.kind[..3], s.start_line, s.end_line)).collect::<Vec<_>>(),
                theirs.iter().map(|s| (&s.kind[..3], s.start_line, s.end_line)).collect::<Vec<_>>()
            ));
        }
    }
    eprintln!("{identical} of {} identical", records.len());
    for d in &diffs {
        eprintln!("{d}");
    }
    // The crate docs explain every kind of difference; at least 95% must be identical.
    assert!(
        identical * 100 >= records.len() * 95,
        "{identical} identical"
    );
}

#[test]
fn extraction_matches_published_scope_on_train_16() {
    let Some(path) = crate::data::shared("apps_plus/train_16.json") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("read train_16.json");
    let records: Vec<serde_json::Value> = serde_json::from_str(&text).expect("a JSON list");
    for (i, r) in records.iter().enumerate() {
        let src = r["canonical_solution"]
            .as_str()
            .expect("canonical_solution");
        let ours = extract_scopes(src).unwrap_or_else(|e| panic!("record {i}: {e}"));
        assert_eq!(ours, published(r), "record {i}");
    }
}
