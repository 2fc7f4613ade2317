use std::collections::HashMap;

use candle_core::{Device, Tensor, Var};
use stepcoder_core::OutcomeClass;
use stepcoder_ppo::atomic::{save_tensors_atomic, write_atomic};
use stepcoder_ppo::{
    masked_entropy, policy_stats, value_loss, Decay, KlController, LrSchedule, MetricsLog,
    OutcomeCounts, PpoError, RewardNormalizer, RunningMoments, StepMetrics,
};

use crate::flat;

#[test]
fn schedules_warm_up_then_decay() {
    let lin = LrSchedule {
        peak_lr: 1.0,
        warmup_steps: 4,
        total_steps: 14,
        decay: Decay::Linear,
        min_lr_ratio: 0.1,
    };
    let got: Vec<f64> = [0, 3, 4, 9, 14, 100].iter().map(|&s| lin.lr(s)).collect();
    let want = [0.25, 1.0, 1.0, 0.55, 0.1, 0.1];
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{got:?}");
    }
    let cos = LrSchedule {
        decay: Decay::Cosine,
        min_lr_ratio: 0.0,
        ..lin
    };
    assert!((cos.lr(9) - 0.5).abs() < 1e-12);
    assert!(cos.lr(14).abs() < 1e-12);
    assert_eq!(LrSchedule::constant(3e-4).lr(1_000_000), 3e-4);
}

#[test]
fn kl_controllers() {
    let mut fixed = KlController::Fixed { beta: 0.05 };
    fixed.update(10.0, 64);
    assert_eq!(fixed.beta(), 0.05);
    let mut ad = KlController::Adaptive {
        beta: 0.1,
        target: 6.0,
        horizon: 10_000.0,
    };
    ad.update(12.0, 100); // error clipped to +0.2
    assert!((ad.beta() - 0.1 * (1.0 + 0.2 * 100.0 / 10_000.0)).abs() < 1e-12);
    ad.update(3.0, 100); // error -0.5 clipped to -0.2
    assert!(ad.beta() < 0.1 * 1.002);
    let json = serde_json::to_string(&ad).unwrap();
    let back: KlController = serde_json::from_str(&json).unwrap();
    assert!((back.beta() - ad.beta()).abs() < 1e-15);
}

#[test]
fn running_moments_match_a_single_pass() {
    let xs: Vec<f32> = crate::values(100, 9, -3.0, 5.0);
    let mut m = RunningMoments::default();
    for chunk in xs.chunks(7) {
        m.update(chunk);
    }
    let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / 100.0;
    let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / 100.0;
    assert!((m.mean - mean).abs() < 1e-9 && (m.std() - var.sqrt()).abs() < 1e-9);

    let mut n = RewardNormalizer {
        enabled: true,
        center: true,
        clip: Some(1.5),
        moments: RunningMoments::default(),
    };
    let out = n.normalize(&[1.0, -1.0, 1.0, -1.0, 100.0]);
    assert!(out.iter().all(|x| x.abs() <= 1.5));
    assert_eq!(out[4], 1.5);
    let off = RewardNormalizer {
        enabled: false,
        ..RewardNormalizer::default()
    }
    .normalize(&[2.0]);
    assert_eq!(off, vec![2.0]);
}

#[test]
fn value_loss_is_clipped_and_masked() {
    let dev = Device::Cpu;
    let v = Var::from_tensor(&Tensor::new(&[[1.0f32, 0.0, 5.0]], &dev).unwrap()).unwrap();
    let old = Tensor::new(&[[0.0f32, 0.0, 0.0]], &dev).unwrap();
    let ret = Tensor::new(&[[2.0f32, 1.0, 0.0]], &dev).unwrap();
    let mask = Tensor::new(&[[1.0f32, 1.0, 0.0]], &dev).unwrap();
    // token 0: unclipped (1-2)^2 = 1, clipped (0.2-2)^2 = 3.24 -> max 3.24 (no grad to v)
    // token 1: both (0-1)^2 = 1; token 2 masked out.
    let l = value_loss(v.as_tensor(), &old, &ret, &mask, 0.2).unwrap();
    assert!((l.to_scalar::<f32>().unwrap() - 0.5 * (3.24 + 1.0) / 2.0).abs() < 1e-5);
    let g = flat(l.backward().unwrap().get(&v).unwrap());
    assert_eq!(g[0], 0.0, "the clipped branch carries no gradient to v");
    assert_eq!(g[2], 0.0, "masked token");
    assert!(g[1] != 0.0);
}

#[test]
fn entropy_and_policy_stats() {
    // Uniform over 4 tokens: entropy ln 4.
    let logits = Tensor::zeros((1, 2, 4), candle_core::DType::F32, &Device::Cpu).unwrap();
    let mask = Tensor::new(&[[1.0f32, 0.0]], &Device::Cpu).unwrap();
    let e = masked_entropy(&logits, &mask)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!((e - 4f32.ln()).abs() < 1e-6);

    let old = Tensor::new(&[0f32, 0., 0., 0.], &Device::Cpu).unwrap();
    let new = Tensor::new(&[0f32, 0.5, -0.5, 0.1], &Device::Cpu).unwrap();
    let m = Tensor::new(&[1f32, 1., 1., 0.], &Device::Cpu).unwrap();
    let s = policy_stats(&new, &old, &m, 0.2).unwrap();
    assert!((s.clip_fraction - 2.0 / 3.0).abs() < 1e-9);
    assert!(s.approx_kl > 0.0);
}

#[test]
fn atomic_writes_refuse_non_finite_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.safetensors");
    let mut t = HashMap::new();
    t.insert(
        "a".to_string(),
        Tensor::new(&[1f32, 2.], &Device::Cpu).unwrap(),
    );
    save_tensors_atomic(&t, &path).unwrap();
    let before = std::fs::read(&path).unwrap();
    t.insert(
        "b".to_string(),
        Tensor::new(&[f32::INFINITY], &Device::Cpu).unwrap(),
    );
    let err = save_tensors_atomic(&t, &path).unwrap_err();
    assert!(matches!(err, PpoError::NonFinite { .. }), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the good file is untouched"
    );
    write_atomic(&dir.path().join("x.json"), b"{}").unwrap();
    // Only the two real files: no temporary left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn metrics_lines_carry_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.jsonl");
    let mut m = StepMetrics {
        step: 3,
        pass_rate: 0.25,
        ..Default::default()
    };
    let mut counts = OutcomeCounts::default();
    for c in [
        OutcomeClass::Passed,
        OutcomeClass::CompileError,
        OutcomeClass::WrongAnswer,
        OutcomeClass::RuntimeError,
    ] {
        counts.add(c);
    }
    m.outcomes = counts;
    m.stage_histogram.insert(2, 5);
    let mut log = MetricsLog::append(&path).unwrap();
    log.write(&m).unwrap();
    log.write(&StepMetrics {
        step: 4,
        ..m.clone()
    })
    .unwrap();
    let back = MetricsLog::read(&path).unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(back[0], m);
    let line: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
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
        assert!(line.get(key).is_some(), "missing {key}");
    }
    for key in ["compile_error", "runtime_error", "wrong_answer", "passed"] {
        assert_eq!(line["outcomes"][key], 1);
    }
    for key in ["generation_s", "execution_s", "training_s"] {
        assert!(line["time"].get(key).is_some());
    }
}
