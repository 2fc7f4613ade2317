//! Differentiability: every trainable weight receives a gradient; value head; frozen copies.

use crate::common::*;
use stepcoder_model::candle::{DType, Device, Tensor, Var, D};
use stepcoder_model::candle_nn;
use stepcoder_model::optim::{AdamW, AdamWConfig, Gradients, ParamGroup};
use stepcoder_model::{CausalLm, Config, ValueHead};

fn batch(b: usize, t: usize, vocab: usize) -> Tensor {
    let ids: Vec<u32> = (0..b * t)
        .map(|i| ((i * 7919 + 13) % vocab) as u32)
        .collect();
    Tensor::from_vec(ids, (b, t), &Device::Cpu).unwrap()
}

fn check_all_grads(cfg: Config) {
    let model = CausalLm::random(cfg.clone(), DType::F32, &Device::Cpu, 3).unwrap();
    let vh = ValueHead::new(cfg.hidden_size, DType::F32, &Device::Cpu).unwrap();
    let ids = batch(2, 6, cfg.vocab_size);
    // Left padding on row 1: the mask path must stay differentiable too.
    let mask = Tensor::new(&[[1u32, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]], &Device::Cpu).unwrap();
    let out = model.forward(&ids, Some(&mask), None).unwrap();
    let targets = ids.narrow(1, 1, 5).unwrap();
    let lp = CausalLm::token_log_probs(&out.logits.narrow(1, 0, 5).unwrap(), &targets).unwrap();
    let values = vh.forward(&out.hidden).unwrap();
    let loss = ((lp.mean_all().unwrap().neg().unwrap()
        + values.sqr().unwrap().mean_all().unwrap())
    .unwrap()
        + (values - 1.0).unwrap().sqr().unwrap().mean_all().unwrap())
    .unwrap();
    let grads = loss.backward().unwrap();
    let data = model.varmap().data().lock().unwrap();
    let expected = cfg.num_hidden_layers * if cfg.qkv_bias() { 12 } else { 9 }
        + 2
        + usize::from(!cfg.tie_word_embeddings);
    assert_eq!(data.len(), expected, "every weight is a Var");
    for (name, var) in data.iter() {
        let g = grads
            .get(var.as_tensor())
            .unwrap_or_else(|| panic!("{name} got no gradient"));
        let norm = g
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(
            norm > 0.0 && norm.is_finite(),
            "{name}: gradient norm {norm}"
        );
    }
    for (name, var) in vh.varmap().data().lock().unwrap().iter() {
        assert!(grads.get(var.as_tensor()).is_some(), "value head {name}");
    }
}

#[test]
fn every_weight_gets_a_gradient_untied_llama() {
    check_all_grads(tiny_config());
}

#[test]
fn every_weight_gets_a_gradient_tied_qwen2_with_bias() {
    let mut cfg = tiny_config();
    cfg.model_type = "qwen2".into();
    cfg.tie_word_embeddings = true;
    cfg.num_key_value_heads = Some(1);
    cfg.rope_scaling = Some(stepcoder_model::RopeScaling {
        rope_type: "linear".into(),
        factor: 2.0,
        low_freq_factor: None,
        high_freq_factor: None,
        original_max_position_embeddings: None,
    });
    check_all_grads(cfg);
}

