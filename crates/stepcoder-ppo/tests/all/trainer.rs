use candle_core::Device;
use stepcoder_core::OutcomeClass;
use stepcoder_ppo::{
    AdvantageKind, Gae, GroupBaseline, LrSchedule, MetricsLog, OutcomeCounts, PpoConfig, PpoError,
    SampleLog, Trainer,
};

use crate::tiny;

pub fn config(advantage: AdvantageKind) -> PpoConfig {
    PpoConfig {
        problems_per_step: 2,
        samples_per_problem: 2,
        max_new_tokens: 10,
        temperature: 1.0,
        top_p: 1.0,
        ppo_epochs: 2,
        minibatch_rows: 2,
        grad_accum: 2,
        policy_lr: LrSchedule {
            peak_lr: 1e-3,
            warmup_steps: 2,
            total_steps: 8,
            decay: stepcoder_ppo::Decay::Cosine,
            min_lr_ratio: 0.1,
        },
        critic_lr: LrSchedule::constant(3e-3),
        seed: 7,
        advantage,
        loss: stepcoder_ppo::LossConfig {
            entropy_coef: 0.01,
            ..Default::default()
        },
        ..PpoConfig::default()
    }
}

fn trainer(cfg: PpoConfig) -> Trainer {
    let (model, tok) = tiny::model(1);
    let problems = tiny::problems();
    Trainer::new(
        cfg,
        model,
        tok,
        problems.clone(),
        tiny::components(&problems),
    )
    .unwrap()
}

/// Train k = 3 steps; separately train j = 1 step, checkpoint, and resume from disk in a new
/// process (this test binary re-run on `resume_child`), which trains 2 more steps. Every
/// logged quantity of steps 2 and 3 must agree within 1e-6.
#[test]
fn resume_in_a_new_process_reproduces_the_uninterrupted_run() {
    let cfg = config(AdvantageKind::Gae(Gae::default()));
    let dir = tempfile::tempdir().unwrap();
    let mut full = trainer(cfg.clone());
    let want: Vec<_> = (0..3).map(|_| full.step().unwrap()).collect();

    let mut first = trainer(cfg);
    first
        .log_metrics_to(&dir.path().join("metrics.jsonl"))
        .unwrap();
    first.step().unwrap();
    let ckpt = dir.path().join("ckpt");
    first.save_checkpoint(&ckpt).unwrap();
    drop(first);
    for f in [
        "policy/model.safetensors",
        "policy/tokenizer.json",
        "reference/model.safetensors",
        "value_head.safetensors",
        "optimizer.safetensors",
        "trainer.json",
    ] {
        assert!(ckpt.join(f).is_file(), "checkpoint lacks {f}");
    }

    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "trainer::resume_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &ckpt)
        .status()
        .unwrap();
    assert!(status.success(), "resume process failed: {status}");
    let got = MetricsLog::read(&ckpt.join("resumed.jsonl")).unwrap();
    assert_eq!(got.len(), 2);
    for (g, w) in got.iter().zip(&want[1..]) {
        assert_eq!(g.step, w.step);
        assert_eq!(g.outcomes, w.outcomes);
        assert_eq!(g.stage_histogram, w.stage_histogram);
        for (name, a, b) in [
            ("policy_loss", g.policy_loss, w.policy_loss),
            ("value_loss", g.value_loss, w.value_loss),
            ("kl", g.kl, w.kl),
            ("entropy", g.entropy, w.entropy),
            ("reward_mean", g.reward_mean, w.reward_mean),
            ("grad_norm", g.grad_norm, w.grad_norm),
            ("lr_policy", g.lr_policy, w.lr_policy),
        ] {
            assert!((a - b).abs() <= 1e-6, "step {}: {name} {a} vs {b}", g.step);
        }
    }
    // The policy moved away from the reference, so the comparison is not of constants.
    assert!(want[2].kl.abs() > 0.0 && want[2].policy_loss != want[1].policy_loss);
    assert_eq!(
        MetricsLog::read(&dir.path().join("metrics.jsonl"))
            .unwrap()
            .len(),
        1
    );
}

const CHILD_ENV: &str = "STEPCODER_PPO_RESUME_CHILD";

