use sha2::{Digest, Sha256};
use stepcoder_sandbox::guest;

#[test]
fn shipped_guest_was_built_from_the_sources_as_they_are() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("guest");
    let now = guest::guest_sources_sha256(&dir).unwrap();
    assert_eq!(
        Some(now.as_str()),
        guest::manifest_value("sources"),
        "guest sources changed since assets/guest.wasm.zst was built: run guest/build.sh"
    );
}

#[test]
fn shipped_guest_matches_its_recorded_hash() {
    let wasm = guest::guest_wasm().unwrap();
    let sha: String = Sha256::digest(&wasm)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(Some(sha.as_str()), guest::manifest_value("wasm"));
    assert_eq!(guest::manifest_value("componentize-py"), Some("0.25.1"));
}

#[test]
fn compressed_guest_fits_a_crate() {
    assert!(guest::GUEST_WASM_ZST.len() < 8 << 20);
}
