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
    /// Prefill each distinct prompt once; the rows that share it (k samples of one problem)
    /// attend to that one copy of its keys and values ([`KvCache::share_prefix`]). Off, every
    /// row prefills and keeps its own copy (the same samples up to float rounding, k times
    /// the prefill cost).
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
        let rng = self
            .rngs
            .get_mut(row)
            .ok_or_else(|| ModelError::Input(format!("sampler has no row {row}")))?;
        let vocab = logits.len();
        if self.top_k == 0 && self.top_p >= 1.0 {
            // The whole distribution: no ordering needed.
            let probs: Vec<f32> = (0..vocab).map(|i| logprob(i).exp()).collect();
            let mut u = rng.random::<f32>() * probs.iter().sum::<f32>();
            let mut choice = probs.iter().rposition(|&p| p > 0.0).unwrap_or(0);
            for (i, p) in probs.iter().enumerate() {
                if u < *p {
                    choice = i;
                    break;
                }
                u -= p;
            }
            return Ok((choice as u32, logprob(choice)));
        }
        // The most likely tokens first. Only the head of the order is needed (the top k, or
        // the nucleus, which is short for any peaked distribution): select the best `want`
        // in linear time, sort only those, and widen until the nucleus fits.
        let by_logit = |a: &usize, b: &usize| logits[*b].total_cmp(&logits[*a]);
        let mut idx: Vec<usize> = (0..vocab).collect();
        let limit = if self.top_k > 0 {
            self.top_k.min(vocab)
        } else {
            vocab
        };
        let mut want = limit.min(64);
        let (keep, probs) = loop {
            if want < vocab {
                idx.select_nth_unstable_by(want - 1, by_logit);
            }
            idx[..want].sort_unstable_by(by_logit);
            let probs: Vec<f32> = idx[..want].iter().map(|&i| logprob(i).exp()).collect();
            let mut keep = want;
            let mut reached = self.top_p >= 1.0;
            if !reached {
                let mut cum = 0.0;
                for (n, p) in probs.iter().enumerate() {
                    cum += p;
                    if cum >= self.top_p {
                        keep = n + 1;
                        reached = true;
                        break;
                    }
                }
            }
            if reached || want == limit {
                break (keep, probs);
            }
            want = (want * 4).min(limit);
        };
        let total: f32 = probs[..keep].iter().sum();
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
    on_finish: impl FnMut(usize, &Completion),
) -> Result<Vec<Completion>> {
    Ok(sample(model, tokenizer, prompts, cfg, on_finish, false)?.0)
}

/// [`generate_with`], also returning each row's final hidden states (what
/// [`CausalLm::logits`] and a value head take) at the positions that predicted its tokens:
/// `[n, H]` for a row of `n` tokens, row `i` the state that token `i` was sampled from.
///
/// The sampling model already computed them, so a trainer can score the sampling policy
/// (log-probs of the taken tokens, values) from them instead of running it over every
/// completion again: the same numbers up to float rounding (the cached decode adds in
/// another order than one forward over the whole sequence).
pub fn generate_with_hidden(
    model: &CausalLm,
    tokenizer: Option<&ModelTokenizer>,
    prompts: &[Vec<u32>],
    cfg: &SamplingConfig,
    on_finish: impl FnMut(usize, &Completion),
) -> Result<(Vec<Completion>, Vec<Tensor>)> {
    let (out, hidden) = sample(model, tokenizer, prompts, cfg, on_finish, true)?;
    Ok((out, hidden.unwrap_or_default()))
}