/// The second process of the resume test (does nothing when run on its own).
#[test]
fn resume_child() {
    let Some(ckpt) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let ckpt = std::path::PathBuf::from(ckpt);
    let problems = tiny::problems();
    let mut t = Trainer::resume(
        &ckpt,
        &Device::Cpu,
        problems.clone(),
        tiny::components(&problems),
    )
    .unwrap();
    assert_eq!(t.step_count(), 1);
    assert_eq!(
        t.history().len(),
        1,
        "metrics so far travel with the checkpoint"
    );
    t.log_metrics_to(&ckpt.join("resumed.jsonl")).unwrap();
    for _ in 0..2 {
        t.step().unwrap();
    }
}

#[test]
fn group_baseline_runs_without_critic_and_reports_every_metric() {
    let mut t = trainer(config(AdvantageKind::Group(GroupBaseline::default())));
    let dir = tempfile::tempdir().unwrap();
    let samples_path = dir.path().join("samples.jsonl");
    t.log_samples_to(&samples_path).unwrap();
    let m = t.step().unwrap();
    // Every rollout is logged, and the samples add up to the step's metrics.
    let samples = SampleLog::read(&samples_path).unwrap();
    assert_eq!(samples.len(), 4);
    let mut counts = OutcomeCounts::default();
    for (r, s) in samples.iter().enumerate() {
        assert_eq!((s.step, s.row), (0, r));
        assert!(!s.completion.is_empty() && !s.problem.is_empty());
        assert!((0.0..=1.0).contains(&s.fgo_kept));
        assert_eq!(s.failure.is_none(), s.outcome == OutcomeClass::Passed);
        // Problem b starts at stage 1 (a prefix); the policy writes the prefix's last line
        // break itself.
        assert_eq!(s.prefix.is_empty(), s.problem == "a", "{s:?}");
        assert!(!s.prefix.ends_with('\n'), "{s:?}");
        counts.add(s.outcome);
    }
    assert_eq!(counts, m.outcomes);
    let reward_mean = samples.iter().map(|s| s.reward as f64).sum::<f64>() / 4.0;
    assert!((reward_mean - m.reward_mean).abs() < 1e-6);
    let kept = samples.iter().map(|s| s.fgo_kept).sum::<f64>() / 4.0;
    assert!(kept <= 1.0 && (m.fgo_masked_fraction == 0.0) == (kept == 1.0));
    assert_eq!(m.value_loss, 0.0, "no critic");
    assert_eq!(m.outcomes.total(), 4);
    assert_eq!(m.stage_histogram.values().sum::<usize>(), 4);
    assert!(m.generated_tokens > 0 && m.tokens_per_s > 0.0);
    assert!((0.0..=1.0).contains(&m.fgo_masked_fraction));
    assert!(m.time.generation_s > 0.0 && m.time.training_s > 0.0);
    assert!(m.entropy > 0.0);
}

#[test]
fn non_finite_loss_skips_the_update_and_checkpoints_refuse_corrupt_weights() {
    let mut cfg = config(AdvantageKind::Gae(Gae::default()));
    cfg.loss.entropy_coef = f64::NAN;
    let mut t = trainer(cfg);
    let before: Vec<f32> = t.policy().weights()["model.norm.weight"].to_vec1().unwrap();
    let m = t.step().unwrap();
    assert_eq!(
        m.skipped_updates, 4,
        "2 epochs x 2 minibatches, all skipped"
    );
    let after: Vec<f32> = t.policy().weights()["model.norm.weight"].to_vec1().unwrap();
    assert_eq!(before, after, "no update from a NaN loss");

    // A NaN learning rate corrupts the weights; the checkpoint must refuse to be written.
    let mut cfg = config(AdvantageKind::Gae(Gae::default()));
    cfg.policy_lr = LrSchedule::constant(f64::NAN);
    let mut t = trainer(cfg);
    t.step().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = t.save_checkpoint(&dir.path().join("ckpt")).unwrap_err();
    assert!(matches!(err, PpoError::NonFinite { .. }), "{err}");
    assert!(!dir.path().join("ckpt").exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temporary left behind"
    );
}

