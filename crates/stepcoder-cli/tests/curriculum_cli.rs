//! `stepcoder curriculum show|simulate` end to end on the shared APPS+ validation file.

use std::path::PathBuf;
use std::process::Command;

fn valid_350() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/apps_plus/valid_350.json"
    ));
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

fn run(args: &[&str], path: &PathBuf) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_stepcoder"))
        .args(["curriculum"])
        .args(&args[..1])
        .arg(path)
        .args(&args[1..])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// ceil(sqrt(e)) computed independently of the crate (floats are exact at these sizes).
fn stages_for(e: usize) -> usize {
    ((e as f64).sqrt().ceil() as usize).max(1)
}

#[test]
fn show_lists_every_problem_with_its_stages() {
    let Some(path) = valid_350() else { return };
    let list = run(&["show", "--json"], &path);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 350);
    for p in list {
        let e = p["cut_lines"].as_array().unwrap().len();
        let stages = p["stages"].as_array().unwrap();
        assert_eq!(stages.len(), stages_for(e), "{}", p["id"]);
        assert!(stages[0]["cut_line"].is_null());
        assert_eq!(stages[0]["prefix_lines"], 0);
        for (i, s) in stages.iter().enumerate().skip(1) {
            assert_eq!(s["stage"], i);
            let line = s["cut_line"].as_u64().unwrap();
            assert_eq!(s["prefix_lines"].as_u64().unwrap(), line - 1);
        }
    }
    // valid_350/0: E = 21, 5 stages, stride 5: cut numbers 5, 10, 15, 20.
    let one = run(&["show", "--problem", "valid_350/0", "--json"], &path);
    let one = &one.as_array().unwrap()[0];
    let cuts: Vec<u64> = one["cut_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let lines: Vec<Option<u64>> = one["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cut_line"].as_u64())
        .collect();
    assert_eq!(
        lines,
        vec![
            None,
            Some(cuts[5]),
            Some(cuts[10]),
            Some(cuts[15]),
            Some(cuts[20])
        ]
    );
}

#[test]
fn simulate_moves_problems_toward_stage_0_and_is_seeded() {
    let Some(path) = valid_350() else { return };
    let args = [
        "simulate",
        "--pass-prob",
        "0.5",
        "--steps",
        "20000",
        "--seed",
        "3",
        "--json",
    ];
    let a = run(&args, &path);
    let snaps = a.as_array().unwrap();
    // Step 0 and every N/10 steps.
    assert_eq!(snaps.len(), 11);
    let at_0 = |s: &serde_json::Value| s["histogram"][0].as_u64().unwrap();
    let total: u64 = snaps[0]["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 350);
    assert!(at_0(&snaps[10]) > at_0(&snaps[0]));
    assert_eq!(run(&args, &path), a);
}
