//! CUDA kernels against the CPU reference (only with `--features cuda`; skipped with a
//! message when no GPU is present).

use candle_core::{DType, Device, Tensor, Var};
use stepcoder_kernels::{gae, ppo_policy_loss, token_log_probs, PpoLossConfig};

use crate::{max_diff, tensor};

fn gpu() -> Option<Device> {
    match Device::new_cuda(0) {
        Ok(d) => Some(d),
        Err(e) => {
            eprintln!("skipping CUDA test: no GPU ({e})");
            None
        }
    }
}

#[test]
fn logprob_forward_and_backward_match_cpu() {
    let Some(gpu) = gpu() else { return };
    // A vocabulary that is not a multiple of the block size, and one larger than it.
    for vocab in [37usize, 5000] {
        let logits = tensor(&[3, 7, vocab], 31, -20.0, 20.0);
        let ids: Vec<u32> = crate::values(21, 32, 0.0, vocab as f32)
            .into_iter()
            .map(|x| (x as u32).min(vocab as u32 - 1))
            .collect();
        let ids = Tensor::from_vec(ids, (3, 7), &Device::Cpu).unwrap();
        let w = tensor(&[3, 7], 33, -1.0, 1.0);
        for dt in [DType::F32, DType::BF16] {
            let cpu = Var::from_tensor(&logits.to_dtype(dt).unwrap()).unwrap();
            let lc = token_log_probs(cpu.as_tensor(), &ids).unwrap();
            let gc = (&lc * &w).unwrap().sum_all().unwrap().backward().unwrap();
            let gc = gc.get(&cpu).unwrap().clone();

            let dev = Var::from_tensor(&cpu.as_tensor().to_device(&gpu).unwrap()).unwrap();
            let ld = token_log_probs(dev.as_tensor(), &ids.to_device(&gpu).unwrap()).unwrap();
            let wd = w.to_device(&gpu).unwrap();
            let gd = (&ld * &wd).unwrap().sum_all().unwrap().backward().unwrap();
            let gd = gd.get(&dev).unwrap().to_device(&Device::Cpu).unwrap();

            let d = max_diff(&lc, &ld.to_device(&Device::Cpu).unwrap());
            assert!(d < 1e-3, "vocab {vocab} {dt:?}: forward diff {d}");
            let d = max_diff(&gc, &gd);
            let tol = if dt == DType::F32 { 1e-5 } else { 1e-2 };
            assert!(d < tol, "vocab {vocab} {dt:?}: gradient diff {d}");
        }
    }
}

#[test]
fn ppo_loss_and_gae_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let old = tensor(&[8, 300], 41, -3.0, -0.1);
    let logp = (&old + tensor(&[8, 300], 42, -0.5, 0.5)).unwrap();
    let adv = tensor(&[8, 300], 43, -2.0, 2.0);
    let mask = tensor(&[8, 300], 44, 0.0, 1.0)
        .ge(0.3)
        .unwrap()
        .to_dtype(DType::F32)
        .unwrap();
    let cfg = PpoLossConfig::default();
    let on = |t: &Tensor| t.to_device(&gpu).unwrap();

    let vc = Var::from_tensor(&logp).unwrap();
    let lc = ppo_policy_loss(vc.as_tensor(), &old, &adv, &mask, &cfg).unwrap();
    let gc = lc.backward().unwrap().get(&vc).unwrap().clone();
    let vd = Var::from_tensor(&on(&logp)).unwrap();
    let ld = ppo_policy_loss(vd.as_tensor(), &on(&old), &on(&adv), &on(&mask), &cfg).unwrap();
    let gd = ld
        .backward()
        .unwrap()
        .get(&vd)
        .unwrap()
        .to_device(&Device::Cpu)
        .unwrap();
    let (a, b) = (
        lc.to_scalar::<f32>().unwrap(),
        ld.to_scalar::<f32>().unwrap(),
    );
    assert!((a - b).abs() < 1e-5, "loss {a} vs {b}");
    assert!(max_diff(&gc, &gd) < 1e-6);

    let r = tensor(&[8, 300], 45, -1.0, 1.0);
    let v = tensor(&[8, 300], 46, -1.0, 1.0);
    let ac = gae(&r, &v, &mask, 0.99, 0.95).unwrap();
    let ad = gae(&on(&r), &on(&v), &on(&mask), 0.99, 0.95).unwrap();
    let d = max_diff(&ac, &ad.to_device(&Device::Cpu).unwrap());
    assert!(d < 1e-4, "gae diff {d}");
}