#[test]
fn optimizer_step_lowers_loss_and_frozen_copy_stays() {
    let cfg = tiny_config();
    let model = CausalLm::random(cfg.clone(), DType::F32, &Device::Cpu, 5).unwrap();
    let reference = model.frozen_copy().unwrap();
    assert!(reference.varmap().all_vars().is_empty());
    let ids = batch(2, 8, cfg.vocab_size);
    let loss_of = |m: &CausalLm| {
        let logits = m.forward(&ids, None, None).unwrap().logits;
        let (b, t, v) = logits.dims3().unwrap();
        candle_nn::loss::cross_entropy(
            &logits
                .narrow(1, 0, t - 1)
                .unwrap()
                .reshape((b * (t - 1), v))
                .unwrap(),
            &ids.narrow(1, 1, t - 1).unwrap().flatten_all().unwrap(),
        )
        .unwrap()
    };
    let before = loss_of(&model).to_scalar::<f32>().unwrap();
    let group = ParamGroup::from_varmap("policy", model.varmap()).unwrap();
    let mut opt = AdamW::new(vec![group], AdamWConfig::default()).unwrap();
    for _ in 0..5 {
        let store = loss_of(&model).backward().unwrap();
        let grads = Gradients::from_store(&store, opt.groups()).unwrap();
        opt.step(&grads, &[1e-2]).unwrap();
    }
    let after = loss_of(&model).to_scalar::<f32>().unwrap();
    let frozen = loss_of(&reference).to_scalar::<f32>().unwrap();
    assert!(after < before - 0.05, "loss {before} -> {after}");
    assert!(
        (frozen - before).abs() < 1e-5,
        "reference moved: {before} vs {frozen}"
    );
}

#[test]
fn kv_cache_matches_full_forward() {
    let cfg = tiny_config();
    let model = CausalLm::random(cfg.clone(), DType::F32, &Device::Cpu, 9).unwrap();
    let ids = batch(2, 7, cfg.vocab_size);
    let full = model.forward(&ids, None, None).unwrap().logits;
    let mut cache = model.new_cache();
    let a = model
        .forward(&ids.narrow(1, 0, 4).unwrap(), None, Some(&mut cache))
        .unwrap()
        .logits;
    let b = model
        .forward(&ids.narrow(1, 4, 3).unwrap(), None, Some(&mut cache))
        .unwrap()
        .logits;
    assert_eq!(cache.seq_len(), 7);
    let stepped = Tensor::cat(&[a, b], 1).unwrap();
    let diff = (full - stepped)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(D::Minus1)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!(diff < 1e-4, "cached vs full logits differ by {diff}");
}

/// Sampling's one-token steps (which take the fused decode attention) give each row's logits
/// of its full sequence: on a shared prefix of two left-padded prompts (three rows and two,
/// one row leaving half-way) and with every row carrying its own left-padded prompt.
#[test]
fn one_token_steps_on_a_sampling_cache_match_each_rows_full_sequence() {
    let cfg = tiny_config();
    let model = CausalLm::random(cfg.clone(), DType::F32, &Device::Cpu, 5).unwrap();
    let dev = Device::Cpu;
    let prompts: [Vec<u32>; 2] = [vec![5, 9, 14, 3, 7, 22], vec![8, 2, 31]];
    let prompt_of_row = [0usize, 0, 0, 1, 1];
    let own: Vec<Vec<u32>> = (0..5u32)
        .map(|r| (0..4).map(|j| 40 + 3 * r + j).collect())
        .collect();
    let len = prompts[0].len();
    // The prompts `which`, left-padded to one length, prefilled (masked) into a fresh
    // sampling cache; returns it with each prompt's 0/1 mask.
    let prefill = |which: &[usize]| -> (stepcoder_model::KvCache, Vec<Vec<u32>>) {
        let (mut ids, mut masks) = (Vec::new(), Vec::new());
        for &p in which {
            let pad = len - prompts[p].len();
            ids.extend(std::iter::repeat_n(0, pad).chain(prompts[p].iter().copied()));
            masks.push((0..len).map(|j| u32::from(j >= pad)).collect::<Vec<u32>>());
        }
        let flat: Vec<u32> = masks.iter().flatten().copied().collect();
        let n = which.len();
        let mut cache = model.new_cache();
        model
            .forward(
                &Tensor::from_vec(ids, (n, len), &dev).unwrap(),
                Some(&Tensor::from_vec(flat, (n, len), &dev).unwrap()),
                Some(&mut cache),
            )
            .unwrap();
        (cache, masks)
    };
    // Row r's logits predicting after each of its own tokens, from one full forward.
    let alone: Vec<Tensor> = (0..5)
        .map(|r| {
            let mut seq = prompts[prompt_of_row[r]].clone();
            seq.extend_from_slice(&own[r]);
            let n = seq.len();
            let ids = Tensor::from_vec(seq, (1, n), &dev).unwrap();
            let logits = model.forward(&ids, None, None).unwrap().logits;
            logits.narrow(1, n - 4, 4).unwrap().squeeze(0).unwrap()
        })
        .collect();
    let step_ids = |rows: &[usize], j: usize| {
        let ids: Vec<u32> = rows.iter().map(|&r| own[r][j]).collect();
        Tensor::from_vec(ids, (rows.len(), 1), &dev).unwrap()
    };
    let check = |rows: &[usize], j: usize, logits: &Tensor, way: &str| {
        for (i, &r) in rows.iter().enumerate() {
            let got = logits.narrow(0, i, 1).unwrap().squeeze(0).unwrap();
            let want = alone[r].narrow(0, j, 1).unwrap();
            let d = max_diff(&got, &want);
            assert!(d < 1e-4, "{way}: row {r}, token {j}: {d}");
        }
    };
    // Shared prefix: each prompt once, then the rows' own tokens one at a time.
    let (mut cache, masks) = prefill(&[0, 1]);
    cache
        .share_prefix(prompt_of_row.to_vec(), Some(&masks))
        .unwrap();
    let mut rows: Vec<usize> = (0..5).collect();
    for j in 0..4 {
        if j == 2 {
            rows = vec![0, 2, 3, 4];
            cache
                .select_rows(&Tensor::new(&[0u32, 2, 3, 4], &dev).unwrap())
                .unwrap();
        }
        let logits = model
            .forward(&step_ids(&rows, j), None, Some(&mut cache))
            .unwrap()
            .logits;
        check(&rows, j, &logits, "shared prefix");
    }
    // Per row: each row its own left-padded prompt, masked, the mask growing by one a step.
    let (mut cache, mut mask) = prefill(&prompt_of_row);
    let rows: Vec<usize> = (0..5).collect();
    for j in 0..4 {
        for m in mask.iter_mut() {
            m.push(1);
        }
        let flat: Vec<u32> = mask.iter().flatten().copied().collect();
        let mask_t = Tensor::from_vec(flat, (5, len + j + 1), &dev).unwrap();
        let logits = model
            .forward(&step_ids(&rows, j), Some(&mask_t), Some(&mut cache))
            .unwrap()
            .logits;
        check(&rows, j, &logits, "per row");
    }
}

