//! `stepcoder fgo show` end to end: a real sandbox run, a real `tokenizer.json`.

use std::process::Command;

/// A word-level tokenizer in the Hugging Face format (whitespace is not tokenized).
const TOKENIZER: &str = r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,"pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,"model":{"type":"WordLevel","vocab":{"[UNK]":0,"x":1,"=":2,"int":3,"(":4,")":5,"input":6,"if":7,">":8,"0":9,":":10,"print":11,"'":12,"pos":13,"neg":14,"else":15},"unk_token":"[UNK]"}}"#;

#[test]
fn untaken_branch_is_masked() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("p.py");
    let tok = dir.path().join("tokenizer.json");
    let stdin = dir.path().join("in.txt");
    std::fs::write(
        &code,
        "x = int(input())\nif x > 0:\n    print('pos')\nelse:\n    print('neg')\n",
    )
    .unwrap();
    std::fs::write(&tok, TOKENIZER).unwrap();
    std::fs::write(&stdin, "5\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stepcoder"))
        .args(["fgo", "show", "--json", "--code"])
        .arg(&code)
        .arg("--tokenizer")
        .arg(&tok)
        .arg("--stdin")
        .arg(&stdin)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let find = |text: &str| {
        rows.iter()
            .find(|r| r["text"] == text)
            .unwrap_or_else(|| panic!("no token {text:?} in {rows:?}"))
    };
    assert_eq!(find("pos")["line"], 3);
    assert_eq!(find("pos")["mask"], 1.0);
    assert_eq!(find("neg")["line"], 5);
    assert_eq!(find("neg")["mask"], 0.0);
    assert_eq!(find("else")["mask"], 0.0); // the header of the untaken clause
    assert_eq!(find("input")["token"], 6);
    assert!(rows.iter().all(|r| r["mask"] == 0.0 || r["mask"] == 1.0));
}