/// The shapes the trainer uses: a minibatch's completion window of logits for the default
/// model (SmolLM2, vocabulary 49152) and for Qwen2.5-0.5B (151936), in f32 and bf16 (mixed
/// precision), forward and backward; the PPO loss and GAE on rollout batches of 16 and 64
/// rows of up to 512 tokens, with ragged response masks.
#[test]
fn trainer_shapes_match_cpu() {
    let Some(gpu) = gpu() else { return };
    for (rows, seq, vocab) in [(8usize, 192usize, 49_152usize), (4, 128, 151_936)] {
        let logits = tensor(&[rows, seq, vocab], 51, -12.0, 12.0);
        let ids: Vec<u32> = crate::values(rows * seq, 52, 0.0, vocab as f32)
            .into_iter()
            .map(|x| (x as u32).min(vocab as u32 - 1))
            .collect();
        let ids = Tensor::from_vec(ids, (rows, seq), &Device::Cpu).unwrap();
        let w = tensor(&[rows, seq], 53, -1.0, 1.0);
        for dt in [DType::F32, DType::BF16] {
            let cpu = Var::from_tensor(&logits.to_dtype(dt).unwrap()).unwrap();
            let lc = token_log_probs(cpu.as_tensor(), &ids).unwrap();
            let gc = (&lc * &w).unwrap().sum_all().unwrap().backward().unwrap();
            let gc = gc.get(&cpu).unwrap().clone();
            let dev = Var::from_tensor(&cpu.as_tensor().to_device(&gpu).unwrap()).unwrap();
            let ld = token_log_probs(dev.as_tensor(), &ids.to_device(&gpu).unwrap()).unwrap();
            let gd = (&ld * &w.to_device(&gpu).unwrap())
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let gd = gd.get(&dev).unwrap().to_device(&Device::Cpu).unwrap();
            let d = max_diff(&lc, &ld.to_device(&Device::Cpu).unwrap());
            assert!(d < 2e-3, "{rows}x{seq}x{vocab} {dt:?}: forward diff {d}");
            let d = max_diff(&gc, &gd);
            let tol = if dt == DType::F32 { 1e-5 } else { 1e-2 };
            assert!(d < tol, "{rows}x{seq}x{vocab} {dt:?}: gradient diff {d}");
        }
    }
    let on = |t: &Tensor| t.to_device(&gpu).unwrap();
    for (rows, seq) in [(16usize, 128usize), (64, 512)] {
        let old = tensor(&[rows, seq], 61, -3.0, -0.1);
        let logp = (&old + tensor(&[rows, seq], 62, -0.5, 0.5)).unwrap();
        let adv = tensor(&[rows, seq], 63, -2.0, 2.0);
        // Ragged responses: row r has seq - 7 r % seq real tokens, then padding.
        let m: Vec<f32> = (0..rows * seq)
            .map(|i| f32::from((i % seq) < seq - (7 * (i / seq)) % seq))
            .collect();
        let mask = Tensor::from_vec(m, (rows, seq), &Device::Cpu).unwrap();
        let cfg = PpoLossConfig::default();
        let vc = Var::from_tensor(&logp).unwrap();
        let lc = ppo_policy_loss(vc.as_tensor(), &old, &adv, &mask, &cfg).unwrap();
        let gc = lc.backward().unwrap().get(&vc).unwrap().clone();
        let vd = Var::from_tensor(&on(&logp)).unwrap();
        let ld = ppo_policy_loss(vd.as_tensor(), &on(&old), &on(&adv), &on(&mask), &cfg).unwrap();
        let gd = ld
            .backward()
            .unwrap()
            .get(&vd)
            .unwrap()
            .to_device(&Device::Cpu)
            .unwrap();
        let (a, b) = (
            lc.to_scalar::<f32>().unwrap(),
            ld.to_scalar::<f32>().unwrap(),
        );
        assert!((a - b).abs() < 1e-4, "{rows}x{seq}: loss {a} vs {b}");
        assert!(max_diff(&gc, &gd) < 1e-6, "{rows}x{seq}: loss gradient");
        let r = tensor(&[rows, seq], 64, -1.0, 1.0);
        let v = tensor(&[rows, seq], 65, -1.0, 1.0);
        let ac = gae(&r, &v, &mask, 1.0, 0.95).unwrap();
        let ad = gae(&on(&r), &on(&v), &on(&mask), 1.0, 0.95).unwrap();
        let d = max_diff(&ac, &ad.to_device(&Device::Cpu).unwrap());
        assert!(d < 1e-3, "{rows}x{seq}: gae diff {d}");
    }
}