/// Rows continuing a shared prefix (two prompts of different lengths, left-padded together,
/// three rows on one and two on the other) get the logits of each row's own full sequence, in
/// two cached steps and after a row leaves the batch; with the graph kept, the gradient of
/// every weight is the one of the per-row forward.
#[test]
fn shared_prefix_matches_each_rows_full_sequence() {
    let cfg = tiny_config();
    let model = CausalLm::random(cfg.clone(), DType::F32, &Device::Cpu, 21).unwrap();
    let dev = Device::Cpu;
    let prompts: [Vec<u32>; 2] = [vec![5, 9, 14, 3, 7, 22], vec![8, 2, 31]];
    let prompt_of_row = vec![0usize, 0, 0, 1, 1];
    let own: Vec<Vec<u32>> = (0..5u32)
        .map(|r| (0..5).map(|j| 40 + 3 * r + j).collect())
        .collect();
    let len = prompts[0].len();
    let mut ids = Vec::new();
    let mut mask = Vec::new();
    for p in &prompts {
        ids.extend(std::iter::repeat_n(0u32, len - p.len()));
        ids.extend_from_slice(p);
        let m: Vec<u32> = (0..len).map(|j| u32::from(j >= len - p.len())).collect();
        mask.push(m);
    }
    let flat_mask: Vec<u32> = mask.iter().flatten().copied().collect();
    let head = Tensor::from_vec(ids, (2, len), &dev).unwrap();
    let head_mask = Tensor::from_vec(flat_mask, (2, len), &dev).unwrap();
    let window = |rows: &[usize], from: usize, n: usize| {
        let ids: Vec<u32> = rows
            .iter()
            .flat_map(|&r| own[r][from..from + n].to_vec())
            .collect();
        Tensor::from_vec(ids, (rows.len(), n), &dev).unwrap()
    };
    // Each row alone: its prompt, then its own tokens, in one forward.
    let alone = |r: usize| {
        let mut seq = prompts[prompt_of_row[r]].clone();
        seq.extend_from_slice(&own[r]);
        let n = seq.len();
        let ids = Tensor::from_vec(seq, (1, n), &dev).unwrap();
        model
            .forward(&ids, None, None)
            .unwrap()
            .logits
            .narrow(1, n - 5, 5)
            .unwrap()
    };
    let mut cache = stepcoder_model::KvCache::with_graph(cfg.num_hidden_layers);
    model
        .forward(&head, Some(&head_mask), Some(&mut cache))
        .unwrap();
    cache
        .share_prefix(prompt_of_row.clone(), Some(&mask))
        .unwrap();
    let all: Vec<usize> = (0..5).collect();
    let first = model
        .forward(&window(&all, 0, 3), None, Some(&mut cache))
        .unwrap()
        .logits;
    // Row 1 leaves; the others go on by two tokens.
    let keep: Vec<usize> = vec![0, 2, 3, 4];
    cache
        .select_rows(&Tensor::new(&[0u32, 2, 3, 4], &dev).unwrap())
        .unwrap();
    let second = model
        .forward(&window(&keep, 3, 2), None, Some(&mut cache))
        .unwrap()
        .logits;
    let mut shared_total = first.sum_all().unwrap();
    let mut alone_total = Tensor::new(0f32, &dev).unwrap();
    for r in 0..5 {
        let full = alone(r);
        let d = max_diff(
            &first.narrow(0, r, 1).unwrap(),
            &full.narrow(1, 0, 3).unwrap(),
        );
        assert!(d < 1e-4, "row {r}, first step: {d}");
        alone_total = (alone_total + full.narrow(1, 0, 3).unwrap().sum_all().unwrap()).unwrap();
        if let Some(i) = keep.iter().position(|&k| k == r) {
            let d = max_diff(
                &second.narrow(0, i, 1).unwrap(),
                &full.narrow(1, 3, 2).unwrap(),
            );
            assert!(d < 1e-4, "row {r}, second step: {d}");
            alone_total = (alone_total + full.narrow(1, 3, 2).unwrap().sum_all().unwrap()).unwrap();
        }
    }
    shared_total = (shared_total + second.sum_all().unwrap()).unwrap();
    let (gs, ga) = (
        shared_total.backward().unwrap(),
        alone_total.backward().unwrap(),
    );
    for var in model.varmap().all_vars() {
        let (a, b) = (gs.get(&var).unwrap(), ga.get(&var).unwrap());
        let scale = b
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(D::Minus1)
            .unwrap();
        let scale = scale.to_scalar::<f32>().unwrap();
        let d = max_diff(a, b);
        assert!(
            d <= 1e-4 * scale.max(1.0),
            "gradient differs by {d} (scale {scale})"
        );
    }
    // The rows of a prompt must stay consecutive.
    assert!(cache
        .select_rows(&Tensor::new(&[2u32, 0], &dev).unwrap())
        .is_err());
}

