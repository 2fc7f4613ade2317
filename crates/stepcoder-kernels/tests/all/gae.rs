use candle_core::{Device, Tensor};
use stepcoder_kernels::{gae, gae_returns};

use crate::{max_diff, tensor};

/// Plain candle, vectorized over rows, one time step at a time from the end.
fn reference(r: &Tensor, v: &Tensor, m: &Tensor, gamma: f64, lambda: f64) -> Tensor {
    let (b, t) = r.dims2().unwrap();
    let mut next_adv = Tensor::zeros(b, candle_core::DType::F32, &Device::Cpu).unwrap();
    let mut next_val = next_adv.clone();
    let mut next_mask = next_adv.clone();
    let mut cols = Vec::with_capacity(t);
    for k in (0..t).rev() {
        let rk = r.narrow(1, k, 1).unwrap().squeeze(1).unwrap();
        let vk = v.narrow(1, k, 1).unwrap().squeeze(1).unwrap();
        let mk = m.narrow(1, k, 1).unwrap().squeeze(1).unwrap();
        let delta =
            ((rk + ((&next_val * &next_mask).unwrap() * gamma).unwrap()).unwrap() - &vk).unwrap();
        let adv =
            (delta + ((&next_adv * &next_mask).unwrap() * (gamma * lambda)).unwrap()).unwrap();
        let adv = (adv * &mk).unwrap();
        next_adv = adv.clone();
        next_val = vk;
        next_mask = mk;
        cols.push(adv);
    }
    cols.reverse();
    Tensor::stack(&cols, 1).unwrap()
}

/// Response masks with different lengths per row (padding at the end), one empty row.
fn mask(b: usize, t: usize) -> Tensor {
    let lens = [t, t / 2, 1, 0, t - 3];
    let v: Vec<f32> = (0..b)
        .flat_map(|i| (0..t).map(move |k| if k < lens[i % lens.len()] { 1.0 } else { 0.0 }))
        .collect();
    Tensor::from_vec(v, (b, t), &Device::Cpu).unwrap()
}

#[test]
fn matches_plain_tensor_recurrence() {
    let (b, t) = (5, 12);
    let m = mask(b, t);
    let r = (tensor(&[b, t], 21, -1.0, 1.0) * &m).unwrap();
    let v = tensor(&[b, t], 22, -1.0, 1.0);
    for (gamma, lambda) in [(1.0, 0.95), (0.99, 1.0), (0.9, 0.0)] {
        let got = gae(&r, &v, &m, gamma, lambda).unwrap();
        let want = reference(&r, &v, &m, gamma as f64, lambda as f64);
        let d = max_diff(&got, &want);
        assert!(d < 1e-5, "gamma {gamma} lambda {lambda}: max diff {d}");
    }
}

#[test]
fn hand_computed_terminal_reward() {
    // Reward 1 on the last token, values 0.5, gamma 1, lambda 0.95:
    // A2 = 1 - 0.5 = 0.5, A1 = 0 + 0.5 - 0.5 + 0.95 * 0.5 = 0.475, A0 = 0.95 * 0.475.
    let dev = Device::Cpu;
    let r = Tensor::new(&[[0f32, 0., 1., 0.]], &dev).unwrap();
    let v = Tensor::new(&[[0.5f32, 0.5, 0.5, 9.]], &dev).unwrap();
    let m = Tensor::new(&[[1f32, 1., 1., 0.]], &dev).unwrap();
    let (adv, ret) = gae_returns(&r, &v, &m, 1.0, 0.95).unwrap();
    let adv: Vec<Vec<f32>> = adv.to_vec2().unwrap();
    let want = [0.45125f32, 0.475, 0.5, 0.0];
    for (g, w) in adv[0].iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{:?}", adv[0]);
    }
    let ret: Vec<Vec<f32>> = ret.to_vec2().unwrap();
    assert!(
        (ret[0][0] - 0.95125).abs() < 1e-6 && ret[0][3] == 0.0,
        "{:?}",
        ret[0]
    );
}

#[test]
fn rejects_bad_inputs() {
    let r = tensor(&[2, 3], 1, 0.0, 1.0);
    let m = r.ones_like().unwrap();
    assert!(gae(&r, &r, &m, 1.5, 0.9).is_err());
    assert!(gae(&r.flatten_all().unwrap(), &r, &m, 1.0, 0.9).is_err());
    assert!(gae(&r, &r.narrow(1, 0, 2).unwrap(), &m, 1.0, 0.9).is_err());
}
