//! The PPO trainer: rollouts (curriculum prompt, sampling, execution, reward, FGO mask), then
//! PPO epochs over minibatches, checkpoints that resume exactly.
//!
//! Randomness is a function of `(seed, step, epoch)` only (sampling seeds and minibatch
//! shuffles), so the RNG state of a run is its seed and step counter, both checkpointed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use stepcoder_core::prompt::{code_prompt, prompt_prefix, stop_sequences, CODE_FENCE_CLOSE};
use stepcoder_core::{
    execute_with_retry, CompletionSpan, CoreError, CurriculumSchedule, ExecReport, Executor,
    Problem, RewardFn, TokenMasker,
};
use stepcoder_fgo::{FenceMode, Program};
use stepcoder_model::{
    generate_with, generate_with_hidden, CausalLm, ChatMessage, Completion, KvCache,
    ModelTokenizer, SamplingConfig, ValueHead,
};

use crate::atomic::{ensure_finite, save_tensors_atomic, write_atomic};
use crate::{
    clip_grad_norm, masked_mean, policy_loss, policy_stats, token_entropy, value_loss, AdamW,
    AdamWConfig, AdvantageEstimator, AdvantageInput, Advantages, Gae, GradAccumulator, Gradients,
    GroupBaseline, KlController, LossConfig, LrSchedule, MetricsLog, OutcomeCounts, ParamGroup,
    PolicyStats, PpoError, Result, RewardNormalizer, RolloutSample, SampleLog, StepMetrics,
    TimeSplit,
};

/// Which advantage estimator to use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AdvantageKind {
    Gae(Gae),
    Group(GroupBaseline),
}

impl AdvantageKind {
    pub fn build(&self) -> Box<dyn AdvantageEstimator> {
        match *self {
            AdvantageKind::Gae(g) => Box::new(g),
            AdvantageKind::Group(g) => Box::new(g),
        }
    }
}

/// Everything that shapes a run (saved in each checkpoint; a resume uses the saved copy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PpoConfig {
    pub problems_per_step: usize,
    /// Rollouts per problem (16 in the paper).
    pub samples_per_problem: usize,
    pub max_new_tokens: usize,
    pub temperature: f32,
    pub top_p: f32,
    pub ppo_epochs: usize,
    /// Rows (completions) per minibatch.
    pub minibatch_rows: usize,
    /// Minibatches whose gradients are averaged into one optimizer update.
    pub grad_accum: usize,
    /// Global gradient-norm clip (0 disables it).
    pub max_grad_norm: f64,
    pub policy_lr: LrSchedule,
    pub critic_lr: LrSchedule,
    pub adamw: AdamWConfig,
    pub loss: LossConfig,
    pub kl: KlController,
    pub reward_norm: RewardNormalizer,
    pub advantage: AdvantageKind,
    /// How the program is found in a completion; must match the masker's.
    pub fence: FenceMode,
    /// Compute each prompt once for the samples that share it: once per problem in sampling
    /// and scoring, once per minibatch in the training forward (exact: the same numbers up
    /// to float rounding; the trainer's `Rollout::windows`). Off, every row carries its own
    /// copy of the prompt.
    #[serde(default = "default_true")]
    pub share_prompt: bool,
    /// With `share_prompt`, run the completions that share a prompt packed into sequences of
    /// at most this many tokens in scoring and training, so a forward costs their real
    /// tokens rather than every row padded to the batch's longest (exact as well). A pack's
    /// attention scores between its completions are computed and masked out: they take
    /// `heads x pack x (prompt + pack)` floats per layer, about 50 MB at 1024 tokens with 9
    /// heads and a 400-token prompt, kept for the backward in training. 0 pads rows instead.
    #[serde(default = "default_pack_tokens")]
    pub pack_tokens: usize,
    /// Take the sampling policy's log-probs and values (PPO's old ones) from the hidden
    /// states that sampling computed ([`stepcoder_model::generate_with_hidden`]) instead of
    /// running the policy over every rollout again: the same weights at the same positions,
    /// so the same numbers up to float rounding. Scoring then runs only the reference. Off,
    /// scoring runs the policy as well.
    #[serde(default = "default_true")]
    pub score_from_sampling: bool,
    pub system_prompt: Option<String>,
    pub seed: u64,
}

impl Default for PpoConfig {
    fn default() -> Self {
        PpoConfig {
            problems_per_step: 4,
            samples_per_problem: 4,
            max_new_tokens: 256,
            temperature: 0.8,
            top_p: 0.9,
            ppo_epochs: 1,
            minibatch_rows: 8,
            grad_accum: 1,
            max_grad_norm: 1.0,
            policy_lr: LrSchedule::constant(5e-7),
            critic_lr: LrSchedule::constant(1.5e-6),
            adamw: AdamWConfig::default(),
            loss: LossConfig::default(),
            kl: KlController::Fixed { beta: 0.05 },
            reward_norm: RewardNormalizer::default(),
            advantage: AdvantageKind::Gae(Gae::default()),
            fence: FenceMode::Continuation,
            share_prompt: true,
            pack_tokens: default_pack_tokens(),
            score_from_sampling: true,
            system_prompt: None,
            seed: 0,
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_pack_tokens() -> usize {
    1024
}

/// The pieces a run is composed of, through the core traits.
pub struct Components {
    pub executor: Arc<dyn Executor>,
    pub reward: Box<dyn RewardFn>,
    pub curriculum: Box<dyn CurriculumSchedule>,
    pub masker: Box<dyn TokenMasker>,
}

/// What a checkpoint's `trainer.json` holds besides the tensors.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TrainerState {
    config: PpoConfig,
    step: u64,
    cursor: usize,
    kl: KlController,
    reward_norm: RewardNormalizer,
    curriculum: serde_json::Value,
    history: Vec<StepMetrics>,
}

/// One rollout batch. Every row's completion is predicted from a window of `R` positions
/// (the prompt's last token, then the completion right-padded to the longest, `R` tokens),
/// so log-probs, values, advantages and losses are laid out as `[B, R]` instead of the whole
/// sequence. Packed windows ([`WindowLayout::Packed`]) run the model and the LM head on the
/// real positions only and come back to `[B, R]` through [`Windows::to_rows`].
struct Rollout {
    /// Each row's prompt, as an index into `prompts`; rows of one problem share one.
    prompt_of: Vec<usize>,
    prompts: Vec<Vec<u32>>,
    /// Each row's completion tokens (unpadded).
    completions: Vec<Vec<u32>>,
    pad: u32,
    /// The completion tokens `[B, R]` (padding where `resp_mask` is 0).
    targets: Tensor,
    resp_mask: Tensor,
    fgo_mask: Tensor,
    rows: usize,
    groups: Vec<usize>,
    /// Each row's final hidden states from sampling, `[n, H]` for its `n` completion tokens
    /// (with [`PpoConfig::score_from_sampling`]): the policy's scores without a forward.
    sampled_states: Option<Vec<Tensor>>,
}

/// How the windows of a minibatch are laid out for the model (see [`PpoConfig::share_prompt`]
/// and [`PpoConfig::pack_tokens`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WindowLayout {
    /// Every row carries its own (left-padded) copy of its prompt.
    PerRow,
    /// A problem's prompt is computed once; its rows' windows run on it as `[n, R]` rows.
    SharedPrompt,
    /// A problem's prompt is computed once; its rows' windows run on it packed into
    /// sequences of at most `max_tokens` (or one row's window, if longer), without padding.
    Packed { max_tokens: usize },
}

impl WindowLayout {
    fn of(cfg: &PpoConfig) -> Self {
        match (cfg.share_prompt, cfg.pack_tokens) {
            (false, _) => WindowLayout::PerRow,
            (true, 0) => WindowLayout::SharedPrompt,
            (true, max_tokens) => WindowLayout::Packed { max_tokens },
        }
    }
}

/// The window positions of some rows, as the model computed them: `[n, R]` rows, or packed
/// (each row's real positions one after another, `[1, S]`). Per-position results
/// (log-probs, values, entropies) go back to the rollout's `[n, R]` layout through
/// [`Windows::to_rows`].
struct Windows {
    /// `[n, R, H]` or `[1, S, H]`.
    hidden: Tensor,
    /// The token each position predicts, laid out like `hidden`: `[n, R]` or `[1, S]`.
    targets: Tensor,
    packing: Option<Packing>,
}

/// Where each row's positions sit in a packed sequence.
struct Packing {
    /// Per row: its first packed position and its number of real (predicting) positions.
    rows: Vec<(usize, usize)>,
    /// Packed positions in all.
    len: usize,
    /// The rollout's window length `R`.
    r_len: usize,
}

impl Windows {
    /// A per-position tensor laid out like `targets` as `[n, R]`, zero at padding;
    /// differentiable.
    fn to_rows(&self, x: &Tensor) -> Result<Tensor> {
        let Some(p) = &self.packing else {
            return Ok(x.clone());
        };
        let slot = p.len as u32; // a zero appended after the packed positions
        let index: Vec<u32> = p
            .rows
            .iter()
            .flat_map(|&(first, real)| {
                (0..p.r_len).map(move |j| if j < real { (first + j) as u32 } else { slot })
            })
            .collect();
        let index = Tensor::from_vec(index, p.rows.len() * p.r_len, x.device())?;
        let flat = x.flatten_all()?;
        let flat = Tensor::cat(&[&flat, &flat.narrow(0, 0, 1)?.zeros_like()?], 0)?;
        Ok(flat
            .index_select(&index, 0)?
            .reshape((p.rows.len(), p.r_len))?)
    }