/// Segments of different lengths packed into one row over one cached prompt (kept with its
/// graph) get the logits of each segment run after the prompt on its own, and the same
/// gradient for every weight; bad packings are refused.
#[test]
fn packed_segments_match_each_segment_after_its_prompt() {
    let cfg = tiny_config();
    let model = CausalLm::random(cfg.clone(), DType::F32, &Device::Cpu, 23).unwrap();
    let dev = Device::Cpu;
    let prompt: Vec<u32> = vec![5, 9, 14, 3, 7, 22];
    let segments: Vec<Vec<u32>> = vec![vec![40, 41, 42], vec![50], vec![60, 61, 62, 63, 64]];
    let lens: Vec<usize> = segments.iter().map(Vec::len).collect();
    let mut cache = stepcoder_model::KvCache::with_graph(cfg.num_hidden_layers);
    let head = Tensor::from_vec(prompt.clone(), (1, prompt.len()), &dev).unwrap();
    model.forward(&head, None, Some(&mut cache)).unwrap();
    let flat: Vec<u32> = segments.iter().flatten().copied().collect();
    let packed_ids = Tensor::from_vec(flat.clone(), (1, flat.len()), &dev).unwrap();
    let packed = model
        .logits(
            &model
                .forward_hidden_packed(&packed_ids, &lens, Some(&mut cache.clone()))
                .unwrap(),
        )
        .unwrap();
    let mut alone_total = Tensor::new(0f32, &dev).unwrap();
    let mut start = 0;
    for seg in &segments {
        let mut seq = prompt.clone();
        seq.extend_from_slice(seg);
        let n = seq.len();
        let ids = Tensor::from_vec(seq, (1, n), &dev).unwrap();
        let alone = model
            .forward(&ids, None, None)
            .unwrap()
            .logits
            .narrow(1, prompt.len(), seg.len())
            .unwrap();
        let d = max_diff(&packed.narrow(1, start, seg.len()).unwrap(), &alone);
        assert!(d < 1e-4, "segment at {start}: {d}");
        alone_total = (alone_total + alone.sum_all().unwrap()).unwrap();
        start += seg.len();
    }
    let (gp, ga) = (
        packed.sum_all().unwrap().backward().unwrap(),
        alone_total.backward().unwrap(),
    );
    for var in model.varmap().all_vars() {
        let (a, b) = (gp.get(&var).unwrap(), ga.get(&var).unwrap());
        let scale = max_diff(b, &b.zeros_like().unwrap());
        let d = max_diff(a, b);
        assert!(
            d <= 1e-4 * scale.max(1.0),
            "gradient differs by {d} (scale {scale})"
        );
    }
    for bad in [vec![3, 1, 4], vec![3, 0, 6], vec![4, 4]] {
        assert!(
            model
                .forward_hidden_packed(&packed_ids, &bad, Some(&mut cache.clone()))
                .is_err(),
            "{bad:?} is no packing of the 9 tokens"
        );
    }
    let empty = Tensor::zeros((1, 0), DType::U32, &dev).unwrap();
    assert!(
        model
            .forward_hidden_packed(&empty, &[], Some(&mut cache.clone()))
            .is_err(),
        "an empty packing is refused, as `forward_hidden` refuses an empty sequence"
    );
    // A cache of another model's depth is refused, as by `forward_hidden`.
    let mut deeper = stepcoder_model::KvCache::new(cfg.num_hidden_layers + 1);
    assert!(model
        .forward_hidden_packed(&packed_ids, &lens, Some(&mut deeper))
        .is_err());
}