/// The rule executor, recording which thread ran each batch and the programs in it.
#[derive(Default)]
struct Recording {
    calls: std::sync::Mutex<Vec<(std::thread::ThreadId, Vec<String>)>>,
}

impl stepcoder_core::Executor for Recording {
    fn execute(
        &self,
        program: &str,
        problem: &stepcoder_core::Problem,
    ) -> Result<stepcoder_core::ExecReport, stepcoder_core::CoreError> {
        tiny::RuleExecutor.execute(program, problem)
    }

    fn execute_batch(
        &self,
        jobs: &[(&str, &stepcoder_core::Problem)],
    ) -> Vec<Result<stepcoder_core::ExecReport, stepcoder_core::CoreError>> {
        self.calls.lock().unwrap().push((
            std::thread::current().id(),
            jobs.iter().map(|(p, _)| p.to_string()).collect(),
        ));
        jobs.iter().map(|(p, pr)| self.execute(p, pr)).collect()
    }
}

/// Running each row's program as soon as the row is sampled (on another thread) gives the
/// same steps as sampling everything first and executing after.
#[test]
fn overlapped_execution_matches_executing_after_generation() {
    let run = |overlap: bool| {
        let (model, tok) = tiny::model(1);
        let problems = tiny::problems();
        let recording = std::sync::Arc::new(Recording::default());
        let mut parts = tiny::components(&problems);
        parts.executor = recording.clone();
        let mut cfg = config(AdvantageKind::Gae(Gae::default()));
        cfg.max_new_tokens = 24;
        let mut t = Trainer::new(cfg, model, tok, problems, parts).unwrap();
        t.set_overlap_execution(overlap);
        let metrics: Vec<_> = (0..3)
            .map(|_| {
                let mut m = t.step().unwrap();
                assert!(m.time.execution_busy_s >= 0.0 && m.time.execution_s >= 0.0);
                (m.time, m.tokens_per_s) = (Default::default(), 0.0);
                m
            })
            .collect();
        let calls = std::mem::take(&mut *recording.calls.lock().unwrap());
        (metrics, calls)
    };
    let (after, after_calls) = run(false);
    let (overlapped, overlapped_calls) = run(true);
    assert_eq!(
        after, overlapped,
        "same rewards, losses, curriculum, every metric"
    );
    let me = std::thread::current().id();
    assert!(after_calls.iter().all(|(id, _)| *id == me));
    assert_eq!(after_calls.len(), 3, "one batch per step");
    assert!(
        overlapped_calls.iter().all(|(id, _)| *id != me),
        "programs run on the execution thread"
    );
    let programs = |calls: &[(std::thread::ThreadId, Vec<String>)]| {
        let mut all: Vec<String> = calls.iter().flat_map(|(_, p)| p.clone()).collect();
        all.sort();
        all
    };
    assert_eq!(programs(&after_calls), programs(&overlapped_calls));
    assert_eq!(programs(&after_calls).len(), 3 * 4, "each row once");
}

/// Mixed precision (the GPU default, bf16 there; f16 here because candle's CPU matmul has no
/// bf16): the step samples, scores and trains in the 16-bit dtype while the policy's master
/// weights and the optimizer stay f32, and the update moves the weights.
#[test]
fn mixed_precision_step_trains_the_f32_master_weights() {
    use candle_core::DType;
    let mut t = trainer(config(AdvantageKind::Gae(Gae::default())));
    t.set_compute_dtype(DType::F16).unwrap();
    assert_eq!(t.policy().dtype(), DType::F32);
    assert_eq!(t.policy().compute_dtype(), DType::F16);
    let before = t.policy().weights()["model.norm.weight"]
        .to_dtype(DType::F32)
        .unwrap()
        .copy()
        .unwrap();
    let m = t.step().unwrap();
    assert!(m.generated_tokens > 0);
    assert_eq!(m.skipped_updates, 0, "{m:?}");
    for v in [m.policy_loss, m.value_loss, m.kl, m.grad_norm] {
        assert!(v.is_finite(), "{m:?}");
    }
    let after = t.policy().weights()["model.norm.weight"].clone();
    assert_eq!(after.dtype(), DType::F32);
    let moved = (after - before)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!(moved > 0.0, "the update reached the f32 master weights");
}
