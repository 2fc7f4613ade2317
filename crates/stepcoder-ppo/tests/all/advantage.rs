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
            outcome_rewards: &[1.0],
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
            outcome_rewards: &[1.0],
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
            outcome_rewards: &[0.0; 4],
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
            outcome_rewards: &[1.0, -1.0, -0.3, 1.0],
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
            outcome_rewards: &[1.0, -1.0, -0.3, 1.0],
            values: None,
            mask: &m,
            groups: &[0]
        })
        .is_err());
}

/// Why the `laptop` preset uses the group baseline: with a critic that has not learnt yet
/// (the same value everywhere) and a batch in which every rollout failed, whitened GAE
/// credits a completion's early tokens positively and its last tokens (where the program
/// ends: the closing fence) most negatively, so PPO learns to stop later. The group baseline
/// gives every token of a row the same advantage, so where a rollout ends carries no sign of
/// its own.
#[test]
fn whitened_gae_with_a_flat_critic_penalizes_ending_a_failed_batch() {
    let dev = Device::Cpu;
    // Two problems x 2 rollouts of 32 tokens (the preset's completions run 50-150); every
    // outcome a failure (wrong answer -0.3 or runtime error -0.6), on the last token.
    let t = 32;
    let outcome = [-0.3f32, -0.6, -0.3, -0.6];
    let mut r = vec![0f32; 4 * t];
    for (row, o) in outcome.iter().enumerate() {
        r[row * t + t - 1] = *o;
    }
    let r = Tensor::from_vec(r, (4, t), &dev).unwrap();
    let v = Tensor::zeros((4, t), candle_core::DType::F32, &dev).unwrap();
    let m = Tensor::ones((4, t), candle_core::DType::F32, &dev).unwrap();
    let input = AdvantageInput {
        token_rewards: &r,
        outcome_rewards: &outcome,
        values: Some(&v),
        mask: &m,
        groups: &[0, 0, 1, 1],
    };
    let gae: Vec<Vec<f32>> = Gae::default()
        .estimate(&input)
        .unwrap()
        .advantages
        .to_vec2()
        .unwrap();
    for row in &gae {
        assert!(
            row[0] > 0.0,
            "a failed rollout's first token is reinforced: {row:?}"
        );
        assert!(row[t - 1] < 0.0 && row[t - 1] < row[0], "{row:?}");
    }
    let group: Vec<Vec<f32>> = GroupBaseline::default()
        .estimate(&input)
        .unwrap()
        .advantages
        .to_vec2()
        .unwrap();
    for (row, o) in group.iter().zip(outcome) {
        assert!(
            row.iter().all(|a| *a == row[0]),
            "one advantage per row: {row:?}"
        );
        // The worse outcome of each problem is pushed down, the better one up.
        assert_eq!(row[0] > 0.0, o == -0.3, "{row:?}");
    }
}

/// The KL penalty stays in the reward's units: in a group whose outcomes agree it moves the
/// advantages only by the rows' KL differences, not by those differences divided by a
/// near-zero spread; in a group whose outcomes differ, only the outcomes are scaled.
#[test]
fn group_baseline_scales_outcomes_but_not_the_kl_penalty() {
    let dev = Device::Cpu;
    // Problem 0: both wrong answers (-0.3), KL returns -0.01 and -0.03 (over two tokens).
    // Problem 1: a pass and a compile error, KL returns -0.02 and 0.
    let r = Tensor::new(
        &[
            [-0.005f32, -0.005 - 0.3],
            [-0.01, -0.02 - 0.3],
            [-0.01, -0.01 + 1.0],
            [0., -1.0],
        ],
        &dev,
    )
    .unwrap();
    let m = Tensor::ones((4, 2), candle_core::DType::F32, &dev).unwrap();
    let out = GroupBaseline::default()
        .estimate(&AdvantageInput {
            token_rewards: &r,
            outcome_rewards: &[-0.3, -0.3, 1.0, -1.0],
            values: None,
            mask: &m,
            groups: &[0, 0, 1, 1],
        })
        .unwrap();
    let a: Vec<Vec<f32>> = out.advantages.to_vec2().unwrap();
    let eps = GroupBaseline::default().eps as f64;
    let expected = [
        0.01,
        -0.01,
        1.0 / (1.0 + eps) - 0.01,
        -1.0 / (1.0 + eps) + 0.01,
    ];
    for (row, e) in a.iter().zip(expected) {
        assert!((row[0] as f64 - e).abs() < 1e-5, "{a:?} vs {expected:?}");
        assert_eq!(row[0], row[1], "one advantage per row");
    }
}