    fn detach(self) -> Self {
        Windows {
            hidden: self.hidden.detach(),
            ..self
        }
    }

    /// The windows of consecutive parts of a minibatch, as one.
    fn cat(parts: Vec<Windows>) -> Result<Windows> {
        let packed = parts.first().is_some_and(|w| w.packing.is_some());
        let axis = if packed { 1 } else { 0 };
        let hidden = Tensor::cat(&parts.iter().map(|w| &w.hidden).collect::<Vec<_>>(), axis)?;
        let targets = Tensor::cat(&parts.iter().map(|w| &w.targets).collect::<Vec<_>>(), axis)?;
        let packing = if packed {
            let (mut rows, mut len, mut r_len) = (Vec::new(), 0, 0);
            for p in parts.iter().filter_map(|w| w.packing.as_ref()) {
                rows.extend(p.rows.iter().map(|&(first, real)| (len + first, real)));
                len += p.len;
                r_len = p.r_len;
            }
            Some(Packing { rows, len, r_len })
        } else {
            None
        };
        Ok(Windows {
            hidden,
            targets,
            packing,
        })
    }
}

impl Rollout {
    /// The windows of `rows`, in that order, laid out as `layout` says.
    ///
    /// Sharing the prompt, each run of consecutive rows with the same prompt computes the
    /// prompt once (less its last token) into a KV cache and runs only the windows on top:
    /// the same attention over the same positions as the full sequence, so the same numbers
    /// up to float rounding. With `graph`, gradients flow back through the shared prompt (the
    /// training forward); without, the prompt is computed detached (scoring). Per row, every
    /// row runs prompt and window together, prompts left-padded to one length.
    fn windows(
        &self,
        model: &CausalLm,
        rows: &[usize],
        layout: WindowLayout,
        graph: bool,
    ) -> Result<Windows> {
        if layout == WindowLayout::PerRow {
            return self.windows_per_row(model, rows);
        }
        let parts = self
            .prompt_runs(rows)
            .map(|run| {
                let cache = self.prompt_cache(model, self.prompt_of[run[0]], graph)?;
                self.windows_on(model, &cache, run, layout)
            })
            .collect::<Result<Vec<_>>>()?;
        Windows::cat(parts)
    }

    /// [`WindowLayout::PerRow`]: each row's prompt and window in one sequence.
    fn windows_per_row(&self, model: &CausalLm, rows: &[usize]) -> Result<Windows> {
        let dev = model.device();
        let r_len = self.targets.dim(1)?;
        let lp = rows
            .iter()
            .map(|&r| self.prompts[self.prompt_of[r]].len())
            .max()
            .unwrap_or(1);
        let len = lp - 1 + r_len;
        let (mut input, mut attn) = (Vec::with_capacity(rows.len() * len), Vec::new());
        for &r in rows {
            let p = &self.prompts[self.prompt_of[r]];
            let pad = lp - p.len();
            input.extend(std::iter::repeat_n(self.pad, pad));
            input.extend_from_slice(&p[..p.len() - 1]);
            input.extend(self.window(r, r_len));
            attn.extend(std::iter::repeat_n(0u32, pad));
            attn.extend(std::iter::repeat_n(1u32, len - pad));
        }
        let n = rows.len();
        let input = Tensor::from_vec(input, (n, len), dev)?;
        let attn = Tensor::from_vec(attn, (n, len), dev)?;
        let hidden = model.forward_hidden(&input, Some(&attn), None)?;
        Ok(Windows {
            hidden: hidden.narrow(1, lp - 1, r_len)?,
            targets: self.row_targets(rows)?,
            packing: None,
        })
    }

    /// The `[n, R]` targets of `rows`.
    fn row_targets(&self, rows: &[usize]) -> Result<Tensor> {
        let ix: Vec<u32> = rows.iter().map(|&r| r as u32).collect();
        let ix = Tensor::from_vec(ix, rows.len(), self.targets.device())?;
        Ok(self.targets.index_select(&ix, 0)?)
    }

    /// `rows` cut into runs of consecutive rows with the same prompt.
    fn prompt_runs<'a>(&'a self, rows: &'a [usize]) -> impl Iterator<Item = &'a [usize]> {
        rows.chunk_by(|&a, &b| self.prompt_of[a] == self.prompt_of[b])
    }

    /// Phase 4: log-probs of the taken tokens under the policy and the reference, and the
    /// values, without gradient, at most `minibatch_rows` rows at a time. Sharing the prompt,
    /// each model computes a problem's prompt once for all its rows.
    fn score(
        &self,
        policy: &CausalLm,
        reference: &CausalLm,
        value_head: &ValueHead,
        minibatch_rows: usize,
        layout: WindowLayout,
    ) -> Result<Scores> {
        let mb = minibatch_rows.max(1);
        let share = layout != WindowLayout::PerRow;
        let rows: Vec<usize> = (0..self.rows).collect();
        // Groups of rows computed on one prompt cache: a problem's rows when sharing.
        let groups: Vec<&[usize]> = if share {
            self.prompt_runs(&rows).collect()
        } else {
            rows.chunks(mb).collect()
        };
        // Detached windows of `chunk` and the `[n, R]` log-probs of its tokens.
        let windows = |model: &CausalLm, prompt: Option<&KvCache>, chunk: &[usize]| {
            let w = match prompt {
                Some(cache) => self.windows_on(model, cache, chunk, layout)?,
                None => self.windows_per_row(model, chunk)?,
            }
            .detach();
            let logits = model.logits(&w.hidden)?.detach();
            let lp = stepcoder_kernels::token_log_probs(&logits, &w.targets)?.detach();
            let lp = w.to_rows(&lp)?;
            Ok::<_, PpoError>((w, lp))
        };
        let (mut old, mut ref_lp, mut vals) = (Vec::new(), Vec::new(), Vec::new());
        // The policy's log-probs and values of `w`'s positions.
        let mut policy_scores = |w: &Windows, lp: Tensor| -> Result<()> {
            old.push(lp);
            let v = value_head.forward(&w.hidden.to_dtype(DType::F32)?)?;
            vals.push(w.to_rows(&v)?.detach());
            Ok(())
        };
        let run_policy = self.sampled_states.is_none();
        for group in groups {
            let prompt = self.prompt_of[group[0]];
            let cache = |model: &CausalLm| {
                share
                    .then(|| self.prompt_cache(model, prompt, false))
                    .transpose()
            };
            let ref_cache = cache(reference)?;
            let policy_cache = if run_policy { cache(policy)? } else { None };
            for chunk in group.chunks(mb) {
                if run_policy {
                    let (w, lp) = windows(policy, policy_cache.as_ref(), chunk)?;
                    policy_scores(&w, lp)?;
                }
                ref_lp.push(windows(reference, ref_cache.as_ref(), chunk)?.1);
            }
        }
        if let Some(states) = &self.sampled_states {
            for chunk in rows.chunks(mb) {
                let w = self.sampled_windows(states, chunk)?;
                let logits = policy.logits(&w.hidden)?.detach();
                let lp = stepcoder_kernels::token_log_probs(&logits, &w.targets)?;
                let lp = w.to_rows(&lp)?.detach();
                policy_scores(&w, lp)?;
            }
        }
        Ok(Scores {
            old_logp: (Tensor::cat(&old, 0)? * &self.resp_mask)?,
            ref_logp: (Tensor::cat(&ref_lp, 0)? * &self.resp_mask)?,
            old_values: (Tensor::cat(&vals, 0)? * &self.resp_mask)?,
        })
    }

    /// The sampled states of `rows` as a packed window: each row's completion positions one
    /// after another, `[1, S, H]`, predicting its tokens.
    fn sampled_windows(&self, states: &[Tensor], rows: &[usize]) -> Result<Windows> {
        let r_len = self.targets.dim(1)?;
        let (mut parts, mut targets, mut placed) = (Vec::new(), Vec::new(), Vec::new());
        for &r in rows {
            let n = self.completions[r].len();
            let state = states
                .get(r)
                .ok_or_else(|| PpoError::Config(format!("no sampled states for row {r}")))?;
            if state.dim(0)? != n {
                return Err(PpoError::Config(format!(
                    "row {r}: {} sampled states for {n} tokens",
                    state.dim(0)?
                )));
            }
            placed.push((targets.len(), n));
            targets.extend_from_slice(&self.completions[r]);
            parts.push(state.detach());
        }
        let len = targets.len();
        if len == 0 {
            return Err(PpoError::Config(format!(
                "rows {rows:?} have no completion tokens to score"
            )));
        }
        let dev = self.targets.device();
        Ok(Windows {
            hidden: Tensor::cat(&parts, 0)?.unsqueeze(0)?,
            targets: Tensor::from_vec(targets, (1, len), dev)?,
            packing: Some(Packing {
                rows: placed,
                len,
                r_len,
            }),
        })
    }

