//! The optimizer as this crate re-exports it (`stepcoder_ppo::AdamW`, ...): its own tests are
//! in stepcoder-model (tests/all/optim.rs). Here: its errors reach PPO code as the
//! [`PpoError`] variants the trainer and its callers match on.

use candle_core::{Device, Tensor, Var};
use stepcoder_ppo::{clip_grad_norm, AdamW, AdamWConfig, Gradients, ParamGroup, PpoError};

use crate::tensor;

fn one_param_optimizer(len: usize) -> (Var, AdamW) {
    let w = Var::from_tensor(&tensor(&[len], 11, -1.0, 1.0)).unwrap();
    let opt = AdamW::new(
        vec![ParamGroup::new("p", vec![("w".into(), w.clone())])],
        AdamWConfig::default(),
    )
    .unwrap();
    (w, opt)
}

#[test]
fn optimizer_errors_convert_to_the_ppo_variants() {
    // A state saved for 5 weights does not load into 4: `PpoError::State`.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.safetensors");
    let (_w, saved) = one_param_optimizer(5);
    saved.save(&path).unwrap();
    let (_v, mut other) = one_param_optimizer(4);
    let load = |opt: &mut AdamW| -> stepcoder_ppo::Result<()> { Ok(opt.load(&path)?) };
    let err = load(&mut other).unwrap_err();
    assert!(matches!(err, PpoError::State { .. }), "{err}");

    // A NaN gradient: `PpoError::NonFinite` (the trainer skips the update on it).
    let mut g = Gradients::default();
    g.grads.insert(
        "p/w".into(),
        Tensor::new(&[f32::NAN, 1.0], &Device::Cpu).unwrap(),
    );
    let err = PpoError::from(clip_grad_norm(&mut g, 1.0).unwrap_err());
    assert!(matches!(err, PpoError::NonFinite { .. }), "{err}");

    // One learning rate for two groups, or a beta out of range: `PpoError::Config`.
    let (_x, mut opt) = one_param_optimizer(3);
    let err = PpoError::from(opt.step(&Gradients::default(), &[0.1, 0.2]).unwrap_err());
    assert!(matches!(err, PpoError::Config(_)), "{err}");
    let bad = AdamWConfig {
        beta1: 1.0,
        ..AdamWConfig::default()
    };
    let err = PpoError::from(AdamW::new(Vec::new(), bad).unwrap_err());
    assert!(matches!(err, PpoError::Config(_)), "{err}");
}
