//! The main job end to end on a tiny random model (no download): train writes metrics, plot,
//! checkpoints and evaluations; refuses to clobber a run; resumes; sft trains and saves;
//! eval reports pass@k and saves every sample.

use std::path::Path;
use std::process::Command;

fn stepcoder() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stepcoder"));
    c.env_remove("STEPCODER_MODEL");
    c
}

fn write_config(dir: &Path, steps: u64) -> std::path::PathBuf {
    let model = dir.join("model");
    stepcoder_model::testing::write_tiny_checkpoint(&model, 5).unwrap();
    let cfg = format!(
        r#"
[run]
output_dir = "{run}"
steps = {steps}
checkpoint_every = 1
[model]
path = "{model}"
[data]
limit = 6
[eval]
limit = 2
max_new_tokens = 8
batch_size = 2
[ppo]
problems_per_step = 2
samples_per_problem = 2
max_new_tokens = 8
minibatch_rows = 4
[sft]
batch_size = 8
epochs = 1
lr = 0.01
max_tokens = 4096
"#,
        run = dir.join("run").display(),
        model = model.display(),
    );
    let path = dir.join("c.toml");
    std::fs::write(&path, cfg).unwrap();
    path
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "command failed:\n{stderr}");
    stderr
}

fn metric_lines(run: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The step of each line of samples.jsonl (every rollout: prefix, completion, outcome).
fn sample_steps(run: &Path) -> Vec<u64> {
    std::fs::read_to_string(run.join("samples.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            for key in [
                "problem",
                "stage",
                "prefix",
                "completion",
                "outcome",
                "reward",
            ] {
                assert!(v.get(key).is_some(), "sample lacks `{key}`: {v}");
            }
            v["step"].as_u64().unwrap()
        })
        .collect()
}

#[test]
fn train_writes_its_outputs_refuses_to_clobber_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), 2);
    let run = dir.path().join("run");
    run_ok(stepcoder().args(["train", "--config"]).arg(&config));
    let lines = metric_lines(&run);
    assert_eq!(lines.len(), 2);
    for key in [
        "reward_mean",
        "pass_rate",
        "outcomes",
        "kl",
        "entropy",
        "clip_fraction",
        "value_loss",
        "policy_loss",
        "fgo_masked_fraction",
        "stage_histogram",
        "tokens_per_s",
        "time",
    ] {
        assert!(
            lines[1].get(key).is_some(),
            "metrics lack `{key}`: {}",
            lines[1]
        );
    }
    assert_eq!(
        lines[1]["outcomes"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        4
    );
    assert_eq!(sample_steps(&run), vec![0, 0, 0, 0, 1, 1, 1, 1]);
    assert!(std::fs::read(run.join("plot.png"))
        .unwrap()
        .starts_with(b"\x89PNG"));
    assert!(run.join("checkpoints/step-000002/trainer.json").exists());
    assert!(run.join("config.toml").exists());
    for when in ["before", "after"] {
        let v: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(run.join(format!("eval_{when}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(v["problems"], 2, "{when}");
    }

    let out = stepcoder()
        .args(["train", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already holds a run") && err.contains("--resume"),
        "{err}"
    );

    // A crash after step 2's samples were written (the last line cut short), before its
    // checkpoint: the resumed run redoes step 2 and its samples.
    let mut samples = std::fs::read_to_string(run.join("samples.jsonl")).unwrap();
    let last = samples
        .lines()
        .last()
        .unwrap()
        .replace(r#""step":1"#, r#""step":2"#);
    samples.push_str(&format!("{last}\n{}", &last[..last.len() / 2]));
    std::fs::write(run.join("samples.jsonl"), samples).unwrap();
    run_ok(
        stepcoder()
            .args(["train", "--steps", "3", "--resume"])
            .arg(&run),
    );
    assert_eq!(sample_steps(&run), vec![0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    let lines = metric_lines(&run);
    assert_eq!(
        lines
            .iter()
            .map(|l| l["step"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert!(run.join("checkpoints/step-000003/trainer.json").exists());
    assert!(
        !run.join("checkpoints/step-000001").exists(),
        "only the newest 2 are kept"
    );
}

#[test]
fn sft_lowers_the_loss_and_saves_a_loadable_model() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), 1);
    let run = dir.path().join("run");
    run_ok(
        stepcoder()
            .args(["sft", "--epochs", "3", "--config"])
            .arg(&config),
    );
    let losses: Vec<f64> = std::fs::read_to_string(run.join("sft_metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["loss"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert_eq!(losses.len(), 3, "6 problems in one batch, 3 epochs");
    // the same batch every update: a working optimizer lowers its loss
    assert!(losses[2] < losses[1] && losses[1] < losses[0], "{losses:?}");
    stepcoder_model::load_hf_dir(&run.join("model"), &Default::default()).unwrap();
}

/// Runs `stepcoder train` on a config with `text`; returns its stderr, asserting failure.
fn train_fails(cfg: &Path, text: &str) -> String {
    std::fs::write(cfg, text).unwrap();
    let out = stepcoder()
        .args(["train", "--config"])
        .arg(cfg)
        .output()
        .unwrap();
    assert!(!out.status.success(), "`{text}` was accepted");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_inputs_fail_early_and_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    let err = train_fails(&cfg, "[ppo]\nlearning_rate = 1.0\n");
    assert!(err.contains("learning_rate"), "{err}");

    let empty = dir.path().join("empty-model");
    std::fs::create_dir_all(&empty).unwrap();
    let run = dir.path().join("r");
    let err = train_fails(
        &cfg,
        &format!(
            "[model]\npath = \"{}\"\n[run]\noutput_dir = \"{}\"\n",
            empty.display(),
            run.display()
        ),
    );
    assert!(
        err.contains("config.json") || err.contains("weights"),
        "{err}"
    );

    let data = dir.path().join("weird.json");
    std::fs::write(&data, r#"[{"foo": 1}]"#).unwrap();
    let run = dir.path().join("r2");
    let err = train_fails(
        &cfg,
        &format!(
            "[data]\ntrain = \"{}\"\n[run]\noutput_dir = \"{}\"\n",
            data.display(),
            run.display()
        ),
    );
    assert!(
        err.contains("weird.json") && err.contains("--format"),
        "{err}"
    );
}

#[test]
fn eval_reports_pass_at_k_and_saves_each_sample() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    stepcoder_model::testing::write_tiny_checkpoint(&model, 5).unwrap();
    let saved = dir.path().join("eval.json");
    let out = stepcoder()
        .args(["eval", "--model"])
        .arg(&model)
        .args([
            "--data",
            "builtin",
            "--limit",
            "2",
            "--k",
            "1,2",
            "--max-new-tokens",
            "8",
        ])
        .args(["--batch-size", "4", "--json", "--output"])
        .arg(&saved)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "eval failed:\n{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["problems"], 2);
    // --samples defaults to the largest k.
    assert_eq!(summary["samples_per_problem"], 2);
    for k in ["pass@1", "pass@2"] {
        assert!(summary["pass_at_k"][k].is_number(), "{summary}");
    }
    let counted: u64 = summary["outcomes"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(counted, 4);
    assert!(
        summary.get("per_problem").is_none(),
        "the summary leaves samples out"
    );

    let full: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    for problem in full["per_problem"].as_array().unwrap() {
        let samples = problem["samples"].as_array().unwrap();
        assert_eq!(samples.len(), 2);
        for s in samples {
            assert!(s["program"].is_string());
            let passed = s["outcome"] == "passed";
            assert_eq!(s.get("failure").is_some(), !passed, "{s}");
        }
    }
}
