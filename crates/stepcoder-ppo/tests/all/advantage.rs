use candle_core::{Device, Tensor};
use stepcoder_ppo::{AdvantageEstimator, AdvantageInput, Gae, GroupBaseline};

use crate::flat;

#[test]
fn gae_without_whitening_is_the_kernel_recurrence() {
    let dev = Device::Cpu;
    let r = Tensor::new(&[[0f32, 0., 1.]], &dev).unwrap();
    let v = Tensor::new(&[[0.5f32, 0.5, 0.5]], &dev).unwrap();
    let m = Tensor::ones((1, 3), candle_core::DType::F32, &dev).unwrap();
    let est = Gae {
        gamma: 1.0,
        lambda: 0.95,
        whiten: false,
    };
    assert!(est.needs_critic());
    let out = est
        .estimate(&AdvantageInput {
            token_rewards: &r,
            values: Some(&v),
            mask: &m,
            groups: &[0],
        })
        .unwrap();
    let a = flat(&out.advantages);
    assert!(
        (a[0] - 0.45125).abs() < 1e-6 && (a[2] - 0.5).abs() < 1e-6,
        "{a:?}"
    );
    let ret = flat(out.returns.as_ref().unwrap());
    assert!((ret[2] - 1.0).abs() < 1e-6);
    // No values: an error, not a silent zero critic.
    assert!(est
        .estimate(&AdvantageInput {
            token_rewards: &r,
            values: None,
            mask: &m,
            groups: &[0]
        })
        .is_err());
}

#[test]
fn whitened_gae_has_zero_mean_unit_std_on_the_mask() {
    let r = crate::tensor(&[4, 6], 1, -1.0, 1.0);
    let v = crate::tensor(&[4, 6], 2, -1.0, 1.0);
    let m = Tensor::from_vec(
        (0..24)
            .map(|i| if i % 6 < 4 { 1f32 } else { 0. })
            .collect::<Vec<_>>(),
        (4, 6),
        &Device::Cpu,
    )
    .unwrap();
    let out = Gae::default()
        .estimate(&AdvantageInput {
            token_rewards: &r,
            values: Some(&v),
            mask: &m,
            groups: &[0, 1, 2, 3],
        })
        .unwrap();
    let a = flat(&out.advantages);
    let mk = flat(&m);
    let xs: Vec<f64> = a
        .iter()
        .zip(&mk)
        .filter(|(_, m)| **m > 0.0)
        .map(|(a, _)| *a as f64)
        .collect();
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let std = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
    assert!(
        mean.abs() < 1e-5 && (std - 1.0).abs() < 1e-4,
        "mean {mean} std {std}"
    );
    assert!(a.iter().zip(&mk).all(|(a, m)| *m > 0.0 || *a == 0.0));
}

#[test]
fn group_baseline_normalizes_within_each_problem() {
    let dev = Device::Cpu;
    // rows 0-2: problem 7, returns 1, -1, -0.3 (row 2 is shorter); row 3 alone: problem 9.
    let r = Tensor::new(&[[0f32, 1.], [0., -1.], [-0.3, 0.], [0., 1.]], &dev).unwrap();
    let m = Tensor::new(&[[1f32, 1.], [1., 1.], [1., 0.], [1., 1.]], &dev).unwrap();
    let est = GroupBaseline {
        scale_by_std: true,
        eps: 0.0,
    };
    assert!(!est.needs_critic());
    let out = est
        .estimate(&AdvantageInput {
            token_rewards: &r,
            values: None,
            mask: &m,
            groups: &[7, 7, 7, 9],
        })
        .unwrap();
    assert!(out.returns.is_none());
    let a: Vec<Vec<f32>> = out.advantages.to_vec2().unwrap();
    let rets = [1.0f64, -1.0, -0.3];
    let mean = rets.iter().sum::<f64>() / 3.0;
    let std = (rets.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
    for (i, ret) in rets.iter().enumerate() {
        assert!((a[i][0] as f64 - (ret - mean) / std).abs() < 1e-5, "{a:?}");
    }
    assert_eq!(a[2][1], 0.0, "padding gets no advantage");
    assert_eq!(a[3], vec![0.0, 0.0], "a lone sample has no baseline signal");
    assert!(est
        .estimate(&AdvantageInput {
            token_rewards: &r,
            values: None,
            mask: &m,
            groups: &[0]
        })
        .is_err());
}
