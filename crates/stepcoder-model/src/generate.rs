//! Batched sampling with a KV cache: left padding, per-row stop, temperature / top-k / top-p,
//! seeded per-row RNGs, and the log-probs and byte offsets of the sampled tokens.

use crate::model::{CausalLm, KvCache};
use crate::tokenizer::ModelTokenizer;
use crate::{ModelError, Result};
use candle_core::{DType, Tensor, D};
use rand::{Rng, SeedableRng};

/// How to sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingConfig {
    pub max_new_tokens: usize,
    /// 0 means greedy (argmax).
    pub temperature: f32,
    /// Nucleus sampling: keep the smallest set of tokens with this much mass (1.0 = off).
    pub top_p: f32,
    /// Keep only the k most likely tokens (0 = off).
    pub top_k: usize,
    /// Row `i` uses an RNG seeded from `(seed, i)`: a row's sample does not depend on the
    /// other rows in the batch.
    pub seed: u64,
    /// Ids that end a row (the tokenizer's EOS ids when empty and a tokenizer is given).
    pub eos_ids: Vec<u32>,
    /// A row also stops once its decoded text contains one of these.
    pub stop_strings: Vec<String>,
    /// Extra stop strings per row (empty, or one list per prompt): a batch can mix problems
    /// whose code ends differently (`stepcoder_core::prompt::stop_sequences`).
    pub row_stop_strings: Vec<Vec<String>>,
    /// Prefill each distinct prompt once and copy its keys and values to the rows that share
    /// it (k samples of one problem). Off, every row prefills its own copy (the same samples
    /// up to float rounding, k times the prefill cost).
    pub share_prefill: bool,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        SamplingConfig {
            max_new_tokens: 128,
            temperature: 1.0,
            top_p: 1.0,
            top_k: 0,
            seed: 0,
            eos_ids: Vec::new(),
            stop_strings: Vec::new(),
            row_stop_strings: Vec::new(),
            share_prefill: true,
        }
    }
}

impl SamplingConfig {
    pub fn greedy(max_new_tokens: usize) -> Self {
        SamplingConfig {
            max_new_tokens,
            temperature: 0.0,
            ..Default::default()
        }
    }
}

/// Why a row stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    /// An EOS id was sampled (it is the last entry of `token_ids`).
    Eos,
    /// The text contains this stop string (it starts at `Completion::stop_at`).
    StopString(String),
    /// `max_new_tokens` reached.
    Length,
}

/// One sampled completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The prompt's ids (unpadded).
    pub prompt_ids: Vec<u32>,
    /// The sampled ids, EOS included when it was sampled.
    pub token_ids: Vec<u32>,
    /// `log p(token)` under the sampling distribution before truncation: `logits / T` for
    /// T > 0, the raw logits for greedy.
    pub logprobs: Vec<f32>,
    /// The completion text (special tokens skipped); empty without a tokenizer.
    pub text: String,
    /// Byte range of each token in `text` (see `ModelTokenizer::decode_with_offsets`).
    pub token_offsets: Vec<(usize, usize)>,
    pub finish: FinishReason,
    /// Byte offset in `text` where the stop string begins, if one stopped the row.
    pub stop_at: Option<usize>,
}

/// Per-row token choice from logits.
#[derive(Debug, Clone)]
pub struct Sampler {
    temperature: f32,
    top_p: f32,
    top_k: usize,
    rngs: Vec<rand::rngs::StdRng>,
}

