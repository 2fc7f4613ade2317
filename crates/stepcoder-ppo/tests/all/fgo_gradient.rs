//! On a fixed batch, the FGO mask changes the policy gradient exactly as specified: tokens
//! with mask 0 contribute nothing, and the rest contribute as in
//! `L = -(1/sum m) * sum m * min(r A, clip(r) A)`.
//!
//! The policy here is a linear softmax policy (`logits = features @ W`) so the gradient
//! reaches shared weights through the fused log-prob kernel, as in the real model.

use candle_core::{Device, Tensor, Var, D};
use stepcoder_kernels::token_log_probs;
use stepcoder_ppo::policy_loss;

use crate::{flat, tensor};

const B: usize = 3;
const T: usize = 5;
const H: usize = 6;
const V: usize = 7;

struct Batch {
    x: Tensor,
    ids: Tensor,
    old: Tensor,
    adv: Tensor,
    response: Tensor,
    fgo: Tensor,
}

fn batch(w0: &Tensor) -> Batch {
    let x = tensor(&[B, T, H], 1, -1.0, 1.0);
    let ids: Vec<u32> = crate::values(B * T, 2, 0.0, V as f32)
        .iter()
        .map(|v| (*v as u32).min(V as u32 - 1))
        .collect();
    let ids = Tensor::from_vec(ids, (B, T), &Device::Cpu).unwrap();
    let logits = x.broadcast_matmul(w0).unwrap();
    // old log-probs: the current ones, shifted so some ratios clip and some do not.
    let old = (token_log_probs(&logits, &ids).unwrap() + tensor(&[B, T], 3, -0.4, 0.4)).unwrap();
    let adv = tensor(&[B, T], 4, -1.0, 1.0);
    // Row 2 has two padding tokens; FGO drops tokens on unexecuted lines.
    let response = Tensor::new(
        &[
            [1f32, 1., 1., 1., 1.],
            [1., 1., 1., 1., 1.],
            [1., 1., 1., 0., 0.],
        ],
        &Device::Cpu,
    )
    .unwrap();
    let fgo = Tensor::new(
        &[
            [1f32, 0., 1., 1., 0.],
            [0., 0., 1., 1., 1.],
            [1., 0., 1., 1., 1.],
        ],
        &Device::Cpu,
    )
    .unwrap();
    Batch {
        x,
        ids,
        old: old.detach(),
        adv,
        response,
        fgo,
    }
}

/// The gradient of the PPO policy loss w.r.t. `W` with the given token mask.
fn grad(w: &Var, b: &Batch, x: &Tensor, mask: &Tensor) -> Vec<f32> {
    let logits = x.broadcast_matmul(w.as_tensor()).unwrap();
    let logp = token_log_probs(&logits, &b.ids).unwrap();
    let loss = policy_loss(&logp, &b.old, &b.adv, mask, 0.2).unwrap();
    flat(loss.backward().unwrap().get(w).unwrap())
}

#[test]
fn masked_tokens_contribute_zero_and_the_rest_follow_the_formula() {
    let w0 = tensor(&[H, V], 5, -0.5, 0.5);
    let w = Var::from_tensor(&w0).unwrap();
    let b = batch(&w0);
    let mask = (&b.response * &b.fgo).unwrap();
    let got = grad(&w, &b, &b.x, &mask);

    // 1. The same gradient from an explicit sum over the kept tokens only, with plain ops.
    let keep: Vec<(usize, usize)> = (0..B)
        .flat_map(|i| (0..T).map(move |t| (i, t)))
        .filter(|&(i, t)| flat(&mask)[i * T + t] > 0.0)
        .collect();
    let logits = b.x.broadcast_matmul(w.as_tensor()).unwrap();
    let lsm = candle_nn::ops::log_softmax(&logits, D::Minus1).unwrap();
    let mut terms = Vec::new();
    for &(i, t) in &keep {
        let id = flat(&b.ids.to_dtype(candle_core::DType::F32).unwrap())[i * T + t] as usize;
        let logp = lsm.get(i).unwrap().get(t).unwrap().get(id).unwrap();
        let old = b.old.get(i).unwrap().get(t).unwrap();
        let a = b.adv.get(i).unwrap().get(t).unwrap();
        let r = (logp - old).unwrap().exp().unwrap();
        let un = (&r * &a).unwrap();
        let cl = (r.clamp(0.8, 1.2).unwrap() * &a).unwrap();
        terms.push(un.minimum(&cl).unwrap());
    }
    let want_loss = (Tensor::stack(&terms, 0).unwrap().sum_all().unwrap()
        * (-1.0 / keep.len() as f64))
        .unwrap();
    let want = flat(want_loss.backward().unwrap().get(&w).unwrap());
    for (g, e) in got.iter().zip(&want) {
        assert!((g - e).abs() < 1e-6, "{got:?}\n{want:?}");
    }

    // 2. Changing anything about the masked tokens (their inputs, their advantages) leaves
    //    the gradient bit-identical.
    let drop = (1.0 - &mask).unwrap().unsqueeze(D::Minus1).unwrap();
    let x2 = (&b.x
        + tensor(&[B, T, H], 6, -5.0, 5.0)
            .broadcast_mul(&drop)
            .unwrap())
    .unwrap();
    let b2 = Batch {
        adv: (&b.adv + (tensor(&[B, T], 7, -9.0, 9.0) * (1.0 - &mask).unwrap()).unwrap()).unwrap(),
        x: x2.clone(),
        ids: b.ids.clone(),
        old: b.old.clone(),
        response: b.response.clone(),
        fgo: b.fgo.clone(),
    };
    assert_eq!(got, grad(&w, &b2, &x2, &mask));

    // 3. The mask matters: without FGO (response mask only) the gradient differs.
    let full = grad(&w, &b, &b.x, &b.response);
    assert!(full.iter().zip(&got).any(|(a, b)| (a - b).abs() > 1e-4));
}