/// The sampling loop of [`generate_with`]; with `keep_hidden`, also each row's hidden states
/// ([`generate_with_hidden`]).
fn sample(
    model: &CausalLm,
    tokenizer: Option<&ModelTokenizer>,
    prompts: &[Vec<u32>],
    cfg: &SamplingConfig,
    mut on_finish: impl FnMut(usize, &Completion),
    keep_hidden: bool,
) -> Result<(Vec<Completion>, Option<Vec<Tensor>>)> {
    let b = prompts.len();
    if b == 0 {
        return Ok((Vec::new(), keep_hidden.then(Vec::new)));
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
    // One prefill per distinct prompt: k samples of one problem share it (a shared prefix
    // of the cache, below).
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
    // Each decoding step's last position: the states that predict the next tokens (kept
    // with `keep_hidden`) and their logits.
    let mut kept = keep_hidden.then(|| KeptStates::new(b));
    let last_logits =
        |hidden: &Tensor, kept: &mut Option<KeptStates>| -> Result<(usize, Vec<Vec<f32>>)> {
            let t = hidden.dim(1)?;
            let last = hidden.narrow(1, t - 1, 1)?;
            let first = match kept.as_mut() {
                Some(k) => k.push(last.squeeze(1)?)?,
                None => 0,
            };
            let logits = model
                .logits(&last)?
                .squeeze(1)?
                .to_dtype(DType::F32)?
                .to_vec2::<f32>()?;
            Ok((first, logits))
        };
    let u = unique.len();
    let mask_t = Tensor::from_vec(unique_mask.clone(), (u, len), dev)?;
    let input = Tensor::from_vec(ids, (u, len), dev)?;
    // Each forward runs inside candle's CPU thread pool (`Device::with_context`): a decoding
    // step's ~250 parallel sections (weight products, attention) then start from a pool
    // thread, instead of handing work to the pool and waking this thread after each one.
    // Decoding steps of 8 rows on 2 prompts of 400 tokens, 2 cores, both ways alternating in
    // one process: 12-15% faster.
    // The prefill's states are the distinct prompts', each shared by its rows.
    let (_, prefill_logits) = dev.with_context(|| {
        let hidden = model.forward_hidden(&input, Some(&mask_t), Some(&mut cache))?;
        last_logits(&hidden, &mut kept)
    })?;
    // `active[i]` is the row at batch position `i`; finished rows leave the batch (and the
    // cache), so the cost of a step follows the rows still sampling.
    let mut active: Vec<usize> = (0..b).collect();
    let rows_t = |rows: Vec<u32>| {
        let n = rows.len();
        Tensor::from_vec(rows, n, dev)
    };
    // A prompt that several rows share stays in the cache once (a shared prefix), its rows
    // consecutive; the rows then attend to it without a copy each and need no mask over it.
    let shared = u < b;
    let mut mask: Vec<u32> = Vec::with_capacity(b * len);
    if shared {
        active.sort_by_key(|&r| source[r]);
        let prompt_mask: Vec<Vec<u32>> = unique_mask.chunks(len).map(|m| m.to_vec()).collect();
        cache.share_prefix(
            active.iter().map(|&r| source[r]).collect(),
            Some(&prompt_mask),
        )?;
    } else {
        for &src in &source {
            mask.extend_from_slice(&unique_mask[src * len..(src + 1) * len]);
        }
    }
    let mut total = len;
    let mut done = vec![false; b];
    // The last step's logits, and where its states start among the kept ones.
    let mut step_logits: Option<(usize, Vec<Vec<f32>>)> = None;
    for step in 0..cfg.max_new_tokens {
        let mut next = Vec::with_capacity(active.len());
        for (i, &r) in active.iter().enumerate() {
            let (logits, state) = match &step_logits {
                Some((first, l)) => (&l[i], first + i),
                None => (&prefill_logits[source[r]], source[r]),
            };
            if let Some(k) = kept.as_mut() {
                k.note(r, state);
            }
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
            if !shared {
                mask = keep
                    .iter()
                    .flat_map(|&i| mask[i * total..(i + 1) * total].iter().copied())
                    .collect();
            }
            next = keep.iter().map(|&i| next[i]).collect();
            active = keep.iter().map(|&i| active[i]).collect();
        }
        let n = active.len();
        let input = Tensor::from_vec(next, (n, 1), dev)?;
        let mask_t = if shared {
            None
        } else {
            let mut new_mask = Vec::with_capacity(n * (total + 1));
            for i in 0..n {
                new_mask.extend_from_slice(&mask[i * total..(i + 1) * total]);
                new_mask.push(1);
            }
            mask = new_mask;
            total += 1;
            Some(Tensor::from_vec(mask.clone(), (n, total), dev)?)
        };
        step_logits = Some(dev.with_context(|| {
            let hidden = model.forward_hidden(&input, mask_t.as_ref(), Some(&mut cache))?;
            last_logits(&hidden, &mut kept)
        })?);
    }
    for (r, c) in out.iter_mut().enumerate() {
        if !done[r] {
            finish(c)?;
            on_finish(r, c);
        }
    }
    let hidden = kept.map(|k| k.per_row(dev)).transpose()?;
    Ok((out, hidden))
}

/// The hidden states a sampling run computed at each step's last position, and which of
/// them each row's tokens were sampled from.
struct KeptStates {
    /// `[n, H]` per forward, in order.
    parts: Vec<Tensor>,
    /// States so far (the rows of `parts`).
    len: usize,
    /// Per row, the index of each of its tokens' states in the concatenation of `parts`.
    of_row: Vec<Vec<u32>>,
}

impl KeptStates {
    fn new(rows: usize) -> Self {
        KeptStates {
            parts: Vec::new(),
            len: 0,
            of_row: vec![Vec::new(); rows],
        }
    }

    /// Keeps a forward's `[n, H]` states (detached: a trainable model's step keeps its graph,
    /// every activation of the step, for as long as its output lives); returns the index of
    /// its first.
    fn push(&mut self, states: Tensor) -> Result<usize> {
        let first = self.len;
        self.len += states.dim(0)?;
        self.parts.push(states.detach());
        Ok(first)
    }

    /// Row `row`'s next token was sampled from state `state`.
    fn note(&mut self, row: usize, state: usize) {
        self.of_row[row].push(state as u32);
    }

    /// Each row's states, `[n, H]`.
    fn per_row(self, dev: &candle_core::Device) -> Result<Vec<Tensor>> {
        let all = Tensor::cat(&self.parts, 0)?;
        self.of_row
            .into_iter()
            .map(|ix| {
                let n = ix.len();
                Ok(all.index_select(&Tensor::from_vec(ix, n, dev)?, 0)?)
            })
            .collect()
    }
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
    fn draws(cfg: &SamplingConfig, logits: &[f32], n: usize) -> Vec<u32> {
        let mut s = Sampler::new(cfg, 1);
        (0..n).map(|_| s.sample(0, logits).unwrap().0).collect()
    }

    /// The sampler draws from the tempered distribution, restricted to the top k or to the
    /// nucleus; a nucleus longer than the first selection (64 tokens) is found whole.
    #[test]
    fn sampler_draws_from_the_distribution_its_top_k_and_its_nucleus() {
        let cfg = SamplingConfig {
            temperature: 1.0,
            seed: 3,
            ..Default::default()
        };
        let probs = [0.1f32, 0.7, 0.2];
        let logits: Vec<f32> = probs.iter().map(|p| p.ln()).collect();
        let n = 20_000;
        let got = draws(&cfg, &logits, n);
        for (i, p) in probs.iter().enumerate() {
            let f = got.iter().filter(|&&t| t == i as u32).count() as f32 / n as f32;
            assert!(
                (f - p).abs() < 0.02,
                "token {i}: frequency {f}, probability {p}"
            );
        }
        // 1,000 tokens, slowly decreasing probability, in a scrambled order.
        let vocab = 1000usize;
        let rank = |i: usize| (i * 389) % vocab;
        let logits: Vec<f32> = (0..vocab).map(|i| -0.002 * rank(i) as f32).collect();
        let top_k = SamplingConfig {
            top_k: 5,
            ..cfg.clone()
        };
        assert!(draws(&top_k, &logits, 2000)
            .iter()
            .all(|&t| rank(t as usize) < 5));
        let weights: Vec<f64> = (0..vocab).map(|r| (-0.002 * r as f64).exp()).collect();
        let z: f64 = weights.iter().sum();
        let mut cum = 0.0;
        let nucleus = 1 + weights
            .iter()
            .position(|w| {
                cum += w / z;
                cum >= 0.5
            })
            .unwrap();
        assert!(
            nucleus > 64,
            "the nucleus ({nucleus}) is longer than one selection"
        );
        let top_p = SamplingConfig { top_p: 0.5, ..cfg };
        let ranks: Vec<usize> = draws(&top_p, &logits, 4000)
            .iter()
            .map(|&t| rank(t as usize))
            .collect();
        assert!(
            ranks.iter().all(|&r| r < nucleus + 1),
            "only the nucleus is drawn"
        );
        assert!(ranks.iter().any(|&r| r >= 64) && ranks.iter().any(|&r| r + 10 >= nucleus));
    }

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
