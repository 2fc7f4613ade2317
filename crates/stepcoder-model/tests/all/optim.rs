//! The optimizer: AdamW against candle-nn's, exact resume from saved state, the fused and
//! tensor-op updates, per-group learning rates, global-norm clipping, accumulation.

use stepcoder_model::candle::{DType, Device, Tensor, Var};
use stepcoder_model::candle_nn::{self, Optimizer};
use stepcoder_model::optim::{
    clip_grad_norm, AdamW, AdamWConfig, GradAccumulator, Gradients, ParamGroup,
};
use stepcoder_model::ModelError;

/// Deterministic pseudo-random values in `[lo, hi)`.
fn values(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            lo + (hi - lo) * ((s >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

fn tensor(shape: &[usize], seed: u64, lo: f32, hi: f32) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_vec(values(n, seed, lo, hi), shape, &Device::Cpu).unwrap()
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.to_dtype(DType::F32)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}

fn quadratic_loss(w: &Var, target: &Tensor) -> Tensor {
    (w.as_tensor() - target)
        .unwrap()
        .sqr()
        .unwrap()
        .sum_all()
        .unwrap()
}

#[test]
fn matches_candle_nn_adamw() {
    let init = tensor(&[3, 4], 1, -1.0, 1.0);
    let target = tensor(&[3, 4], 2, -1.0, 1.0);
    let cfg = AdamWConfig {
        beta1: 0.9,
        beta2: 0.99,
        eps: 1e-8,
        weight_decay: 0.01,
    };

    let ours = Var::from_tensor(&init).unwrap();
    let group = ParamGroup::new("policy", vec![("w".into(), ours.clone())]);
    let mut opt = AdamW::new(vec![group.clone()], cfg).unwrap();

    let theirs = Var::from_tensor(&init).unwrap();
    let mut reference = candle_nn::AdamW::new(
        vec![theirs.clone()],
        candle_nn::ParamsAdamW {
            lr: 0.05,
            beta1: 0.9,
            beta2: 0.99,
            eps: 1e-8,
            weight_decay: 0.01,
        },
    )
    .unwrap();

    for _ in 0..5 {
        let store = quadratic_loss(&ours, &target).backward().unwrap();
        let g = Gradients::from_store(&store, std::slice::from_ref(&group)).unwrap();
        opt.step(&g, &[0.05]).unwrap();
        reference
            .backward_step(&quadratic_loss(&theirs, &target))
            .unwrap();
    }
    let d = flat(ours.as_tensor())
        .iter()
        .zip(flat(theirs.as_tensor()))
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(d < 1e-6, "max diff {d}");
    assert_eq!(opt.step_count(), 5);
}

#[test]
fn saved_state_resumes_exactly_and_rejects_mismatches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("optim.safetensors");
    let init = tensor(&[5], 3, -1.0, 1.0);
    let target = tensor(&[5], 4, -1.0, 1.0);
    let run = |steps: std::ops::Range<u32>, w: &Var, opt: &mut AdamW| {
        let group = opt.groups().to_vec();
        for _ in steps {
            let store = quadratic_loss(w, &target).backward().unwrap();
            opt.step(&Gradients::from_store(&store, &group).unwrap(), &[0.1])
                .unwrap();
        }
    };
    // Uninterrupted: 6 steps.
    let w1 = Var::from_tensor(&init).unwrap();
    let mut o1 = AdamW::new(
        vec![ParamGroup::new("p", vec![("w".into(), w1.clone())])],
        AdamWConfig::default(),
    )
    .unwrap();
    run(0..6, &w1, &mut o1);
    // Interrupted after 3: save, rebuild from the saved weights and state, 3 more.
    let w2 = Var::from_tensor(&init).unwrap();
    let mut o2 = AdamW::new(
        vec![ParamGroup::new("p", vec![("w".into(), w2.clone())])],
        AdamWConfig::default(),
    )
    .unwrap();
    run(0..3, &w2, &mut o2);
    o2.save(&path).unwrap();
    let w3 = Var::from_tensor(w2.as_tensor()).unwrap();
    let mut o3 = AdamW::new(
        vec![ParamGroup::new("p", vec![("w".into(), w3.clone())])],
        AdamWConfig::default(),
    )
    .unwrap();
    o3.load(&path).unwrap();
    assert_eq!(o3.step_count(), 3);
    run(3..6, &w3, &mut o3);
    assert_eq!(
        flat(w1.as_tensor()),
        flat(w3.as_tensor()),
        "resume must be bit-exact"
    );

    // A differently named or shaped parameter does not load.
    let other = Var::from_tensor(&tensor(&[4], 5, 0.0, 1.0)).unwrap();
    let mut bad = AdamW::new(
        vec![ParamGroup::new("p", vec![("w".into(), other)])],
        AdamWConfig::default(),
    )
    .unwrap();
    let err = bad.load(&path).unwrap_err();
    assert!(matches!(err, ModelError::State { .. }), "{err}");
}

/// f32 CPU parameters take the fused in-place update, others (here f64) tensor ops: both
/// follow the same rule, and an f64 state saved by one loads into the other.
#[test]
fn fused_and_tensor_op_updates_agree_and_share_the_saved_format() {
    let dir = tempfile::tempdir().unwrap();
    let init = tensor(&[6, 7], 8, -1.0, 1.0);
    let target = tensor(&[6, 7], 9, -1.0, 1.0);
    let cfg = AdamWConfig {
        weight_decay: 0.1,
        ..AdamWConfig::default()
    };
    let build = |dtype: DType| {
        let w = Var::from_tensor(&init.to_dtype(dtype).unwrap()).unwrap();
        let opt = AdamW::new(
            vec![ParamGroup::new("p", vec![("w".into(), w.clone())])],
            cfg,
        )
        .unwrap();
        (w, opt)
    };
    let run = |w: &Var, opt: &mut AdamW, steps: usize| {
        let group = opt.groups().to_vec();
        for _ in 0..steps {
            let t = target.to_dtype(w.dtype()).unwrap();
            let loss = (w.as_tensor() - &t)
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap();
            let g = Gradients::from_store(&loss.backward().unwrap(), &group).unwrap();
            opt.step(&g, &[0.03]).unwrap();
        }
    };
    let (fused, mut fused_opt) = build(DType::F32);
    let (plain, mut plain_opt) = build(DType::F64);
    run(&fused, &mut fused_opt, 4);
    run(&plain, &mut plain_opt, 4);
    let as_f32 = |w: &Var| flat(&w.as_tensor().to_dtype(DType::F32).unwrap());
    let d = as_f32(&fused)
        .iter()
        .zip(as_f32(&plain))
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(d < 1e-6, "fused vs tensor ops differ by {d}");
    // Cross-load: the f64 run's state continues the f32 run's and vice versa.
    let path = dir.path().join("o.safetensors");
    fused_opt.save(&path).unwrap();
    plain_opt.load(&path).unwrap();
    plain_opt.save(&path).unwrap();
    fused_opt.load(&path).unwrap();
    assert_eq!(plain_opt.step_count(), 4);
    run(&fused, &mut fused_opt, 2);
    run(&plain, &mut plain_opt, 2);
    let d = as_f32(&fused)
        .iter()
        .zip(as_f32(&plain))
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(
        d < 1e-5,
        "after reloading, fused vs tensor ops differ by {d}"
    );
}

#[test]
fn separate_learning_rates_per_group() {
    let a = Var::from_tensor(&Tensor::new(&[1f32], &Device::Cpu).unwrap()).unwrap();
    let b = Var::from_tensor(&Tensor::new(&[1f32], &Device::Cpu).unwrap()).unwrap();
    let groups = vec![
        ParamGroup::new("policy", vec![("a".into(), a.clone())]),
        ParamGroup::new("critic", vec![("b".into(), b.clone())]),
    ];
    let mut opt = AdamW::new(groups.clone(), AdamWConfig::default()).unwrap();
    let loss = (a.as_tensor() + b.as_tensor()).unwrap().sum_all().unwrap();
    let g = Gradients::from_store(&loss.backward().unwrap(), &groups).unwrap();
    opt.step(&g, &[0.01, 0.1]).unwrap();
    // Adam's first step moves each parameter by its lr (unit gradient, bias-corrected).
    assert!((flat(a.as_tensor())[0] - 0.99).abs() < 1e-6);
    assert!((flat(b.as_tensor())[0] - 0.9).abs() < 1e-6);
    assert!(opt.step(&g, &[0.01]).is_err());
}

#[test]
fn global_norm_clipping_and_non_finite_gradients() {
    let mut g = Gradients::default();
    g.grads.insert(
        "p/a".into(),
        Tensor::new(&[3f32, 0.], &Device::Cpu).unwrap(),
    );
    g.grads
        .insert("p/b".into(), Tensor::new(&[4f32], &Device::Cpu).unwrap());
    let norm = clip_grad_norm(&mut g, 1.0).unwrap();
    assert!((norm - 5.0).abs() < 1e-6);
    assert!((g.global_norm().unwrap() - 1.0).abs() < 1e-5);
    // Below the threshold nothing changes.
    let before = flat(&g.grads["p/a"]);
    clip_grad_norm(&mut g, 10.0).unwrap();
    assert_eq!(before, flat(&g.grads["p/a"]));

    g.grads.insert(
        "p/c".into(),
        Tensor::new(&[f32::NAN], &Device::Cpu).unwrap(),
    );
    assert!(matches!(
        clip_grad_norm(&mut g, 1.0),
        Err(ModelError::NonFinite { .. })
    ));
    assert!(g.ensure_finite().unwrap_err().to_string().contains("p/c"));
}

#[test]
fn accumulation_averages_micro_batches() {
    let w = Var::from_tensor(&tensor(&[4], 6, -1.0, 1.0)).unwrap();
    let group = vec![ParamGroup::new("p", vec![("w".into(), w.clone())])];
    let x1 = tensor(&[4], 7, -1.0, 1.0);
    let x2 = tensor(&[4], 8, -1.0, 1.0);
    let loss = |x: &Tensor| {
        (w.as_tensor() * x)
            .unwrap()
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
    };
    let mut acc = GradAccumulator::new();
    for x in [&x1, &x2] {
        acc.add(Gradients::from_store(&loss(x).backward().unwrap(), &group).unwrap())
            .unwrap();
    }
    assert_eq!(acc.count(), 2);
    let got = acc.mean().unwrap();
    assert_eq!(acc.count(), 0);
    let whole = ((loss(&x1) + loss(&x2)).unwrap() * 0.5).unwrap();
    let want = Gradients::from_store(&whole.backward().unwrap(), &group).unwrap();
    let (a, b) = (flat(&got.grads["p/w"]), flat(&want.grads["p/w"]));
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-6, "{a:?} vs {b:?}");
    }
}
