//! `--device`: a build without the `cuda` feature refuses `cuda` with a message that says how
//! to rebuild, before it loads or writes anything; a CUDA build without a GPU falls back to
//! the CPU with a warning; commands that run no model refuse the flag.

use std::process::{Command, Output};

fn stepcoder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stepcoder"))
        .args(args)
        .env("STEPCODER_MODEL", "/nonexistent/model-for-device-tests")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
#[cfg(not(feature = "cuda"))]
fn cuda_on_a_build_without_the_feature_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let run_s = run.to_str().unwrap();
    for args in [
        vec![
            "train",
            "--device",
            "cuda",
            "--preset",
            "quick",
            "--output-dir",
            run_s,
        ],
        vec![
            "--device",
            "cuda:1",
            "sft",
            "--preset",
            "quick",
            "--output-dir",
            run_s,
        ],
        vec![
            "eval", "--data", "builtin", "--limit", "1", "--device", "cuda",
        ],
        vec!["generate", "--prompt", "hi", "--device", "cuda"],
        vec!["bench", "logprob", "--device", "cuda", "--vocab", "10"],
        vec!["ablate", "--device", "cuda", "--output-dir", run_s],
    ] {
        let out = stepcoder(&args);
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} succeeded: {err}");
        assert!(
            err.contains("built without the `cuda` feature")
                && err.contains("--features cuda")
                && err.contains("Training on a GPU"),
            "{args:?}: {err}"
        );
        assert!(!run.exists(), "{args:?} wrote {run_s} before refusing");
    }
    // `[run] device` in a config file: the same answer.
    let cfg = dir.path().join("gpu.toml");
    std::fs::write(&cfg, "[run]\ndevice = \"cuda\"\n").unwrap();
    let out = stepcoder(&[
        "train",
        "--config",
        cfg.to_str().unwrap(),
        "--output-dir",
        run_s,
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("without the `cuda` feature"),
        "{}",
        stderr(&out)
    );
    assert!(!run.exists());
}

#[test]
#[cfg(feature = "cuda")]
fn cuda_build_runs_on_the_gpu_or_falls_back_with_a_warning() {
    let out = stepcoder(&[
        "bench", "logprob", "--device", "cuda", "--rows", "1", "--seq", "2", "--vocab", "10",
        "--iters", "1", "--json",
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    if report["device"] == "cpu" {
        assert!(err.contains("falling back to the CPU"), "{err}");
    } else {
        assert_eq!(report["device"], "cuda");
    }
}

#[test]
fn commands_without_a_model_refuse_the_flag() {
    let out = stepcoder(&["data", "stats", "builtin", "--device", "cpu"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("apply to train"), "{}", stderr(&out));
    let out = stepcoder(&["train", "--device", "tpu"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cpu, cuda or cuda:N"),
        "{}",
        stderr(&out)
    );
}