/// `CausalLm::token_log_probs` (the kernels crate's fused op) against the unfused candle ops
/// `log_softmax` + `gather`: values and the gradient w.r.t. the logits, for f32 logits and for
/// bf16 logits (no f32 copy is made first; the result is f32 either way).
#[test]
fn token_log_probs_match_composed_forward_and_backward() {
    let n = 2 * 3 * 13;
    let vals: Vec<f32> = (0..n)
        .map(|i| ((i * 37 % 101) as f32 / 10.0) - 5.0)
        .collect();
    let x = Var::from_vec(vals, (2, 3, 13), &Device::Cpu).unwrap();
    let t = Tensor::new(&[[1u32, 12, 0], [5, 5, 7]], &Device::Cpu).unwrap();
    let proj = Tensor::new(&[[0.3f32, -1.2, 0.7], [2.0, -0.4, 1.1]], &Device::Cpu).unwrap();
    let fused = CausalLm::token_log_probs(&x, &t).unwrap();
    let slow = candle_nn::ops::log_softmax(&x, D::Minus1)
        .unwrap()
        .gather(&t.unsqueeze(2).unwrap(), 2)
        .unwrap()
        .squeeze(2)
        .unwrap();
    assert!(max_diff(&fused, &slow) < 1e-5);
    let gf = stepcoder_model::testing::projected_grads(&fused, &proj).unwrap();
    let gs = stepcoder_model::testing::projected_grads(&slow, &proj).unwrap();
    let (gf, gs) = (gf.get(&x).unwrap(), gs.get(&x).unwrap());
    assert!(max_diff(gf, gs) < 1e-5, "gradient differs");
    assert!(
        max_diff(gs, &gs.zeros_like().unwrap()) > 0.1,
        "a gradient to compare"
    );

    let xb = Var::from_tensor(&x.to_dtype(DType::BF16).unwrap()).unwrap();
    let fb = CausalLm::token_log_probs(&xb, &t).unwrap();
    assert_eq!(fb.dtype(), DType::F32);
    let sb = candle_nn::ops::log_softmax(&xb.to_dtype(DType::F32).unwrap(), D::Minus1)
        .unwrap()
        .gather(&t.unsqueeze(2).unwrap(), 2)
        .unwrap()
        .squeeze(2)
        .unwrap();
    assert!(max_diff(&fb, &sb) < 1e-4);
    let gb = stepcoder_model::testing::projected_grads(&fb, &proj).unwrap();
    let gb = gb.get(&xb).unwrap();
    assert_eq!(gb.dtype(), DType::BF16);
    assert!(max_diff(gb, gs) < 2e-2, "bf16 gradient differs");
}

