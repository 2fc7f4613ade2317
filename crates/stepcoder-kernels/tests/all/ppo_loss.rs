use candle_core::{Device, Tensor, Var};
use stepcoder_kernels::{ppo_policy_loss, PpoLossConfig};

use crate::{max_diff, tensor};

/// Plain candle: `-(1/sum m) * sum m * min(r A, clip(r) A)`.
fn reference(logp: &Tensor, old: &Tensor, adv: &Tensor, mask: &Tensor, eps: f64) -> Tensor {
    let r = (logp - old).unwrap().exp().unwrap();
    let un = (&r * adv).unwrap();
    let cl = (r.clamp(1.0 - eps, 1.0 + eps).unwrap() * adv).unwrap();
    let s = un.minimum(&cl).unwrap();
    let num = (s * mask).unwrap().sum_all().unwrap();
    (num.neg().unwrap() / mask.sum_all().unwrap().to_scalar::<f32>().unwrap() as f64).unwrap()
}

struct Batch {
    logp: Tensor,
    old: Tensor,
    adv: Tensor,
    mask: Tensor,
}

fn batch() -> Batch {
    let old = tensor(&[4, 16], 11, -3.0, -0.1);
    // logp - old in [-0.5, 0.5]: ratios from 0.61 to 1.65, many clipped at eps = 0.2.
    let logp = (&old + tensor(&[4, 16], 12, -0.5, 0.5)).unwrap();
    let adv = tensor(&[4, 16], 13, -2.0, 2.0);
    let m: Vec<f32> = crate::values(64, 14, 0.0, 1.0)
        .into_iter()
        .map(|u| if u < 0.3 { 0.0 } else { 1.0 })
        .collect();
    let mask = Tensor::from_vec(m, (4, 16), &Device::Cpu).unwrap();
    Batch {
        logp,
        old,
        adv,
        mask,
    }
}

#[test]
fn loss_and_gradient_match_autograd_of_plain_ops() {
    let b = batch();
    let cfg = PpoLossConfig { clip_eps: 0.2 };

    let a = Var::from_tensor(&b.logp).unwrap();
    let la = ppo_policy_loss(a.as_tensor(), &b.old, &b.adv, &b.mask, &cfg).unwrap();
    assert_eq!(la.dims(), &[] as &[usize]);
    let ga = la.backward().unwrap().get(&a).unwrap().clone();

    let v = Var::from_tensor(&b.logp).unwrap();
    let lr = reference(v.as_tensor(), &b.old, &b.adv, &b.mask, 0.2);
    let gr = lr.backward().unwrap().get(&v).unwrap().clone();

    let (x, y) = (
        la.to_scalar::<f32>().unwrap(),
        lr.to_scalar::<f32>().unwrap(),
    );
    assert!((x - y).abs() < 1e-5, "loss {x} vs {y}");
    let d = max_diff(&ga, &gr);
    assert!(d < 1e-6, "max gradient diff {d}");
    // Some tokens are clipped (zero gradient) and some are not: the test covers both branches.
    let g: Vec<f32> = ga.flatten_all().unwrap().to_vec1().unwrap();
    let m: Vec<f32> = b.mask.flatten_all().unwrap().to_vec1().unwrap();
    let zero_in_mask = g
        .iter()
        .zip(&m)
        .filter(|(g, m)| **m > 0.0 && **g == 0.0)
        .count();
    let nonzero = g.iter().filter(|g| **g != 0.0).count();
    assert!(
        zero_in_mask > 0 && nonzero > 0,
        "{zero_in_mask} clipped, {nonzero} live"
    );
}

#[test]
fn masked_tokens_contribute_exactly_nothing() {
    let b = batch();
    let cfg = PpoLossConfig::default();
    let v = Var::from_tensor(&b.logp).unwrap();
    let loss = ppo_policy_loss(v.as_tensor(), &b.old, &b.adv, &b.mask, &cfg).unwrap();
    let g = loss.backward().unwrap().get(&v).unwrap().clone();
    let g: Vec<f32> = g.flatten_all().unwrap().to_vec1().unwrap();
    let m: Vec<f32> = b.mask.flatten_all().unwrap().to_vec1().unwrap();
    for (gi, mi) in g.iter().zip(&m) {
        if *mi == 0.0 {
            assert_eq!(*gi, 0.0);
        }
    }
    // Changing the masked tokens' log-probs and advantages leaves the loss bit-identical.
    let keep = &b.mask;
    let noise = tensor(&[4, 16], 99, -3.0, 3.0);
    let drop = (1.0 - keep).unwrap();
    let logp2 = (&b.logp + (&noise * &drop).unwrap()).unwrap();
    let adv2 = (&b.adv + (&noise * &drop).unwrap()).unwrap();
    let l2 = ppo_policy_loss(&logp2, &b.old, &adv2, keep, &cfg).unwrap();
    assert_eq!(
        loss.to_scalar::<f32>().unwrap(),
        l2.to_scalar::<f32>().unwrap()
    );
}

#[test]
fn fractional_weights_scale_tokens_and_empty_mask_gives_zero() {
    let b = batch();
    let cfg = PpoLossConfig::default();
    let half = (&b.mask * 0.5).unwrap();
    // Normalization by the mask sum makes a uniform scale of the mask a no-op.
    let l1 = ppo_policy_loss(&b.logp, &b.old, &b.adv, &b.mask, &cfg).unwrap();
    let l2 = ppo_policy_loss(&b.logp, &b.old, &b.adv, &half, &cfg).unwrap();
    let (l1, l2) = (
        l1.to_scalar::<f32>().unwrap(),
        l2.to_scalar::<f32>().unwrap(),
    );
    assert!((l1 - l2).abs() < 1e-6);

    let zeros = b.mask.zeros_like().unwrap();
    let v = Var::from_tensor(&b.logp).unwrap();
    let l = ppo_policy_loss(v.as_tensor(), &b.old, &b.adv, &zeros, &cfg).unwrap();
    assert_eq!(l.to_scalar::<f32>().unwrap(), 0.0);
    let g = l.backward().unwrap().get(&v).unwrap().clone();
    assert_eq!(
        g.abs()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap(),
        0.0
    );
}

#[test]
fn old_logp_and_advantages_get_no_gradient_and_shapes_are_checked() {
    let b = batch();
    let old = Var::from_tensor(&b.old).unwrap();
    let adv = Var::from_tensor(&b.adv).unwrap();
    let logp = Var::from_tensor(&b.logp).unwrap();
    let l = ppo_policy_loss(
        logp.as_tensor(),
        old.as_tensor(),
        adv.as_tensor(),
        &b.mask,
        &PpoLossConfig::default(),
    )
    .unwrap();
    let grads = l.backward().unwrap();
    assert!(grads.get(&old).is_none());
    assert!(grads.get(&adv).is_none());
    assert!(grads.get(&logp).is_some());

    let short = b.mask.narrow(1, 0, 3).unwrap();
    assert!(ppo_policy_loss(&b.logp, &b.old, &b.adv, &short, &PpoLossConfig::default()).is_err());
}