impl Sampler {
    pub fn new(cfg: &SamplingConfig, rows: usize) -> Self {
        let rngs = (0..rows)
            .map(|r| {
                rand::rngs::StdRng::seed_from_u64(
                    cfg.seed ^ (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                )
            })
            .collect();
        Sampler {
            temperature: cfg.temperature,
            top_p: cfg.top_p,
            top_k: cfg.top_k,
            rngs,
        }
    }

    /// Choose a token for `row` from its logits; returns `(token, logprob)`.
    pub fn sample(&mut self, row: usize, logits: &[f32]) -> Result<(u32, f32)> {
        if logits.is_empty() {
            return Err(ModelError::Input("empty logits".into()));
        }
        let t = if self.temperature > 0.0 {
            self.temperature
        } else {
            1.0
        };
        let m = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let lse = m / t + logits.iter().map(|l| ((l - m) / t).exp()).sum::<f32>().ln();
        let logprob = |i: usize| logits[i] / t - lse;
        if self.temperature <= 0.0 {
            let mut best = 0;
            for (i, l) in logits.iter().enumerate() {
                if *l > logits[best] {
                    best = i;
                }
            }
            return Ok((best as u32, logprob(best)));
        }
        let mut idx: Vec<usize> = (0..logits.len()).collect();
        idx.sort_unstable_by(|a, b| logits[*b].total_cmp(&logits[*a]));
        let mut keep = idx.len();
        if self.top_k > 0 {
            keep = keep.min(self.top_k);
        }
        let probs: Vec<f32> = idx[..keep].iter().map(|&i| logprob(i).exp()).collect();
        if self.top_p < 1.0 {
            let mut cum = 0.0;
            for (n, p) in probs.iter().enumerate() {
                cum += p;
                if cum >= self.top_p {
                    keep = n + 1;
                    break;
                }
            }
        }
        let total: f32 = probs[..keep].iter().sum();
        let rng = self
            .rngs
            .get_mut(row)
            .ok_or_else(|| ModelError::Input(format!("sampler has no row {row}")))?;
        let mut u = rng.random::<f32>() * total;
        let mut choice = idx[keep - 1];
        for (n, p) in probs[..keep].iter().enumerate() {
            if u < *p {
                choice = idx[n];
                break;
            }
            u -= p;
        }
        Ok((choice as u32, logprob(choice)))
    }
}

/// Left-pad prompts: returns `(ids (b, L), mask (b, L))`.
pub fn left_pad(prompts: &[Vec<u32>], pad_id: u32) -> Result<(Vec<u32>, Vec<u32>, usize)> {
    let len = prompts.iter().map(|p| p.len()).max().unwrap_or(0);
    if len == 0 || prompts.iter().any(|p| p.is_empty()) {
        return Err(ModelError::Input(
            "every prompt needs at least one token".into(),
        ));
    }
    let mut ids = Vec::with_capacity(prompts.len() * len);
    let mut mask = Vec::with_capacity(prompts.len() * len);
    for p in prompts {
        let pad = len - p.len();
        ids.extend(std::iter::repeat_n(pad_id, pad));
        mask.extend(std::iter::repeat_n(0u32, pad));
        ids.extend_from_slice(p);
        mask.extend(std::iter::repeat_n(1u32, p.len()));
    }
    Ok((ids, mask, len))
}

/// Sample completions for a batch of tokenized prompts (left-padded together, one KV cache).
///
/// With a tokenizer, texts, offsets and stop strings are filled in; without one, only ids and
/// log-probs (and EOS from `cfg.eos_ids`).
pub fn generate(
    model: &CausalLm,
    tokenizer: Option<&ModelTokenizer>,
    prompts: &[Vec<u32>],
    cfg: &SamplingConfig,
) -> Result<Vec<Completion>> {
    generate_with(model, tokenizer, prompts, cfg, |_, _| {})
}

/// [`generate`], telling `on_finish(row, completion)` about each row as soon as it is done
/// (EOS or a stop string, at the decoding step that ended it; rows that reach
/// `max_new_tokens` at the end), so a caller can start on early rows (run their programs)
/// while the rest are still being sampled. Each row is reported exactly once, finished:
/// the completion passed is the one returned at index `row`. Rows that finish at the same
/// step are reported in row order. The samples do not depend on `on_finish`.
pub fn generate_with(
    model: &CausalLm,
    tokenizer: Option<&ModelTokenizer>,
    prompts: &[Vec<u32>],
    cfg: &SamplingConfig,
    mut on_finish: impl FnMut(usize, &Completion),
) -> Result<Vec<Completion>> {
    let b = prompts.len();
    if b == 0 {
        return Ok(Vec::new());
    }
    if !cfg.row_stop_strings.is_empty() && cfg.row_stop_strings.len() != b {
        return Err(ModelError::Input(format!(
            "row_stop_strings has {} lists for {b} prompts",
            cfg.row_stop_strings.len()
        )));
    }
    let stops_of = |r: usize| {
        cfg.stop_strings
            .iter()
            .chain(cfg.row_stop_strings.get(r).into_iter().flatten())
    };
    let longest_stop = (0..b)
        .flat_map(stops_of)
        .map(|s| s.len())
        .max()
        .unwrap_or(0);
    let eos: Vec<u32> = if cfg.eos_ids.is_empty() {
        tokenizer.map(|t| t.eos_ids.clone()).unwrap_or_default()
    } else {
        cfg.eos_ids.clone()
    };
    let pad_id = tokenizer
        .map(|t| t.pad_id)
        .or_else(|| eos.first().copied())
        .unwrap_or(0);
    let dev = model.device();
    // One prefill per distinct prompt: k samples of one problem share it, and the prompt's
    // keys and values are copied to their k rows afterwards.
    let mut first_of: std::collections::HashMap<&[u32], usize> = Default::default();
    let mut unique: Vec<Vec<u32>> = Vec::new();
    let source: Vec<usize> = prompts
        .iter()
        .map(|p| {
            if !cfg.share_prefill {
                unique.push(p.clone());
                return unique.len() - 1;
            }
            *first_of.entry(p.as_slice()).or_insert_with(|| {
                unique.push(p.clone());
                unique.len() - 1
            })
        })
        .collect();
    let (ids, unique_mask, len) = left_pad(&unique, pad_id)?;
    let mut cache: KvCache = model.new_cache();
    let mut sampler = Sampler::new(cfg, b);
    let mut out: Vec<Completion> = prompts
        .iter()
        .map(|p| Completion {
            prompt_ids: p.clone(),
            token_ids: Vec::new(),
            logprobs: Vec::new(),
            text: String::new(),
            token_offsets: Vec::new(),
            finish: FinishReason::Length,
            stop_at: None,
        })
        .collect();
    // Decode the text once a row is done (its tokens no longer change).
    let finish = |c: &mut Completion| -> Result<()> {
        if let Some(tk) = tokenizer {
            let (text, offsets) = tk.decode_with_offsets(&c.token_ids)?;
            if let FinishReason::StopString(s) = &c.finish {
                c.stop_at = text.find(s.as_str());
            }
            c.text = text;
            c.token_offsets = offsets;
        }
        Ok(())
    };
    let last_logits = |hidden: &Tensor| -> Result<Vec<Vec<f32>>> {
        let t = hidden.dim(1)?;
        Ok(model
            .logits(&hidden.narrow(1, t - 1, 1)?)?
            .squeeze(1)?
            .to_dtype(DType::F32)?
            .to_vec2::<f32>()?)
    };
    let u = unique.len();
    let mask_t = Tensor::from_vec(unique_mask.clone(), (u, len), dev)?;
    let input = Tensor::from_vec(ids, (u, len), dev)?;
    let hidden = model.forward_hidden(&input, Some(&mask_t), Some(&mut cache))?;
    let prefill_logits = last_logits(&hidden)?;
    // `active[i]` is the row at batch position `i`; finished rows leave the batch (and the
    // cache), so the cost of a step follows the rows still sampling.
    let mut active: Vec<usize> = (0..b).collect();
    let mut mask: Vec<u32> = Vec::with_capacity(b * len);
    for &src in &source {
        mask.extend_from_slice(&unique_mask[src * len..(src + 1) * len]);
    }
    let rows_t = |rows: Vec<u32>| {
        let n = rows.len();
        Tensor::from_vec(rows, n, dev)
    };
    if u < b {
        cache.select_rows(&rows_t(source.iter().map(|&s| s as u32).collect())?)?;
    }
    let mut done = vec![false; b];
    let mut total = len;
    let mut step_logits: Option<Vec<Vec<f32>>> = None;
    for step in 0..cfg.max_new_tokens {
        let mut next = Vec::with_capacity(active.len());
        for (i, &r) in active.iter().enumerate() {
            let logits = match &step_logits {
                Some(l) => &l[i],
                None => &prefill_logits[source[r]],
            };
            let (tok, lp) = sampler.sample(r, logits)?;
            next.push(tok);
            let c = &mut out[r];
            c.token_ids.push(tok);
            c.logprobs.push(lp);
            if eos.contains(&tok) {
                c.finish = FinishReason::Eos;
                done[r] = true;
            } else if let (Some(tk), true) = (tokenizer, stops_of(r).next().is_some()) {
                // Only the tail can contain a new match: decode a window of recent tokens.
                let window = c.token_ids.len().min(16 + longest_stop);
                let tail = tk.decode(&c.token_ids[c.token_ids.len() - window..], true)?;
                if let Some(s) = stops_of(r).find(|s| tail.contains(s.as_str())) {
                    c.finish = FinishReason::StopString(s.clone());
                    done[r] = true;
                }
            }
            if done[r] {
                finish(c)?;
                on_finish(r, c);
            }
        }
        if step + 1 == cfg.max_new_tokens {
            break;
        }
        if active.iter().any(|&r| done[r]) {
            let keep: Vec<usize> = (0..active.len()).filter(|&i| !done[active[i]]).collect();
            if keep.is_empty() {
                break;
            }
            cache.select_rows(&rows_t(keep.iter().map(|&i| i as u32).collect())?)?;
            mask = keep
                .iter()
                .flat_map(|&i| mask[i * total..(i + 1) * total].iter().copied())
                .collect();
            next = keep.iter().map(|&i| next[i]).collect();
            active = keep.iter().map(|&i| active[i]).collect();
        }
        let n = active.len();
        let mut new_mask = Vec::with_capacity(n * (total + 1));
        for i in 0..n {
            new_mask.extend_from_slice(&mask[i * total..(i + 1) * total]);
            new_mask.push(1);
        }
        mask = new_mask;
        total += 1;
        let mask_t = Tensor::from_vec(mask.clone(), (n, total), dev)?;
        let input = Tensor::from_vec(next, (n, 1), dev)?;
        let hidden = model.forward_hidden(&input, Some(&mask_t), Some(&mut cache))?;
        step_logits = Some(last_logits(&hidden)?);
    }
    for (r, c) in out.iter_mut().enumerate() {
        if !done[r] {
            finish(c)?;
            on_finish(r, c);
        }
    }
    Ok(out)
}

/// Argmax token ids of `(b, t, vocab)` logits (the reference greedy decoding is tested against).
pub fn argmax_last_dim(logits: &Tensor) -> Result<Tensor> {
    Ok(logits.to_dtype(DType::F32)?.argmax(D::Minus1)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{tiny_config, tiny_tokenizer};
    use candle_core::Device;

    /// Each row is reported once, finished, in the order rows stop, and the reports are the
    /// returned completions; sampling does not change because a callback is given.
    #[test]
    fn generate_with_reports_each_row_when_it_finishes() {
        let cfg = tiny_config();
        let tok = tiny_tokenizer(&cfg).unwrap();
        let m = CausalLm::random(cfg, DType::F32, &Device::Cpu, 11).unwrap();
        let prompts: Vec<Vec<u32>> = ["x", "the cat", "a", "def f"]
            .iter()
            .map(|p| tok.encode(p, false).unwrap())
            .collect();
        let mut sampling = SamplingConfig {
            max_new_tokens: 12,
            temperature: 1.0,
            seed: 5,
            eos_ids: vec![u32::MAX],
            ..Default::default()
        };
        // Make rows stop at different steps: a stop string from the free-running text.
        let free = generate(&m, Some(&tok), &prompts, &sampling).unwrap();
        let stop: String = free[1].text.chars().skip(2).take(1).collect();
        assert!(!stop.is_empty());
        sampling.stop_strings = vec![stop];
        let plain = generate(&m, Some(&tok), &prompts, &sampling).unwrap();
        let mut seen: Vec<(usize, Completion)> = Vec::new();
        let out = generate_with(&m, Some(&tok), &prompts, &sampling, |r, c| {
            seen.push((r, c.clone()))
        })
        .unwrap();
        assert_eq!(out, plain, "the callback does not change the samples");
        let mut rows: Vec<usize> = seen.iter().map(|(r, _)| *r).collect();
        for (r, c) in &seen {
            assert_eq!(c, &out[*r], "row {r} is reported finished");
        }
        // Reported in order of the step that ended them (length-limited rows last).
        let ends: Vec<usize> = seen
            .iter()
            .map(|(_, c)| match c.finish {
                FinishReason::Length => usize::MAX,
                _ => c.token_ids.len(),
            })
            .collect();
        assert!(ends.windows(2).all(|w| w[0] <= w[1]), "{ends:?}");
        assert!(
            out.iter().any(|c| c.finish != FinishReason::Length),
            "some row stops early"
        );
        rows.sort_unstable();
        assert_eq!(rows, vec![0, 1, 2, 3], "each row exactly once");
    }
}