/// Mixed precision: f32 master weights, the forward in a 16-bit dtype (f16 here: candle's CPU
/// matmul has no bf16; on a GPU the trainer uses bf16 the same way). Every weight still gets a
/// gradient, in f32; the logits are close to the f32 model's; the sampling copy stores the
/// 16-bit weights and gives the same logits as the mixed model.
#[test]
fn mixed_precision_keeps_f32_masters_and_gradients() {
    let cfg = tiny_config();
    let full = CausalLm::random(cfg.clone(), DType::F32, &Device::Cpu, 21).unwrap();
    let mut mixed = CausalLm::random(cfg.clone(), DType::F32, &Device::Cpu, 21).unwrap();
    mixed.set_compute_dtype(DType::F16).unwrap();
    assert!(mixed.set_compute_dtype(DType::U32).is_err());
    assert_eq!(
        (mixed.dtype(), mixed.compute_dtype()),
        (DType::F32, DType::F16)
    );
    let ids = batch(2, 6, cfg.vocab_size);
    let mask = Tensor::new(&[[1u32, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]], &Device::Cpu).unwrap();
    let lf = full.forward(&ids, Some(&mask), None).unwrap().logits;
    let out = mixed.forward(&ids, Some(&mask), None).unwrap();
    assert_eq!(out.logits.dtype(), DType::F16);
    let diff = max_diff(&lf, &out.logits);
    assert!(diff < 2e-2, "f16 compute vs f32: logits differ by {diff}");

    let targets = ids.narrow(1, 1, 5).unwrap();
    let lp = CausalLm::token_log_probs(&out.logits.narrow(1, 0, 5).unwrap(), &targets).unwrap();
    let grads = lp.mean_all().unwrap().neg().unwrap().backward().unwrap();
    let vars = mixed.varmap().all_vars();
    assert!(!vars.is_empty());
    for var in &vars {
        assert_eq!(var.dtype(), DType::F32, "master weights stay f32");
        let g = grads
            .get(var.as_tensor())
            .expect("every master weight gets a gradient");
        assert_eq!(g.dtype(), DType::F32);
        let norm = g
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(norm > 0.0 && norm.is_finite(), "gradient norm {norm}");
    }

    let sampler = mixed.copy_with(false, mixed.compute_dtype()).unwrap();
    assert_eq!(
        (sampler.dtype(), sampler.compute_dtype()),
        (DType::F16, DType::F16)
    );
    assert!(sampler.varmap().all_vars().is_empty());
    let ls = sampler.forward(&ids, Some(&mask), None).unwrap().logits;
    let lm = mixed.forward(&ids, Some(&mask), None).unwrap().logits;
    let d = max_diff(&ls, &lm);
    assert!(d < 1e-3, "sampling copy vs mixed model: {d}");
    // A frozen copy of a mixed model stays mixed.
    let frozen = mixed.frozen_copy().unwrap();
    assert_eq!(
        (frozen.dtype(), frozen.compute_dtype()),
        (DType::F32, DType::F16)
    );
}