    /// Prompt `prompt` less its last token (which opens every row's window), run once into a
    /// cache; with `graph`, gradients flow back through its keys and values.
    fn prompt_cache(&self, model: &CausalLm, prompt: usize, graph: bool) -> Result<KvCache> {
        let layers = model.config().num_hidden_layers;
        let mut cache = if graph {
            KvCache::with_graph(layers)
        } else {
            KvCache::new(layers)
        };
        let p = &self.prompts[prompt];
        if p.len() > 1 {
            let head =
                Tensor::from_vec(p[..p.len() - 1].to_vec(), (1, p.len() - 1), model.device())?;
            let _ = model.forward_hidden(&head, None, Some(&mut cache))?;
        }
        Ok(cache)
    }

    /// The windows of `run` (rows of the prompt that `prompt` cached, see
    /// [`Rollout::prompt_cache`]) on that cache: `[n, R]` rows, or packed with
    /// [`WindowLayout::Packed`].
    fn windows_on(
        &self,
        model: &CausalLm,
        prompt: &KvCache,
        run: &[usize],
        layout: WindowLayout,
    ) -> Result<Windows> {
        let dev = model.device();
        let r_len = self.targets.dim(1)?;
        if let WindowLayout::Packed { max_tokens } = layout {
            // Each row's real positions only (`segment_len`): position j predicts completion
            // token j. Consecutive rows fill a pack up to `max_tokens`; every pack attends
            // to the same prompt cache.
            let mut packs: Vec<&[usize]> = Vec::new();
            let (mut first, mut tokens) = (0, 0);
            for (i, &r) in run.iter().enumerate() {
                let segment = self.segment_len(r, r_len);
                if i > first && tokens + segment > max_tokens {
                    packs.push(&run[first..i]);
                    (first, tokens) = (i, 0);
                }
                tokens += segment;
            }
            packs.push(&run[first..]);
            let parts = packs
                .into_iter()
                .map(|pack| self.packed_windows_on(model, prompt, pack))
                .collect::<Result<Vec<_>>>()?;
            return Windows::cat(parts);
        }
        let mut cache = prompt.clone();
        if cache.seq_len() > 0 {
            // A copy per row: for a window of many positions it is cheaper than the
            // shared-prefix attention (`KvCache::share_prefix`, which sampling uses), whose
            // regrouping copies cost more than the prompt's keys and values.
            cache.select_rows(&Tensor::zeros(run.len(), DType::U32, dev)?)?;
        }
        let input: Vec<u32> = run.iter().flat_map(|&r| self.window(r, r_len)).collect();
        let input = Tensor::from_vec(input, (run.len(), r_len), dev)?;
        // Right padding only follows the real tokens, so causal attention keeps it out of
        // every real position: no mask needed.
        Ok(Windows {
            hidden: model.forward_hidden(&input, None, Some(&mut cache))?,
            targets: self.row_targets(run)?,
            packing: None,
        })
    }

    /// The windows of `pack` (rows of the prompt that `prompt` cached) as one packed
    /// sequence on that cache.
    fn packed_windows_on(
        &self,
        model: &CausalLm,
        prompt: &KvCache,
        pack: &[usize],
    ) -> Result<Windows> {
        let dev = model.device();
        let r_len = self.targets.dim(1)?;
        let (mut input, mut targets) = (Vec::new(), Vec::new());
        let (mut segments, mut rows) = (Vec::new(), Vec::new());
        for &r in pack {
            let real = self.real_positions(r, r_len);
            let seg = self.segment_len(r, r_len);
            rows.push((input.len(), real));
            segments.push(seg);
            input.extend_from_slice(&self.window(r, r_len)[..seg]);
            targets.extend(self.completions[r].iter().take(seg));
            targets.resize(input.len(), self.pad);
        }
        let len = input.len();
        let input = Tensor::from_vec(input, (1, len), dev)?;
        let hidden = model.forward_hidden_packed(&input, &segments, Some(&mut prompt.clone()))?;
        Ok(Windows {
            hidden,
            targets: Tensor::from_vec(targets, (1, len), dev)?,
            packing: Some(Packing { rows, len, r_len }),
        })
    }

    /// How many of row `row`'s window positions predict a completion token.
    fn real_positions(&self, row: usize, r_len: usize) -> usize {
        self.completions[row].len().min(r_len)
    }

    /// Row `row`'s positions in a pack: its real ones, and at least one, so that every row
    /// has a segment (an empty completion's predicts nothing).
    fn segment_len(&self, row: usize, r_len: usize) -> usize {
        self.real_positions(row, r_len).max(1)
    }

    /// Row `row`'s window: the prompt's last token, then the completion, padded to `r_len`.
    fn window(&self, row: usize, r_len: usize) -> Vec<u32> {
        let p = &self.prompts[self.prompt_of[row]];
        let mut w = Vec::with_capacity(r_len);
        w.push(p[p.len() - 1]);
        w.extend(self.completions[row].iter().take(r_len - 1));
        w.resize(r_len, self.pad);
        w
    }
}

/// Sampled completions and their programs' reports, in row order, with the phase times.
struct Rollouts {
    completions: Vec<Completion>,
    /// Whether each row's completion holds any code ([`Program::wrote_code`]).
    wrote_code: Vec<bool>,
    /// Each row's hidden states from sampling (with [`PpoConfig::score_from_sampling`]).
    sampled_states: Option<Vec<Tensor>>,
    /// Each row's report, or the executor's error when its program failed to execute twice
    /// (see [`execute_with_retry`]).
    results: Vec<std::result::Result<ExecReport, CoreError>>,
    /// Failed executions, first tries and re-executions together.
    executor_errors: usize,
    generation_s: f64,
    /// Execution time past the end of generation (the part not hidden behind it).
    execution_s: f64,
    /// Time the executor was busy in all (overlapped with generation or not).
    execution_busy_s: f64,
}

/// Phase 1's output: the step's curriculum plans and each row's prompt and problem.
struct Batch {
    plans: Vec<stepcoder_core::PromptPlan>,
    prompts: Vec<Vec<u32>>,
    /// Each row's problem (index into the trainer's problems).
    groups: Vec<usize>,
    /// Each row's plan (index into `plans`).
    plan_index: Vec<usize>,
    /// Each row's place in the step's batch as sampled (rows dropped after an executor
    /// error leave gaps; see [`drop_unexecuted`]).
    rows: Vec<usize>,
}

impl Batch {
    fn plan_of(&self, row: usize) -> &stepcoder_core::PromptPlan {
        &self.plans[self.plan_index[row]]
    }
}

/// Keeps the `v[i]` with `keep[i]`.
fn retain_rows<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

/// Takes the rows whose program failed to execute (twice: see [`execute_with_retry`]) out
/// of the step: out of the batch and the rollouts, so they get no reward, no advantage, no
/// gradient, no curriculum record and no place in the outcome counts. Returns the other
/// rows' reports and how many were dropped.
///
/// A dropped row's group keeps its other rows, and its group baseline is computed from
/// them alone. They are independent samples of the policy on the same prompt, so their
/// mean is still an unbiased baseline for each of them (dropping the whole group would
/// throw their signal away to protect nothing); a group left with one row has no outcome
/// advantage (its reward is its own mean), so it adds no signal and no bias. An executor
/// fault is not a property of the program (a full pool, the engine, a panic, a remote
/// endpoint), so the survivors are not a selection by quality. The exception is the
/// wall-clock safety net of the fuel budgets: mostly the machine's load, but a program
/// that sleeps reaches it every time. Such a program's outcome is not defined by its code
/// (it depends on the clock), so it is left out rather than scored either way.
///
/// When every row failed, the executor is broken rather than unlucky: the step fails with
/// the first error instead of training on nothing.
fn drop_unexecuted(
    step: u64,
    problems: &[Problem],
    batch: &mut Batch,
    rollouts: &mut Rollouts,
) -> Result<(Vec<ExecReport>, usize)> {
    let results = std::mem::take(&mut rollouts.results);
    let keep: Vec<bool> = results.iter().map(|r| r.is_ok()).collect();
    let dropped = keep.iter().filter(|k| !**k).count();
    let mut first_error = None;
    for (r, result) in results.iter().enumerate() {
        if let Err(e) = result {
            tracing::warn!(step, row = batch.rows[r], problem = %problems[batch.groups[r]].id, error = %e,
                "rollout dropped from the update: its program failed to execute twice");
            first_error.get_or_insert_with(|| e.to_string());
        }
    }
    if dropped > 0 {
        if dropped == keep.len() {
            return Err(PpoError::Core(CoreError::Executor(format!(
                "step {step}: every rollout's program failed to execute twice (an executor fault, not the policy's); the first error: {}",
                first_error.unwrap_or_default()
            ))));
        }
        retain_rows(&mut rollouts.completions, &keep);
        retain_rows(&mut rollouts.wrote_code, &keep);
        if let Some(states) = rollouts.sampled_states.as_mut() {
            retain_rows(states, &keep);
        }
        retain_rows(&mut batch.prompts, &keep);
        retain_rows(&mut batch.groups, &keep);
        retain_rows(&mut batch.plan_index, &keep);
        retain_rows(&mut batch.rows, &keep);
    }
    Ok((
        results.into_iter().filter_map(|r| r.ok()).collect(),
        dropped,
    ))
}

/// Phase 3's output.
struct Judged {
    outcomes: OutcomeCounts,
    /// Rows whose completion wrote no code (scored by [`RewardFn::no_code_reward`]).
    no_code: usize,
    raw_rewards: Vec<f32>,
    stage_histogram: std::collections::BTreeMap<usize, usize>,
    token_masks: Vec<Vec<f32>>,
}

/// Phase 4's output, each `[B, R]` and zero outside the completions.
struct Scores {
    old_logp: Tensor,
    ref_logp: Tensor,
    old_values: Tensor,
}

/// Phase 6's sums over minibatches and its time split.
#[derive(Default)]
struct UpdateStats {
    minibatches: usize,
    skipped: usize,
    policy_loss: f64,
    value_loss: f64,
    entropy: f64,
    clip_fraction: f64,
    approx_kl: f64,
    grad_norm: f64,
    lr_policy: f64,
    lr_critic: f64,
    forward_s: f64,
    backward_s: f64,
    optimizer_s: f64,
}

/// The PPO objective over one rollout batch: what the epochs hold fixed (the scores at
/// sampling time, the advantages, the masks), and the loss of any minibatch of its rows.
struct Objective<'a> {
    roll: &'a Rollout,
    scores: &'a Scores,
    adv: &'a Advantages,
    /// The response mask times the FGO mask: the tokens in the policy loss.
    policy_mask: Tensor,
    layout: WindowLayout,
    loss: LossConfig,
    use_critic: bool,
}

