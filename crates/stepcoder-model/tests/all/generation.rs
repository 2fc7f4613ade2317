//! Sampling: greedy equals argmax of a full forward; batched equals one-by-one; stops; offsets.

use crate::common::*;
use stepcoder_model::candle::{DType, Device, Tensor};
use stepcoder_model::{generate, generate_with_hidden, CausalLm, FinishReason, SamplingConfig};

fn model() -> (CausalLm, stepcoder_model::ModelTokenizer) {
    let cfg = tiny_config();
    let tok = tiny_tokenizer(&cfg);
    (
        CausalLm::random(cfg, DType::F32, &Device::Cpu, 11).unwrap(),
        tok,
    )
}

#[test]
fn greedy_equals_argmax_of_full_forward() {
    let (m, tok) = model();
    let prompt = tok.encode("the cat", false).unwrap();
    let cfg = SamplingConfig {
        eos_ids: vec![u32::MAX], // never stop early: compare all steps
        ..SamplingConfig::greedy(12)
    };
    let out = generate(&m, Some(&tok), std::slice::from_ref(&prompt), &cfg).unwrap();
    let c = &out[0];
    assert_eq!(c.token_ids.len(), 12);
    assert_eq!(c.finish, FinishReason::Length);
    // Re-run the whole sequence without cache: each sampled token is the argmax at its step,
    // and its log-prob is the full forward's log-softmax there.
    let mut all = prompt.clone();
    all.extend(&c.token_ids);
    let ids = Tensor::new(all.as_slice(), &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let logits = m
        .forward(&ids, None, None)
        .unwrap()
        .logits
        .squeeze(0)
        .unwrap();
    let lsm = stepcoder_model::candle_nn::ops::log_softmax(&logits, 1).unwrap();
    let argmax: Vec<u32> = logits.argmax(1).unwrap().to_vec1().unwrap();
    for (i, tokid) in c.token_ids.iter().enumerate() {
        let pos = prompt.len() - 1 + i;
        assert_eq!(argmax[pos], *tokid, "step {i}");
        let lp: f32 = lsm
            .get(pos)
            .unwrap()
            .get(*tokid as usize)
            .unwrap()
            .to_scalar()
            .unwrap();
        assert!(
            (lp - c.logprobs[i]).abs() < 1e-4,
            "step {i}: {lp} vs {}",
            c.logprobs[i]
        );
    }
}

#[test]
fn batched_equals_one_by_one_greedy_and_sampled() {
    let (m, tok) = model();
    let prompts: Vec<Vec<u32>> = ["a", "the quick brown fox", "hello there"]
        .iter()
        .map(|p| tok.encode(p, false).unwrap())
        .collect();
    for cfg in [
        SamplingConfig::greedy(8),
        SamplingConfig {
            max_new_tokens: 8,
            temperature: 0.9,
            top_k: 50,
            top_p: 0.95,
            seed: 42,
            ..Default::default()
        },
    ] {
        let batched = generate(&m, Some(&tok), &prompts, &cfg).unwrap();
        for (i, p) in prompts.iter().enumerate() {
            // Row i's RNG is seeded from (seed, i): run it alone with the same row index.
            let mut alone_prompts = vec![vec![0u32]; i];
            alone_prompts.push(p.clone());
            let alone = generate(&m, Some(&tok), &alone_prompts, &cfg).unwrap();
            assert_eq!(
                batched[i].token_ids, alone[i].token_ids,
                "row {i}, cfg {cfg:?}"
            );
            for (a, b) in batched[i].logprobs.iter().zip(&alone[i].logprobs) {
                assert!((a - b).abs() < 1e-3);
            }
        }
        // Same seed, same output; token log-probs are finite and <= 0.
        let again = generate(&m, Some(&tok), &prompts, &cfg).unwrap();
        assert_eq!(batched, again);
        assert!(batched
            .iter()
            .flat_map(|c| &c.logprobs)
            .all(|l| l.is_finite() && *l <= 1e-6));
    }
}

#[test]
fn stops_per_row_on_eos_and_stop_strings_with_offsets() {
    let (m, tok) = model();
    let prompt = tok.encode("x", false).unwrap();
    // Learn what greedy produces, then declare its 3rd token EOS and its text a stop string.
    let free = generate(
        &m,
        Some(&tok),
        std::slice::from_ref(&prompt),
        &SamplingConfig {
            eos_ids: vec![u32::MAX],
            ..SamplingConfig::greedy(6)
        },
    )
    .unwrap();
    let toks = &free[0].token_ids;
    let eos = toks[2];
    let first = toks.iter().position(|t| *t == eos).unwrap();
    let cfg = SamplingConfig {
        eos_ids: vec![eos],
        ..SamplingConfig::greedy(6)
    };
    let out = generate(&m, Some(&tok), &[prompt.clone(), vec![1, 2, 3]], &cfg).unwrap();
    assert_eq!(out[0].finish, FinishReason::Eos);
    assert_eq!(out[0].token_ids, toks[..=first].to_vec());

    // Offsets: concatenating each token's range reproduces the text, ranges are monotone.
    let c = &free[0];
    assert_eq!(c.token_offsets.len(), c.token_ids.len());
    let mut end = 0;
    for (s, e) in &c.token_offsets {
        assert!(*s <= *e && *s <= end.max(*s) && *e <= c.text.len());
        end = *e;
    }
    assert_eq!(end, c.text.len());
    assert_eq!(c.text, tok.decode(&c.token_ids, true).unwrap());

    if !c.text.is_empty() {
        let stop: String = c.text.chars().take(1).collect();
        let cfg = SamplingConfig {
            eos_ids: vec![u32::MAX],
            stop_strings: vec![stop.clone()],
            ..SamplingConfig::greedy(6)
        };
        let out = generate(&m, Some(&tok), std::slice::from_ref(&prompt), &cfg).unwrap();
        assert_eq!(out[0].finish, FinishReason::StopString(stop));
        assert_eq!(out[0].stop_at, Some(0));
        assert!(out[0].token_ids.len() <= c.token_ids.len());
    }
}

#[test]
fn chat_template_and_plain_fallback() {
    let (_, mut tok) = model();
    let msgs = [stepcoder_model::ChatMessage::user("hi")];
    let s = tok.apply_chat_template(&msgs, true).unwrap();
    assert_eq!(s, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    let ids = tok.encode_chat_prompt("hi").unwrap();
    assert_eq!(ids[0], 258, "the special token is matched whole");
    tok.chat_template = None;
    assert_eq!(
        tok.apply_chat_template(&msgs, true).unwrap(),
        "user: hi\nassistant:"
    );
}

#[test]
fn cache_of_a_trainable_model_holds_no_graph() {
    // Sampling from the trainable policy must not chain every step's activations together
    // through the cache (memory grew without bound); the training forward still tracks.
    let (m, tok) = model();
    assert!(m.is_trainable());
    let ids = Tensor::new(
        tok.encode("the cat", false).unwrap().as_slice(),
        &Device::Cpu,
    )
    .unwrap()
    .unsqueeze(0)
    .unwrap();
    let mut cache = m.new_cache();
    let first = m.forward_hidden(&ids, None, Some(&mut cache)).unwrap();
    assert!(first.track_op(), "the step itself stays differentiable");
    let next = ids.narrow(1, 0, 1).unwrap();
    m.forward_hidden(&next, None, Some(&mut cache)).unwrap();
    assert_eq!(cache.seq_len(), ids.dim(1).unwrap() + 1);
    for layer in 0..m.config().num_hidden_layers {
        let (k, v) = cache.layer(layer).unwrap();
        assert!(
            !k.track_op() && !v.track_op(),
            "layer {layer} keeps a graph"
        );
    }
}

/// Rows with the same prompt share one prefill, and rows leave the batch as they stop: each
/// row still gets what it gets alone (greedy), per-row stop strings included, and sampling
/// with the prefill shared gives the samples of per-row prefill.
#[test]
fn shared_prefill_and_rows_leaving_the_batch_change_no_sample() {
    let (m, tok) = model();
    let enc = |s: &str| tok.encode(s, false).unwrap();
    let prompts = vec![enc("the cat"), enc("the cat"), enc("a"), enc("the cat")];
    let free = generate(
        &m,
        Some(&tok),
        &prompts[2..3],
        &SamplingConfig {
            eos_ids: vec![u32::MAX],
            ..SamplingConfig::greedy(10)
        },
    )
    .unwrap();
    // Row 2 stops early on a stop string of its own; the others run to the limit.
    let stop: String = free[0].text.chars().skip(1).take(1).collect();
    assert!(!stop.is_empty());
    let mut cfg = SamplingConfig {
        eos_ids: vec![u32::MAX],
        row_stop_strings: vec![vec![], vec![], vec![stop.clone()], vec![]],
        ..SamplingConfig::greedy(10)
    };
    let batch = generate(&m, Some(&tok), &prompts, &cfg).unwrap();
    assert_eq!(batch[2].finish, FinishReason::StopString(stop.clone()));
    assert!(batch[2].token_ids.len() < 10, "row 2 left the batch early");
    for (r, p) in prompts.iter().enumerate() {
        let alone_cfg = SamplingConfig {
            row_stop_strings: vec![cfg.row_stop_strings[r].clone()],
            ..cfg.clone()
        };
        let alone = generate(&m, Some(&tok), std::slice::from_ref(p), &alone_cfg).unwrap();
        assert_eq!(batch[r].token_ids, alone[0].token_ids, "row {r}");
        for (a, b) in batch[r].logprobs.iter().zip(&alone[0].logprobs) {
            assert!((a - b).abs() < 1e-4, "row {r}: log-prob {a} vs {b}");
        }
    }
    cfg.temperature = 1.0;
    cfg.seed = 9;
    let shared = generate(&m, Some(&tok), &prompts, &cfg).unwrap();
    cfg.share_prefill = false;
    let own = generate(&m, Some(&tok), &prompts, &cfg).unwrap();
    for (a, b) in shared.iter().zip(&own) {
        assert_eq!(a.token_ids, b.token_ids);
    }
    let wrong = SamplingConfig {
        row_stop_strings: vec![vec![]],
        ..cfg
    };
    assert!(generate(&m, Some(&tok), &prompts, &wrong).is_err());
}

/// The sampling cache writes each step into spare capacity and reallocates past it: over 150
/// steps (two reallocations), with a row leaving and a clone that goes its own way, every
/// step's hidden state equals the full forward's at that position, for the original and the
/// clone alike (a clone that shared the buffers would have its positions overwritten).
#[test]
fn kv_cache_grows_in_place_through_rows_leaving_and_clones() {
    let (m, _) = model();
    let dev = Device::Cpu;
    let token = |salt: usize, i: usize| ((i * 7 + salt * 13 + 3) % VOCAB) as u32;
    // Each row's last hidden state against a forward of its whole sequence without a cache.
    let check = |seqs: &[Vec<u32>], hidden: &Tensor, what: &str| {
        for (r, seq) in seqs.iter().enumerate() {
            let ids = Tensor::new(seq.as_slice(), &dev)
                .unwrap()
                .unsqueeze(0)
                .unwrap();
            let full = m.forward_hidden(&ids, None, None).unwrap();
            let want = full
                .narrow(1, seq.len() - 1, 1)
                .unwrap()
                .squeeze(0)
                .unwrap();
            let got = hidden.narrow(0, r, 1).unwrap().squeeze(0).unwrap();
            let d = max_diff(&got, &want);
            assert!(d < 1e-4, "{what}, row {r} at length {}: {d}", seq.len());
        }
    };
    // Appends one token per row (salted per cache), returns the step's hidden states.
    let step = |cache: &mut stepcoder_model::KvCache, seqs: &mut Vec<Vec<u32>>, salt: usize| {
        let next: Vec<u32> = seqs
            .iter_mut()
            .enumerate()
            .map(|(r, s)| {
                let t = token(salt + r, s.len());
                s.push(t);
                t
            })
            .collect();
        let input = Tensor::from_vec(next, (seqs.len(), 1), &dev).unwrap();
        m.forward_hidden(&input, None, Some(cache)).unwrap()
    };
    let mut seqs: Vec<Vec<u32>> = (0..3)
        .map(|r| (0..5).map(|i| token(r, i)).collect())
        .collect();
    let mut cache = m.new_cache();
    let prompt = Tensor::new(seqs.clone(), &dev).unwrap();
    m.forward_hidden(&prompt, None, Some(&mut cache)).unwrap();
    let mut forked: Option<(stepcoder_model::KvCache, Vec<Vec<u32>>)> = None;
    for n in 0..150 {
        if n == 40 {
            cache
                .select_rows(&Tensor::new(&[0u32, 2], &dev).unwrap())
                .unwrap();
            seqs.remove(1);
        }
        if n == 70 {
            forked = Some((cache.clone(), seqs.clone()));
        }
        let hidden = step(&mut cache, &mut seqs, 5);
        if n % 9 == 0 || n == 149 {
            check(&seqs, &hidden, "original");
        }
        if let Some((fork, fork_seqs)) = forked.as_mut() {
            let hidden = step(fork, fork_seqs, 9);
            if n % 9 == 0 || n == 149 {
                check(fork_seqs, &hidden, "clone");
            }
        }
    }
    assert_eq!(cache.seq_len(), 155);
    let (k, _) = cache.layer(0).unwrap();
    assert_eq!(k.dims()[..3], [2, m.config().num_kv_heads(), 155]);
}

/// The states `generate_with_hidden` keeps are, row by row and token by token, the final
/// hidden states of one forward over prompt and completion at the positions that predicted
/// each token: with the prompt prefilled once for its rows or once per row, rows of other
/// prompts (left padding) beside them, and rows that stop at different steps.
#[test]
fn kept_hidden_states_are_the_full_forward_states_that_predicted_each_token() {
    let (m, tok) = model();
    let a = tok.encode("the quick brown fox", false).unwrap();
    let b = tok.encode("x", false).unwrap();
    let prompts = vec![a.clone(), a.clone(), a, b.clone(), b];
    let mut cfg = SamplingConfig {
        max_new_tokens: 10,
        temperature: 1.0,
        seed: 9,
        eos_ids: vec![u32::MAX],
        ..Default::default()
    };
    // Rows stop at different steps: a stop string from the free-running text.
    let free = generate(&m, Some(&tok), &prompts, &cfg).unwrap();
    let stop: String = free[1].text.chars().skip(3).take(1).collect();
    cfg.stop_strings = vec![stop];
    for share_prefill in [true, false] {
        cfg.share_prefill = share_prefill;
        let plain = generate(&m, Some(&tok), &prompts, &cfg).unwrap();
        let (out, hidden) =
            generate_with_hidden(&m, Some(&tok), &prompts, &cfg, |_, _| {}).unwrap();
        assert_eq!(out, plain, "keeping the states does not change the samples");
        let lens: Vec<usize> = out.iter().map(|c| c.token_ids.len()).collect();
        assert!(
            lens.iter().any(|&n| n < 10),
            "some row stops early: {lens:?}"
        );
        assert_eq!(hidden.len(), prompts.len());
        for (r, (c, h)) in out.iter().zip(&hidden).enumerate() {
            let n = c.token_ids.len();
            assert_eq!(h.dims(), &[n, m.config().hidden_size], "row {r}");
            // The model is trainable: a state that kept its step's graph would keep every
            // activation of every step alive (12 GB more in the laptop preset).
            assert!(m.is_trainable() && !h.track_op(), "row {r} keeps a graph");
            let mut all = c.prompt_ids.clone();
            all.extend(&c.token_ids);
            let ids = Tensor::new(all.as_slice(), &Device::Cpu)
                .unwrap()
                .unsqueeze(0)
                .unwrap();
            let full = m
                .forward_hidden(&ids, None, None)
                .unwrap()
                .squeeze(0)
                .unwrap();
            let want = full.narrow(0, c.prompt_ids.len() - 1, n).unwrap();
            let diff = max_diff(h, &want);
            assert!(
                diff < 1e-4,
                "share_prefill {share_prefill}, row {r}: differs by {diff}"
            );
            // And they are what the tokens were sampled from (temperature 1: the log-probs).
            let lsm =
                stepcoder_model::candle_nn::ops::log_softmax(&m.logits(h).unwrap(), 1).unwrap();
            for (i, &t) in c.token_ids.iter().enumerate() {
                let lp: f32 = lsm
                    .get(i)
                    .unwrap()
                    .get(t as usize)
                    .unwrap()
                    .to_scalar()
                    .unwrap();
                assert!((lp - c.logprobs[i]).abs() < 1e-4, "row {r} token {i}");
            }
        }
    }
}