/// One minibatch's loss (differentiable) and what is logged of it.
struct MinibatchLoss {
    /// Policy loss, plus the weighted value loss, minus the weighted entropy bonus.
    total: Tensor,
    policy: Tensor,
    value: f64,
    entropy: f64,
    stats: PolicyStats,
}

impl Objective<'_> {
    /// The loss of `rows` under the current `policy` (and value head): the masked clipped
    /// policy loss over the policy mask, the clipped value loss over the response tokens with
    /// a critic, and the entropy bonus when its coefficient is not 0.
    fn minibatch_loss(
        &self,
        policy: &CausalLm,
        value_head: &ValueHead,
        rows: &[usize],
    ) -> Result<MinibatchLoss> {
        let roll = self.roll;
        let ix = Tensor::from_vec(
            rows.iter().map(|&i| i as u32).collect::<Vec<_>>(),
            rows.len(),
            roll.targets.device(),
        )?;
        let pick = |t: &Tensor| t.index_select(&ix, 0);
        let win = roll.windows(policy, rows, self.layout, true)?;
        let logits = policy.logits(&win.hidden)?;
        let logp = win.to_rows(&stepcoder_kernels::token_log_probs(&logits, &win.targets)?)?;
        let pm = pick(&self.policy_mask)?;
        let rm = pick(&roll.resp_mask)?;
        let old = pick(&self.scores.old_logp)?;
        let a = pick(&self.adv.advantages)?;
        let pl = policy_loss(&logp, &old, &a, &pm, self.loss.clip_eps)?;
        let mut total = pl.clone();
        let mut value = 0f64;
        if self.use_critic {
            let values = win.to_rows(&value_head.forward(&win.hidden.to_dtype(DType::F32)?)?)?;
            let ret = self
                .adv
                .returns
                .as_ref()
                .ok_or_else(|| PpoError::Config("critic without returns".into()))?;
            let vl = value_loss(
                &values,
                &pick(&self.scores.old_values)?,
                &pick(ret)?,
                &rm,
                self.loss.value_clip,
            )?;
            value = vl.to_scalar::<f32>()? as f64;
            total = (total + (vl * self.loss.value_coef)?)?;
        }
        let entropy = |logits: &Tensor| masked_mean(&win.to_rows(&token_entropy(logits)?)?, &rm);
        let entropy = if self.loss.entropy_coef != 0.0 {
            let e = entropy(&logits)?;
            total = (total - (&e * self.loss.entropy_coef)?)?;
            e.to_scalar::<f32>()? as f64
        } else {
            entropy(&logits.detach())?.to_scalar::<f32>()? as f64
        };
        Ok(MinibatchLoss {
            total,
            stats: policy_stats(&logp, &old, &pm, self.loss.clip_eps)?,
            policy: pl,
            value,
            entropy,
        })
    }
}

/// The PPO trainer.
pub struct Trainer {
    cfg: PpoConfig,
    policy: CausalLm,
    reference: CausalLm,
    value_head: ValueHead,
    tokenizer: ModelTokenizer,
    parts: Components,
    advantage: Box<dyn AdvantageEstimator>,
    optimizer: AdamW,
    problems: Vec<Problem>,
    cursor: usize,
    step: u64,
    history: Vec<StepMetrics>,
    log: Option<MetricsLog>,
    samples: Option<SampleLog>,
    overlap_execution: bool,
}

fn mix(a: u64, b: u64) -> u64 {
    // SplitMix64 of a combination: distinct streams per (seed, step, epoch).
    let mut z = a ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn optimizer_for(policy: &CausalLm, head: &ValueHead, cfg: &AdamWConfig) -> Result<AdamW> {
    Ok(AdamW::new(
        vec![
            ParamGroup::from_varmap("policy", policy.varmap())?,
            ParamGroup::from_varmap("critic", head.varmap())?,
        ],
        *cfg,
    )?)
}

impl Trainer {
    /// A fresh run: the reference is a frozen copy of `policy`, the value head starts at 0
    /// (on the policy's trunk: one forward gives logits and values).
    ///
    /// Tunes glibc's allocator for the process ([`stepcoder_model::optim::tune_allocator`]:
    /// freed tensor buffers stay in the heap for reuse instead of being unmapped). A
    /// training pass allocates and frees many large tensors; on the toy example this halves
    /// the training time (page faults on fresh mappings were half of it).
    pub fn new(
        cfg: PpoConfig,
        policy: CausalLm,
        tokenizer: ModelTokenizer,
        problems: Vec<Problem>,
        parts: Components,
    ) -> Result<Self> {
        validate(&cfg, &problems)?;
        stepcoder_model::optim::tune_allocator();
        if !policy.is_trainable() {
            return Err(PpoError::Config("the policy must be trainable".into()));
        }
        // Frozen, so no master copy is needed: stored in the dtype the policy computes in
        // (bf16 under mixed precision, half the memory; the policy's own f32 otherwise).
        let reference = policy.copy_with(false, policy.compute_dtype())?;
        let value_head = ValueHead::new(policy.config().hidden_size, DType::F32, policy.device())?;
        let optimizer = optimizer_for(&policy, &value_head, &cfg.adamw)?;
        Ok(Trainer {
            advantage: cfg.advantage.build(),
            cfg,
            policy,
            reference,
            value_head,
            tokenizer,
            parts,
            optimizer,
            problems,
            cursor: 0,
            step: 0,
            history: Vec::new(),
            log: None,
            samples: None,
            overlap_execution: true,
        })
    }

    /// Appends each step's metrics to `path` as JSON lines.
    pub fn log_metrics_to(&mut self, path: &Path) -> Result<()> {
        self.log = Some(MetricsLog::append(path)?);
        Ok(())
    }

    /// Appends every rollout of each step to `path` as JSON lines ([`RolloutSample`]: the
    /// prompt's curriculum prefix, the completion, its outcome, reward and FGO share).
    pub fn log_samples_to(&mut self, path: &Path) -> Result<()> {
        self.samples = Some(SampleLog::append(path)?);
        Ok(())
    }

    /// Whether programs run while the rest of the batch is still sampled (the default):
    /// each row's program goes to an execution thread as soon as the row finishes. Off, all
    /// rows are sampled first and then executed. Results are the same either way (each
    /// program's report depends only on the program, given a deterministic executor);
    /// only the time split differs.
    pub fn set_overlap_execution(&mut self, on: bool) {
        self.overlap_execution = on;
    }

    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// Mixed precision: the policy computes in `dtype` (bf16 on a GPU) over its f32 master
    /// weights and f32 optimizer state; the reference is stored in `dtype`; each step samples
    /// from a `dtype` copy of the policy made once per step. `F32` keeps everything f32.
    /// For a fresh run, [`CausalLm::set_compute_dtype`] before [`Trainer::new`] does the same;
    /// this is for a resumed run (checkpoints always hold f32 weights).
    pub fn set_compute_dtype(&mut self, dtype: DType) -> Result<()> {
        self.policy.set_compute_dtype(dtype)?;
        if self.reference.dtype() != dtype || self.reference.compute_dtype() != dtype {
            let mut reference = self.reference.copy_with(false, dtype)?;
            reference.set_compute_dtype(dtype)?;
            self.reference = reference;
        }
        Ok(())
    }
    pub fn history(&self) -> &[StepMetrics] {
        &self.history
    }
    pub fn policy(&self) -> &CausalLm {
        &self.policy
    }
    pub fn tokenizer(&self) -> &ModelTokenizer {
        &self.tokenizer
    }
    pub fn config(&self) -> &PpoConfig {
        &self.cfg
    }
    pub fn curriculum(&self) -> &dyn CurriculumSchedule {
        self.parts.curriculum.as_ref()
    }

    /// Prompt token ids: the chat template, then the assistant's start (fence + prefix).
    pub fn prompt_ids(&self, problem: &Problem, prefix: &str) -> Result<Vec<u32>> {
        let p = code_prompt(problem, prefix);
        let mut msgs = Vec::new();
        if let Some(s) = self.cfg.system_prompt.as_ref().or(p.system.as_ref()) {
            msgs.push(ChatMessage::system(s.clone()));
        }
        msgs.push(ChatMessage::user(p.user));
        Ok(self
            .tokenizer
            .encode_chat_with_answer_start(&msgs, &p.assistant_start)?)
    }

    /// One RL step, as the phases of the data path (private methods of the trainer): `plan`
    /// the prompts (the curriculum's prefixes), `sample_and_execute`, `judge` (rewards,
    /// curriculum, FGO masks), `score` (old and reference log-probs, values), `advantages`,
    /// then `update` (the PPO epochs). Returns (and logs) its metrics.
    pub fn step(&mut self) -> Result<StepMetrics> {
        let t_start = Instant::now();
        let mut batch = self.plan()?;
        let mut rollouts = self.sample_and_execute(&batch)?;
        // Every sampled token, also those of rows dropped below.
        let generated: usize = rollouts.completions.iter().map(|c| c.token_ids.len()).sum();
        let (reports, rollouts_dropped) =
            drop_unexecuted(self.step, &self.problems, &mut batch, &mut rollouts)?;
        let t_train = Instant::now();
        let judged = self.judge(&batch, &rollouts, &reports)?;
        let roll = self.build_rollout(
            &rollouts.completions,
            rollouts.sampled_states.take(),
            &judged.token_masks,
            &batch,
        )?;
        let t_score = Instant::now();
        let scores = self.score(&roll)?;
        let scoring_s = t_score.elapsed().as_secs_f64();
        let rewards = self.cfg.reward_norm.normalize(&judged.raw_rewards);
        let (adv, kl_mean) = self.advantages(&roll, &scores, rewards)?;
        let update = self.update(&roll, &scores, &adv)?;
        self.cfg.kl.update(kl_mean, roll.rows as u64);
        let training_s = t_train.elapsed().as_secs_f64();

        let completions = &rollouts.completions;
        let resp_tokens = roll.resp_mask.sum_all()?.to_scalar::<f32>()? as f64;
        let masked_in = (&roll.resp_mask * &roll.fgo_mask)?
            .sum_all()?
            .to_scalar::<f32>()? as f64;
        let nmb = update.minibatches.max(1) as f64;
        let total_s = t_start.elapsed().as_secs_f64();
        let raw_rewards = &judged.raw_rewards;
        let metrics = StepMetrics {
            step: self.step,
            reward_mean: raw_rewards.iter().map(|&r| r as f64).sum::<f64>()
                / raw_rewards.len().max(1) as f64,
            pass_rate: judged.outcomes.passed as f64 / judged.outcomes.total().max(1) as f64,
            outcomes: judged.outcomes,
            no_code: judged.no_code,
            executor_errors: rollouts.executor_errors,
            rollouts_dropped,
            kl: kl_mean,
            kl_beta: self.cfg.kl.beta(),
            entropy: update.entropy / nmb,
            clip_fraction: update.clip_fraction / nmb,
            approx_kl: update.approx_kl / nmb,
            value_loss: update.value_loss / nmb,
            policy_loss: update.policy_loss / nmb,
            fgo_masked_fraction: 1.0 - masked_in / resp_tokens.max(1.0),
            stage_histogram: judged.stage_histogram.clone(),
            generated_tokens: generated,
            tokens_per_s: generated as f64 / total_s.max(1e-9),
            time: TimeSplit {
                generation_s: rollouts.generation_s,
                execution_s: rollouts.execution_s,
                training_s,
                execution_busy_s: rollouts.execution_busy_s,
                scoring_s,
                forward_s: update.forward_s,
                backward_s: update.backward_s,
                optimizer_s: update.optimizer_s,
            },
            lr_policy: update.lr_policy,
            lr_critic: update.lr_critic,
            grad_norm: update.grad_norm,
            skipped_updates: update.skipped,
        };
        if let Some(log) = self.samples.as_mut() {
            let samples: Vec<RolloutSample> = reports
                .iter()
                .enumerate()
                .map(|(r, report)| {
                    let m = &judged.token_masks[r];
                    let plan = batch.plan_of(r);
                    RolloutSample {
                        step: self.step,
                        row: batch.rows[r],
                        problem: self.problems[batch.groups[r]].id.clone(),
                        stage: plan.stage,
                        prefix: plan.prefix.clone(),
                        completion: completions[r].text.clone(),
                        no_code: !rollouts.wrote_code[r],
                        outcome: report.class(),
                        failure: report.first_failure().map(|o| o.to_string()),
                        tests_passed: report
                            .tests
                            .iter()
                            .filter(|t| t.outcome.is_passed())
                            .count(),
                        tests_total: report.tests.len(),
                        reward: raw_rewards[r],
                        fgo_kept: m.iter().map(|&w| w as f64).sum::<f64>() / m.len().max(1) as f64,
                    }
                })
                .collect();
            log.write_all(&samples)?;
        }
        self.step += 1;
        if let Some(log) = self.log.as_mut() {
            log.write(&metrics)?;
        }
        self.history.push(metrics.clone());
        Ok(metrics)
    }

    /// Phase 1: the step's problems (the next `problems_per_step` from the data cursor), one
    /// curriculum plan each, and the prompt of each row (`samples_per_problem` rows share a
    /// problem's prompt).
    fn plan(&mut self) -> Result<Batch> {
        let n_prob = self.cfg.problems_per_step;
        let k = self.cfg.samples_per_problem;
        let idx: Vec<usize> = (0..n_prob)
            .map(|i| (self.cursor + i) % self.problems.len())
            .collect();
        self.cursor = (self.cursor + n_prob) % self.problems.len();
        let mut plans = Vec::with_capacity(n_prob);
        let mut prompts = Vec::with_capacity(n_prob * k);
        let mut groups = Vec::with_capacity(n_prob * k);
        let mut plan_index = Vec::with_capacity(n_prob * k);
        for &pi in &idx {
            let mut plan = self.parts.curriculum.plan(&self.problems[pi]);
            // The policy writes the prefix's last line break itself (see `prompt_prefix`);
            // prompt, program and FGO mask all use this one prefix.
            plan.prefix.truncate(prompt_prefix(&plan.prefix).len());
            let ids = self.prompt_ids(&self.problems[pi], &plan.prefix)?;
            for _ in 0..k {
                prompts.push(ids.clone());
                groups.push(pi);
                plan_index.push(plans.len());
            }
            plans.push(plan);
        }
        Ok(Batch {
            plans,
            rows: (0..prompts.len()).collect(),
            prompts,
            groups,
            plan_index,
        })
    }

    /// Phase 3: each row's outcome and raw reward, the curriculum's record of it, and its
    /// FGO token mask.
    fn judge(
        &mut self,
        batch: &Batch,
        rollouts: &Rollouts,
        reports: &[ExecReport],
    ) -> Result<Judged> {
        let mut judged = Judged {
            outcomes: OutcomeCounts::default(),
            no_code: 0,
            raw_rewards: Vec::with_capacity(reports.len()),
            stage_histogram: Default::default(),
            token_masks: Vec::with_capacity(reports.len()),
        };
        for (r, report) in reports.iter().enumerate() {
            let problem = &self.problems[batch.groups[r]];
            let plan = batch.plan_of(r);
            judged.outcomes.add(report.class());
            let reward = if rollouts.wrote_code[r] {
                self.parts.reward.reward(report)
            } else {
                judged.no_code += 1;
                self.parts.reward.no_code_reward(report)
            };
            judged.raw_rewards.push(reward);
            self.parts.curriculum.record(problem, report.passed());
            *judged.stage_histogram.entry(plan.stage).or_insert(0) += 1;
            let c = &rollouts.completions[r];
            let span = CompletionSpan {
                text: &c.text,
                token_offsets: &c.token_offsets,
                prefix: &plan.prefix,
                stops: stop_sequences(&problem.kind),
            };
            let m = self.parts.masker.mask(&span, report);
            if m.len() != c.token_ids.len() {
                return Err(PpoError::Config(format!(
                    "masker gave {} weights for {} tokens (row {r}, problem {})",
                    m.len(),
                    c.token_ids.len(),
                    problem.id
                )));
            }
            judged.token_masks.push(m);
        }
        Ok(judged)
    }

    /// Phase 5: per-token rewards (the KL penalty on every token, the outcome reward on the
    /// last) and the advantage estimator's advantages and returns; also the mean KL.
    fn advantages(
        &self,
        roll: &Rollout,
        scores: &Scores,
        rewards: Vec<f32>,
    ) -> Result<(Advantages, f64)> {
        token_advantages(
            roll,
            scores,
            rewards,
            self.cfg.kl.beta(),
            self.advantage.as_ref(),
        )
    }

    /// The rows in the order the PPO epoch `epoch` visits them: problems shuffled, each
    /// problem's rows together (so a minibatch computes a shared prompt once), then cut into
    /// minibatches of `minibatch_rows`.
    fn minibatches(&self, roll: &Rollout, epoch: usize) -> Vec<Vec<usize>> {
        let mut rng =
            rand::rngs::StdRng::seed_from_u64(mix(mix(self.cfg.seed, self.step), epoch as u64 + 1));
        let mut order: Vec<usize> = Vec::with_capacity(roll.rows);
        if self.cfg.share_prompt {
            let rows: Vec<usize> = (0..roll.rows).collect();
            let mut runs: Vec<&[usize]> = roll.prompt_runs(&rows).collect();
            runs.shuffle(&mut rng);
            order.extend(runs.into_iter().flatten());
        } else {
            order.extend(0..roll.rows);
            order.shuffle(&mut rng);
        }
        order
            .chunks(self.cfg.minibatch_rows)
            .map(|c| c.to_vec())
            .collect()
    }

    /// Phase 6: the PPO epochs over minibatches: masked clipped policy loss (FGO's mask),
    /// value loss, entropy bonus, accumulated gradients, clipping, AdamW.
    fn update(&mut self, roll: &Rollout, scores: &Scores, adv: &Advantages) -> Result<UpdateStats> {
        let cfg = self.cfg.clone();
        let objective = Objective {
            roll,
            scores,
            adv,
            policy_mask: (&roll.resp_mask * &roll.fgo_mask)?,
            layout: WindowLayout::of(&cfg),
            loss: cfg.loss,
            use_critic: self.advantage.needs_critic(),
        };
        let mut acc = GradAccumulator::new();
        let mut st = UpdateStats::default();
        for epoch in 0..cfg.ppo_epochs {
            let chunks = self.minibatches(roll, epoch);
            for (ci, chunk) in chunks.iter().enumerate() {
                let t0 = Instant::now();
                let MinibatchLoss {
                    total,
                    policy: pl,
                    value: vl_val,
                    entropy: ent,
                    stats,
                } = objective.minibatch_loss(&self.policy, &self.value_head, chunk)?;
                let total_v = total.to_scalar::<f32>()?;
                if !total_v.is_finite() {
                    tracing::error!(step = self.step, epoch, minibatch = ci, loss = %total_v, "non-finite loss: skipping this minibatch's update");
                    st.skipped += 1;
                    continue;
                }
                st.policy_loss += pl.to_scalar::<f32>()? as f64;
                st.value_loss += vl_val;
                st.entropy += ent;
                st.clip_fraction += stats.clip_fraction;
                st.approx_kl += stats.approx_kl;
                st.minibatches += 1;
                st.forward_s += t0.elapsed().as_secs_f64();
                let t1 = Instant::now();
                let store = total.backward()?;
                acc.add(Gradients::from_store(&store, self.optimizer.groups())?)?;
                st.backward_s += t1.elapsed().as_secs_f64();
                let t2 = Instant::now();
                let last_chunk = epoch + 1 == cfg.ppo_epochs && ci + 1 == chunks.len();
                if acc.count() >= cfg.grad_accum || last_chunk {
                    let mut g = acc.mean()?;
                    let checked = g
                        .ensure_finite()
                        .and_then(|_| clip_grad_norm(&mut g, cfg.max_grad_norm));
                    match checked {
                        Ok(n) => {
                            st.grad_norm = n;
                            let k = self.optimizer.step_count();
                            st.lr_policy = cfg.policy_lr.lr(k);
                            st.lr_critic = cfg.critic_lr.lr(k);
                            self.optimizer.step(&g, &[st.lr_policy, st.lr_critic])?;
                        }
                        Err(e) => {
                            tracing::error!(step = self.step, epoch, minibatch = ci, error = %e, "non-finite gradient: skipping the update");
                            st.skipped += 1;
                        }
                    }
                }
                st.optimizer_s += t2.elapsed().as_secs_f64();
            }
        }
        Ok(st)
    }

    /// Phase 2: samples every row's completion and runs its program. With overlap on, a
    /// scoped thread executes rows as they finish (each time, everything finished since its
    /// last batch, so the executor still parallelizes within a batch) while sampling goes on.
    fn sample_and_execute(&self, batch: &Batch) -> Result<Rollouts> {
        let cfg = &self.cfg;
        let (prompts, groups) = (&batch.prompts, &batch.groups);
        let sampling = &SamplingConfig {
            max_new_tokens: cfg.max_new_tokens,
            temperature: cfg.temperature,
            top_p: cfg.top_p,
            top_k: 0,
            seed: mix(cfg.seed, self.step),
            eos_ids: Vec::new(),
            stop_strings: vec![CODE_FENCE_CLOSE.to_string()],
            row_stop_strings: groups
                .iter()
                .map(|&pi| row_stops(&self.problems[pi]))
                .collect(),
            share_prefill: cfg.share_prompt,
        };
        let program_of = |r: usize, c: &Completion| {
            extract_program(
                &self.problems[groups[r]],
                &batch.plan_of(r).prefix,
                &c.text,
                cfg.fence,
            )
        };
        let executor: &dyn Executor = self.parts.executor.as_ref();
        let problems = &self.problems;
        // An executor error is re-executed once; one that stays is dropped by the caller.
        let run = |batch: &[(usize, String)]| {
            let jobs: Vec<(&str, &Problem)> = batch
                .iter()
                .map(|(r, p)| (p.as_str(), &problems[groups[*r]]))
                .collect();
            execute_with_retry(executor, &jobs)
        };
        let t_gen = Instant::now();
        // Under mixed precision, sample from a copy in the compute dtype: one cast per step
        // instead of one per weight per sampled token.
        let sampling_copy = if self.policy.compute_dtype() != self.policy.dtype() {
            Some(self.policy.copy_with(false, self.policy.compute_dtype())?)
        } else {
            None
        };
        let sampler = sampling_copy.as_ref().unwrap_or(&self.policy);
        // Samples every row, keeping its hidden states when the policy is scored from them.
        let sample = |on_finish: &mut dyn FnMut(usize, &Completion)| {
            let tok = Some(&self.tokenizer);
            Ok::<_, PpoError>(if cfg.score_from_sampling {
                let (c, h) = generate_with_hidden(sampler, tok, prompts, sampling, on_finish)?;
                (c, Some(h))
            } else {
                (
                    generate_with(sampler, tok, prompts, sampling, on_finish)?,
                    None,
                )
            })
        };
        if !self.overlap_execution {
            let (completions, sampled_states) = sample(&mut |_, _| {})?;
            let generation_s = t_gen.elapsed().as_secs_f64();
            let t_exec = Instant::now();
            let programs: Vec<Program> = completions
                .iter()
                .enumerate()
                .map(|(r, c)| program_of(r, c))
                .collect();
            let batch: Vec<(usize, String)> = programs
                .iter()
                .enumerate()
                .map(|(r, p)| (r, p.text().to_string()))
                .collect();
            let (results, executor_errors) = run(&batch);
            let execution_s = t_exec.elapsed().as_secs_f64();
            return Ok(Rollouts {
                completions,
                wrote_code: programs.iter().map(Program::wrote_code).collect(),
                sampled_states,
                results,
                executor_errors,
                generation_s,
                execution_s,
                execution_busy_s: execution_s,
            });
        }
        let rows = prompts.len();
        let mut wrote_code = vec![false; rows];
        let (tx, rx) = mpsc::channel::<(usize, String)>();
        std::thread::scope(|scope| {
            type Slot = Option<std::result::Result<ExecReport, CoreError>>;
            let worker = scope.spawn(move || -> (Vec<Slot>, f64, usize) {
                let mut results: Vec<Slot> = (0..rows).map(|_| None).collect();
                let (mut busy, mut errors) = (0f64, 0);
                while let Ok(first) = rx.recv() {
                    let batch: Vec<(usize, String)> =
                        std::iter::once(first).chain(rx.try_iter()).collect();
                    let t = Instant::now();
                    let (done, e) = run(&batch);
                    errors += e;
                    for ((r, _), result) in batch.iter().zip(done) {
                        results[*r] = Some(result);
                    }
                    busy += t.elapsed().as_secs_f64();
                }
                (results, busy, errors)
            });
            let sampled = sample(&mut |r, c| {
                let program = program_of(r, c);
                wrote_code[r] = program.wrote_code();
                // A closed channel means the worker panicked, reported below.
                let _ = tx.send((r, program.text().to_string()));
            });
            drop(tx);
            let generation_s = t_gen.elapsed().as_secs_f64();
            let t_rest = Instant::now();
            let executed = worker.join().map_err(|_| {
                PpoError::Core(stepcoder_core::CoreError::Executor(
                    "the execution thread panicked".into(),
                ))
            })?;
            let execution_s = t_rest.elapsed().as_secs_f64();
            let (completions, sampled_states) = sampled?;
            let (results, execution_busy_s, executor_errors) = executed;
            // A row never sent (sampling stopped early) has no result: an error of its own.
            let results = results
                .into_iter()
                .enumerate()
                .map(|(r, result)| {
                    result.unwrap_or_else(|| {
                        Err(CoreError::Executor(format!("no report for row {r}")))
                    })
                })
                .collect();
            Ok(Rollouts {
                completions,
                wrote_code,
                sampled_states,
                results,
                executor_errors,
                generation_s,
                execution_s,
                execution_busy_s,
            })
        })
    }

    /// Lays out the rows (see [`Rollout`]): window position `j` predicts completion token `j`.
    fn build_rollout(
        &self,
        completions: &[Completion],
        sampled_states: Option<Vec<Tensor>>,
        token_masks: &[Vec<f32>],
        batch: &Batch,
    ) -> Result<Rollout> {
        let dev = self.policy.device();
        let rows = completions.len();
        let r_len = completions
            .iter()
            .map(|c| c.token_ids.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let pad = self.tokenizer.pad_id;
        let mut targets = vec![pad; rows * r_len];
        let (mut resp, mut fgo) = (vec![0f32; rows * r_len], vec![0f32; rows * r_len]);
        let mut prompts: Vec<Vec<u32>> = Vec::new();
        let mut prompt_of = Vec::with_capacity(rows);
        for (r, c) in completions.iter().enumerate() {
            if c.prompt_ids.is_empty() {
                return Err(PpoError::Config(format!("row {r} has an empty prompt")));
            }
            match prompts.iter().rposition(|p| *p == c.prompt_ids) {
                Some(i) => prompt_of.push(i),
                None => {
                    prompts.push(c.prompt_ids.clone());
                    prompt_of.push(prompts.len() - 1);
                }
            }
            for (j, (&id, &m)) in c.token_ids.iter().zip(&token_masks[r]).enumerate() {
                targets[r * r_len + j] = id;
                resp[r * r_len + j] = 1.0;
                fgo[r * r_len + j] = m;
            }
        }
        Ok(Rollout {
            prompt_of,
            prompts,
            completions: completions.iter().map(|c| c.token_ids.clone()).collect(),
            pad,
            targets: Tensor::from_vec(targets, (rows, r_len), dev)?,
            resp_mask: Tensor::from_vec(resp, (rows, r_len), dev)?,
            fgo_mask: Tensor::from_vec(fgo, (rows, r_len), dev)?,
            rows,
            groups: batch.groups.clone(),
            sampled_states,
        })
    }

    /// Phase 4: see [`Rollout::score`].
    fn score(&self, roll: &Rollout) -> Result<Scores> {
        roll.score(
            &self.policy,
            &self.reference,
            &self.value_head,
            self.cfg.minibatch_rows,
            WindowLayout::of(&self.cfg),
        )
    }

    /// Writes a checkpoint folder atomically: `policy/` and `reference/` (Hugging Face
    /// layout), `value_head.safetensors`, `optimizer.safetensors`, `trainer.json` (step, data
    /// cursor, seed, KL controller, reward statistics, curriculum state, metrics so far).
    /// Refuses to write when any weight or optimizer moment is NaN or inf.
    pub fn save_checkpoint(&self, dir: &Path) -> Result<()> {
        for (name, t) in self.policy.weights() {
            ensure_finite(&t, &format!("policy weight {name}"))?;
        }
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| PpoError::io(parent, e))?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "checkpoint".into());
        let tmp = parent.join(format!(".{name}.tmp.{}", std::process::id()));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| PpoError::io(&tmp, e))?;
        }
        std::fs::create_dir_all(&tmp).map_err(|e| PpoError::io(&tmp, e))?;
        let result = (|| -> Result<()> {
            stepcoder_model::save_hf_dir(
                &tmp.join("policy"),
                &self.policy,
                Some(&self.tokenizer),
                None,
                DType::F32,
            )?;
            stepcoder_model::save_hf_dir(
                &tmp.join("reference"),
                &self.reference,
                Some(&self.tokenizer),
                None,
                DType::F32,
            )?;
            let mut head = HashMap::new();
            let data = self
                .value_head
                .varmap()
                .data()
                .lock()
                .map_err(|_| PpoError::Model("VarMap lock poisoned".into()))?;
            for (k, v) in data.iter() {
                head.insert(k.clone(), v.as_tensor().to_device(&Device::Cpu)?);
            }
            drop(data);
            save_tensors_atomic(&head, &tmp.join("value_head.safetensors"))?;
            self.optimizer.save(&tmp.join("optimizer.safetensors"))?;
            let state = TrainerState {
                config: self.cfg.clone(),
                step: self.step,
                cursor: self.cursor,
                kl: self.cfg.kl,
                reward_norm: self.cfg.reward_norm,
                curriculum: self.parts.curriculum.save_state(),
                history: self.history.clone(),
            };
            let json = serde_json::to_vec_pretty(&state).map_err(|e| PpoError::Json {
                path: "trainer.json".into(),
                source: e,
            })?;
            write_atomic(&tmp.join("trainer.json"), &json)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        // Swap the finished folder in: the old checkpoint stays until the new one is whole.
        let old: PathBuf = parent.join(format!(".{name}.old.{}", std::process::id()));
        if dir.exists() {
            std::fs::rename(dir, &old).map_err(|e| PpoError::io(dir, e))?;
        }
        std::fs::rename(&tmp, dir).map_err(|e| PpoError::io(dir, e))?;
        if old.exists() {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(())
    }

    /// Continues a run from a checkpoint written by [`Trainer::save_checkpoint`], with the
    /// saved configuration. `problems` must be the run's data set (same order).
    /// Tunes the allocator as [`Trainer::new`] does.
    pub fn resume(
        dir: &Path,
        device: &Device,
        problems: Vec<Problem>,
        mut parts: Components,
    ) -> Result<Self> {
        let path = dir.join("trainer.json");
        let text = std::fs::read_to_string(&path).map_err(|e| PpoError::io(&path, e))?;
        let state: TrainerState = serde_json::from_str(&text).map_err(|e| PpoError::Json {
            path: path.display().to_string(),
            source: e,
        })?;
        validate(&state.config, &problems)?;
        stepcoder_model::optim::tune_allocator();
        let opts = stepcoder_model::LoadOptions {
            dtype: DType::F32,
            device: device.clone(),
            trainable: true,
        };
        let loaded = stepcoder_model::load_hf_dir(&dir.join("policy"), &opts)?;
        let reference = stepcoder_model::load_hf_dir(
            &dir.join("reference"),
            &stepcoder_model::LoadOptions {
                trainable: false,
                ..opts.clone()
            },
        )?
        .model;
        let head_path = dir.join("value_head.safetensors");
        let mut head = candle_core::safetensors::load(&head_path, device)?;
        let take = |h: &mut HashMap<String, Tensor>, k: &str| {
            h.remove(k).ok_or_else(|| {
                PpoError::state(head_path.display().to_string(), format!("no tensor {k}"))
            })
        };
        let value_head = ValueHead::from_tensors(
            take(&mut head, "v_head.weight")?,
            take(&mut head, "v_head.bias")?,
        )?;
        let mut optimizer = optimizer_for(&loaded.model, &value_head, &state.config.adamw)?;
        optimizer.load(&dir.join("optimizer.safetensors"))?;
        let unknown = parts.curriculum.load_state(&state.curriculum)?;
        if !unknown.is_empty() {
            tracing::warn!(
                count = unknown.len(),
                "curriculum state names problems not in this data set"
            );
        }
        let mut cfg = state.config;
        cfg.kl = state.kl;
        cfg.reward_norm = state.reward_norm;
        Ok(Trainer {
            advantage: cfg.advantage.build(),
            cfg,
            policy: loaded.model,
            reference,
            value_head,
            tokenizer: loaded.tokenizer,
            parts,
            optimizer,
            problems,
            cursor: state.cursor,
            step: state.step,
            history: state.history,
            log: None,
            samples: None,
            overlap_execution: true,
        })
    }
}

fn validate(cfg: &PpoConfig, problems: &[Problem]) -> Result<()> {
    if problems.is_empty() {
        return Err(PpoError::Config("no problems to train on".into()));
    }
    for (what, v) in [
        ("problems_per_step", cfg.problems_per_step),
        ("samples_per_problem", cfg.samples_per_problem),
        ("max_new_tokens", cfg.max_new_tokens),
        ("ppo_epochs", cfg.ppo_epochs),
        ("minibatch_rows", cfg.minibatch_rows),
        ("grad_accum", cfg.grad_accum),
    ] {
        if v == 0 {
            return Err(PpoError::Config(format!("{what} must be at least 1")));
        }
    }
    Ok(())
}

/// The program a rollout runs: the curriculum `prefix`, then the code of `completion` up to
/// the closing fence or the first of the problem kind's stop sequences
/// ([`stop_sequences`]): the same cut as sampling, the evaluator
/// (`stepcoder_eval::program_of`) and the FGO masker (given `stop_sequences` in its span).
pub fn rollout_program(
    problem: &Problem,
    prefix: &str,
    completion: &str,
    fence: FenceMode,
) -> String {
    extract_program(problem, prefix, completion, fence)
        .text()
        .to_string()
}

/// [`rollout_program`] with the code's place in the completion kept.
fn extract_program(problem: &Problem, prefix: &str, completion: &str, fence: FenceMode) -> Program {
    Program::extract_until(prefix, completion, fence, stop_sequences(&problem.kind))
}

/// The sampling stop strings of `problem`'s kind (the fence is in every row's list already).
fn row_stops(problem: &Problem) -> Vec<String> {
    stop_sequences(&problem.kind)
        .iter()
        .filter(|s| **s != CODE_FENCE_CLOSE)
        .map(|s| s.to_string())
        .collect()
}

/// Per-token rewards (`-beta * (old_logp - ref_logp)` on every response token, each row's
/// outcome reward added on its last) through `estimator`; also the mean per-token KL.
fn token_advantages(
    roll: &Rollout,
    scores: &Scores,
    rewards: Vec<f32>,
    beta: f64,
    estimator: &dyn AdvantageEstimator,
) -> Result<(Advantages, f64)> {
    let kl_tok = ((&scores.old_logp - &scores.ref_logp)? * &roll.resp_mask)?;
    let resp_tokens = roll.resp_mask.sum_all()?.to_scalar::<f32>()? as f64;
    let kl_mean = kl_tok.sum_all()?.to_scalar::<f32>()? as f64 / resp_tokens.max(1.0);
    let last = last_position_onehot(&roll.resp_mask)?;
    let reward_col = Tensor::from_vec(rewards.clone(), (roll.rows, 1), roll.targets.device())?;
    let token_rewards = ((kl_tok * (-beta))? + last.broadcast_mul(&reward_col)?)?;
    let adv = estimator.estimate(&AdvantageInput {
        token_rewards: &token_rewards,
        outcome_rewards: &rewards,
        values: Some(&scores.old_values),
        mask: &roll.resp_mask,
        groups: &roll.groups,
    })?;
    Ok((adv, kl_mean))
}

/// 1 at each row's last position with `mask > 0` (where the outcome reward lands).
fn last_position_onehot(mask: &Tensor) -> Result<Tensor> {
    let (rows, p) = mask.dims2()?;
    let m: Vec<f32> = mask.flatten_all()?.to_vec1()?;
    let mut out = vec![0f32; rows * p];
    for r in 0..rows {
        if let Some(k) = (0..p).rev().find(|&k| m[r * p + k] > 0.0) {
            out[r * p + k] = 1.0;
        }
    }
    Ok(Tensor::from_vec(out, (rows, p), mask.device())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use stepcoder_model::testing::tiny_config;

    /// Three rows of one prompt and two of another, completions of different lengths (one
    /// empty: the policy ended at once).
    fn rollout(dev: &Device) -> Rollout {
        let prompts = vec![vec![5, 9, 14, 3, 7, 22], vec![8, 2, 31]];
        let completions: Vec<Vec<u32>> = vec![
            vec![40, 41, 42, 43, 44],
            vec![40, 12],
            vec![50, 51, 52, 53, 54, 55, 56],
            vec![60, 61, 62],
            vec![],
        ];
        let prompt_of = vec![0, 0, 0, 1, 1];
        let r_len = 7;
        let mut targets = vec![0u32; 5 * r_len];
        let mut resp = vec![0f32; 5 * r_len];
        for (r, c) in completions.iter().enumerate() {
            for (j, &id) in c.iter().enumerate() {
                targets[r * r_len + j] = id;
                resp[r * r_len + j] = 1.0;
            }
        }
        let resp_mask = Tensor::from_vec(resp, (5, r_len), dev).unwrap();
        Rollout {
            prompt_of,
            prompts,
            completions,
            pad: 0,
            targets: Tensor::from_vec(targets, (5, r_len), dev).unwrap(),
            fgo_mask: resp_mask.clone(),
            resp_mask,
            rows: 5,
            groups: vec![0, 0, 0, 1, 1],
            sampled_states: None,
        }
    }

    fn max_abs(t: &Tensor) -> f32 {
        stepcoder_model::testing::max_abs(t).unwrap()
    }

    /// `[n, R]` log-probs of `rows`' tokens, zero past each completion.
    fn masked_log_probs(
        model: &CausalLm,
        roll: &Rollout,
        rows: &[usize],
        layout: WindowLayout,
    ) -> Tensor {
        let w = roll.windows(model, rows, layout, true).unwrap();
        let lp = stepcoder_kernels::token_log_probs(&model.logits(&w.hidden).unwrap(), &w.targets)
            .unwrap();
        let ix = Tensor::from_vec(
            rows.iter().map(|&r| r as u32).collect(),
            rows.len(),
            model.device(),
        )
        .unwrap();
        (w.to_rows(&lp).unwrap() * roll.resp_mask.index_select(&ix, 0).unwrap()).unwrap()
    }

    /// The layouts that share the prompt: rows, one pack per problem, and packs of at most 6
    /// tokens (the fixture's problems split into several packs, one row longer than that).
    const SHARED: [WindowLayout; 3] = [
        WindowLayout::SharedPrompt,
        WindowLayout::Packed { max_tokens: 1024 },
        WindowLayout::Packed { max_tokens: 6 },
    ];

    /// Scoring computes a problem's prompt once for all its rows, here 3 rows split over
    /// 2-row chunks, and gives what every row on its own copy of the prompt gives.
    #[test]
    fn scoring_a_shared_prompt_over_several_chunks_matches_per_row_prompts() {
        let dev = Device::Cpu;
        let policy = CausalLm::random(tiny_config(), DType::F32, &dev, 3).unwrap();
        let reference = CausalLm::random(tiny_config(), DType::F32, &dev, 4).unwrap();
        let head = ValueHead::new(tiny_config().hidden_size, DType::F32, &dev).unwrap();
        let roll = rollout(&dev);
        let score = |layout| roll.score(&policy, &reference, &head, 2, layout).unwrap();
        let own = score(WindowLayout::PerRow);
        for layout in SHARED {
            let shared = score(layout);
            for (name, a, b) in [
                ("old_logp", &shared.old_logp, &own.old_logp),
                ("ref_logp", &shared.ref_logp, &own.ref_logp),
                ("old_values", &shared.old_values, &own.old_values),
            ] {
                assert_eq!(a.dims(), &[5, 7]);
                let diff = max_abs(&(a - b).unwrap());
                assert!(diff < 1e-5, "{layout:?}: {name} differs by {diff}");
            }
            let gap = max_abs(&(&shared.old_logp - &shared.ref_logp).unwrap());
            assert!(
                gap > 1e-3,
                "policy and reference are scored each with its own weights"
            );
        }
    }

    /// Computing a shared prompt once, with the windows as rows or packed, gives the log-probs
    /// of running every row on its own padded copy of the prompt, and the same gradients
    /// through the prompt (the training forward keeps the graph through the shared keys and
    /// values).
    #[test]
    fn shared_prompt_scoring_and_gradients_match_per_row_prompts() {
        let dev = Device::Cpu;
        let model = CausalLm::random(tiny_config(), DType::F32, &dev, 3)
            .unwrap()
            .trainable_copy()
            .unwrap();
        let roll = rollout(&dev);
        for (layout, rows) in SHARED
            .into_iter()
            .flat_map(|l| [vec![0, 1, 2, 3, 4], vec![2, 0, 4, 3], vec![4, 1]].map(|r| (l, r)))
        {
            let shared = masked_log_probs(&model, &roll, &rows, layout);
            let own = masked_log_probs(&model, &roll, &rows, WindowLayout::PerRow);
            let diff = max_abs(&(&shared - &own).unwrap());
            assert!(
                diff < 1e-5,
                "{layout:?}, rows {rows:?}: log-probs differ by {diff}"
            );
            let total = shared.sum_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(total < 0.0, "the completions carry log-probs");
            let (gs, go) = (
                shared.sum_all().unwrap().backward().unwrap(),
                own.sum_all().unwrap().backward().unwrap(),
            );
            for var in model.varmap().all_vars() {
                let (a, b) = (gs.get(&var).unwrap(), go.get(&var).unwrap());
                let (scale, d) = (max_abs(b), max_abs(&(a - b).unwrap()));
                assert!(
                    d <= 1e-4 * scale.max(1.0),
                    "gradient differs by {d} (scale {scale})"
                );
            }
        }
    }

    /// Scoring the policy from the states that sampling kept gives the log-probs and values
    /// of running it again over every rollout (and the same reference log-probs), for rows
    /// that share a prompt and rows that stop at different lengths, in every layout.
    #[test]
    fn scores_from_sampling_states_match_running_the_policy_again() {
        let dev = Device::Cpu;
        let policy = CausalLm::random(tiny_config(), DType::F32, &dev, 3).unwrap();
        let reference = CausalLm::random(tiny_config(), DType::F32, &dev, 4).unwrap();
        let head = ValueHead::new(tiny_config().hidden_size, DType::F32, &dev).unwrap();
        let mut roll = fixtures::sampled_rollout(&policy, |_, _| 1.0);
        let states = roll.sampled_states.clone();
        let r_len = roll.targets.dims2().unwrap().1;
        for layout in [WindowLayout::PerRow, SHARED[0], SHARED[1]] {
            roll.sampled_states = None;
            let again = roll.score(&policy, &reference, &head, 2, layout).unwrap();
            roll.sampled_states = states.clone();
            let kept = roll.score(&policy, &reference, &head, 2, layout).unwrap();
            for (name, a, b, tol) in [
                ("old_logp", &kept.old_logp, &again.old_logp, 1e-4),
                ("old_values", &kept.old_values, &again.old_values, 1e-4),
                ("ref_logp", &kept.ref_logp, &again.ref_logp, 0.0),
            ] {
                assert_eq!(a.dims(), &[5, r_len]);
                let diff = max_abs(&(a - b).unwrap());
                assert!(diff <= tol, "{layout:?}: {name} differs by {diff}");
            }
            let gap = max_abs(&(&kept.old_logp - &kept.ref_logp).unwrap());
            assert!(
                gap > 1e-3,
                "the old log-probs are the policy's, not the reference's"
            );
        }
    }
}

#[cfg(test)]
mod by_hand;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod no_code;
