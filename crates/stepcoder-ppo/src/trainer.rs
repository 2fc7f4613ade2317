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
use stepcoder_core::prompt::{code_prompt, prompt_prefix, CODE_FENCE_CLOSE};
use stepcoder_core::{
    CompletionSpan, CurriculumSchedule, ExecReport, Executor, Problem, RewardFn, TokenMasker,
};
use stepcoder_fgo::{FenceMode, Program};
use stepcoder_model::{
    generate, generate_with, CausalLm, ChatMessage, Completion, ModelTokenizer, SamplingConfig,
    ValueHead,
};

use crate::atomic::{ensure_finite, save_tensors_atomic, write_atomic};
use crate::{
    clip_grad_norm, masked_entropy, policy_loss, policy_stats, value_loss, AdamW, AdamWConfig,
    AdvantageEstimator, AdvantageInput, Gae, GradAccumulator, Gradients, GroupBaseline,
    KlController, LossConfig, LrSchedule, MetricsLog, OutcomeCounts, ParamGroup, PpoError, Result,
    RewardNormalizer, RolloutSample, SampleLog, StepMetrics, TimeSplit,
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
            system_prompt: None,
            seed: 0,
        }
    }
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

/// One rollout batch. Prompts are left-padded to one length `Lp` and completions follow
/// (right-padded to the longest, `R` tokens), so every row's completion is predicted from the
/// same window of `R` positions, `Lp - 1 ..`: the LM head, log-probs, values, advantages
/// and losses are computed on `[B, R]` (`[B, R, V]` logits) instead of the whole sequence.
struct Rollout {
    /// Model input `[B, Lp + R - 1]` (the last completion token is only a target).
    input: Tensor,
    attn: Tensor,
    /// First position of the window (`Lp - 1`).
    start: usize,
    /// The completion tokens `[B, R]` (padding where `resp_mask` is 0).
    targets: Tensor,
    resp_mask: Tensor,
    fgo_mask: Tensor,
    rows: usize,
    groups: Vec<usize>,
}

impl Rollout {
    /// Hidden states of the window `[n, R, H]` for the rows `ix` (all rows when `None`).
    fn window_hidden(&self, model: &CausalLm, ix: Option<&Tensor>) -> Result<Tensor> {
        let (input, attn) = match ix {
            Some(ix) => (
                self.input.index_select(ix, 0)?,
                self.attn.index_select(ix, 0)?,
            ),
            None => (self.input.clone(), self.attn.clone()),
        };
        let r = self.targets.dim(1)?;
        let hidden = model.forward_hidden(&input, Some(&attn), None)?;
        Ok(hidden.narrow(1, self.start, r)?)
    }
}

/// Sampled completions and their programs' reports, in row order, with the phase times.
struct Rollouts {
    completions: Vec<Completion>,
    reports: Vec<ExecReport>,
    generation_s: f64,
    /// Execution time past the end of generation (the part not hidden behind it).
    execution_s: f64,
    /// Time the executor was busy in all (overlapped with generation or not).
    execution_busy_s: f64,
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
    AdamW::new(
        vec![
            ParamGroup::from_varmap("policy", policy.varmap())?,
            ParamGroup::from_varmap("critic", head.varmap())?,
        ],
        *cfg,
    )
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
        let reference = policy.frozen_copy()?;
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

    /// One RL step: rollouts, then the PPO update. Returns (and logs) its metrics.
    pub fn step(&mut self) -> Result<StepMetrics> {
        let t_start = Instant::now();
        let cfg = self.cfg.clone();
        let dev = self.policy.device().clone();
        let n_prob = cfg.problems_per_step;
        let idx: Vec<usize> = (0..n_prob)
            .map(|i| (self.cursor + i) % self.problems.len())
            .collect();
        self.cursor = (self.cursor + n_prob) % self.problems.len();

        // --- prompts (one curriculum plan per problem, shared by its samples)
        let mut plans = Vec::with_capacity(n_prob);
        let mut prompts = Vec::new();
        let mut groups = Vec::new();
        for &pi in &idx {
            let mut plan = self.parts.curriculum.plan(&self.problems[pi]);
            // The policy writes the prefix's last line break itself (see `prompt_prefix`);
            // prompt, program and FGO mask all use this one prefix.
            plan.prefix.truncate(prompt_prefix(&plan.prefix).len());
            let ids = self.prompt_ids(&self.problems[pi], &plan.prefix)?;
            for _ in 0..cfg.samples_per_problem {
                prompts.push(ids.clone());
                groups.push(pi);
            }
            plans.push(plan);
        }

        // --- generation, with each finished row's program run on a second thread meanwhile
        let sampling = SamplingConfig {
            max_new_tokens: cfg.max_new_tokens,
            temperature: cfg.temperature,
            top_p: cfg.top_p,
            top_k: 0,
            seed: mix(cfg.seed, self.step),
            eos_ids: Vec::new(),
            stop_strings: vec![CODE_FENCE_CLOSE.to_string()],
        };
        let row_plan = |r: usize| &plans[r / cfg.samples_per_problem];
        let program_of = |r: usize, c: &stepcoder_model::Completion| {
            Program::extract(&row_plan(r).prefix, &c.text, cfg.fence)
                .text()
                .to_string()
        };
        let Rollouts {
            completions,
            reports,
            generation_s,
            execution_s,
            execution_busy_s,
        } = self.sample_and_execute(&prompts, &groups, &sampling, program_of)?;

        let t_train = Instant::now();
        let mut outcomes = OutcomeCounts::default();
        let mut raw_rewards = Vec::with_capacity(reports.len());
        let mut stage_histogram = std::collections::BTreeMap::new();
        let mut token_masks = Vec::with_capacity(reports.len());
        for (r, report) in reports.iter().enumerate() {
            let problem = &self.problems[groups[r]];
            outcomes.add(report.class());
            raw_rewards.push(self.parts.reward.reward(report));
            self.parts.curriculum.record(problem, report.passed());
            *stage_histogram.entry(row_plan(r).stage).or_insert(0) += 1;
            let c = &completions[r];
            let span = CompletionSpan {
                text: &c.text,
                token_offsets: &c.token_offsets,
                prefix: &row_plan(r).prefix,
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
            token_masks.push(m);
        }
        let rewards = self.cfg.reward_norm.normalize(&raw_rewards);

        // --- tensors over predicted positions
        let roll = self.build_rollout(&completions, &token_masks, groups.clone(), &dev)?;
        let t_score = Instant::now();
        let (old_logp, old_values) = self.score(&roll, false)?;
        let (ref_logp, _) = self.score(&roll, true)?;
        let scoring_s = t_score.elapsed().as_secs_f64();
        let (mut forward_s, mut backward_s, mut optimizer_s) = (0f64, 0f64, 0f64);
        let kl_tok = ((&old_logp - &ref_logp)? * &roll.resp_mask)?;
        let resp_tokens = roll.resp_mask.sum_all()?.to_scalar::<f32>()? as f64;
        let kl_mean = kl_tok.sum_all()?.to_scalar::<f32>()? as f64 / resp_tokens.max(1.0);
        let beta = self.cfg.kl.beta();
        let last = last_position_onehot(&roll.resp_mask)?;
        let reward_col = Tensor::from_vec(rewards, (roll.rows, 1), &dev)?;
        let token_rewards = ((kl_tok * (-beta))? + last.broadcast_mul(&reward_col)?)?;
        let adv = self.advantage.estimate(&AdvantageInput {
            token_rewards: &token_rewards,
            values: Some(&old_values),
            mask: &roll.resp_mask,
            groups: &roll.groups,
        })?;
        let use_critic = self.advantage.needs_critic();
        let returns = adv.returns.clone();

        // --- PPO epochs over shuffled minibatches
        let policy_mask = (&roll.resp_mask * &roll.fgo_mask)?;
        let mut acc = GradAccumulator::new();
        let (mut sum_pl, mut sum_vl, mut sum_ent, mut sum_clip, mut sum_akl, mut n_mb) =
            (0f64, 0f64, 0f64, 0f64, 0f64, 0usize);
        let mut skipped = 0usize;
        let mut grad_norm = 0f64;
        let (mut lr_p, mut lr_c) = (0f64, 0f64);
        for epoch in 0..cfg.ppo_epochs {
            let mut order: Vec<usize> = (0..roll.rows).collect();
            let mut rng =
                rand::rngs::StdRng::seed_from_u64(mix(mix(cfg.seed, self.step), epoch as u64 + 1));
            order.shuffle(&mut rng);
            let chunks: Vec<&[usize]> = order.chunks(cfg.minibatch_rows).collect();
            for (ci, chunk) in chunks.iter().enumerate() {
                let ix = Tensor::from_vec(
                    chunk.iter().map(|&i| i as u32).collect::<Vec<_>>(),
                    chunk.len(),
                    &dev,
                )?;
                let pick = |t: &Tensor| t.index_select(&ix, 0);
                let t0 = Instant::now();
                let hidden = roll.window_hidden(&self.policy, Some(&ix))?;
                let logits = self.policy.logits(&hidden)?;
                let logp = stepcoder_kernels::token_log_probs(&logits, &pick(&roll.targets)?)?;
                let pm = pick(&policy_mask)?;
                let rm = pick(&roll.resp_mask)?;
                let old = pick(&old_logp)?;
                let a = pick(&adv.advantages)?;
                let pl = policy_loss(&logp, &old, &a, &pm, cfg.loss.clip_eps)?;
                let mut total = pl.clone();
                let mut vl_val = 0f64;
                if use_critic {
                    let values = self.value_head.forward(&hidden.to_dtype(DType::F32)?)?;
                    let ret = returns
                        .as_ref()
                        .ok_or_else(|| PpoError::Config("critic without returns".into()))?;
                    let vl = value_loss(
                        &values,
                        &pick(&old_values)?,
                        &pick(ret)?,
                        &rm,
                        cfg.loss.value_clip,
                    )?;
                    vl_val = vl.to_scalar::<f32>()? as f64;
                    total = (total + (vl * cfg.loss.value_coef)?)?;
                }
                let ent = if cfg.loss.entropy_coef != 0.0 {
                    let e = masked_entropy(&logits, &rm)?;
                    total = (total - (&e * cfg.loss.entropy_coef)?)?;
                    e.to_scalar::<f32>()? as f64
                } else {
                    masked_entropy(&logits.detach(), &rm)?.to_scalar::<f32>()? as f64
                };
                let stats = policy_stats(&logp, &old, &pm, cfg.loss.clip_eps)?;
                let total_v = total.to_scalar::<f32>()?;
                if !total_v.is_finite() {
                    tracing::error!(step = self.step, epoch, minibatch = ci, loss = %total_v, "non-finite loss: skipping this minibatch's update");
                    skipped += 1;
                    continue;
                }
                sum_pl += pl.to_scalar::<f32>()? as f64;
                sum_vl += vl_val;
                sum_ent += ent;
                sum_clip += stats.clip_fraction;
                sum_akl += stats.approx_kl;
                n_mb += 1;
                forward_s += t0.elapsed().as_secs_f64();
                let t1 = Instant::now();
                let store = total.backward()?;
                acc.add(Gradients::from_store(&store, self.optimizer.groups())?)?;
                backward_s += t1.elapsed().as_secs_f64();
                let t2 = Instant::now();
                let last_chunk = epoch + 1 == cfg.ppo_epochs && ci + 1 == chunks.len();
                if acc.count() >= cfg.grad_accum || last_chunk {
                    let mut g = acc.mean()?;
                    let checked = g
                        .ensure_finite()
                        .and_then(|_| clip_grad_norm(&mut g, cfg.max_grad_norm));
                    match checked {
                        Ok(n) => {
                            grad_norm = n;
                            let k = self.optimizer.step_count();
                            lr_p = cfg.policy_lr.lr(k);
                            lr_c = cfg.critic_lr.lr(k);
                            self.optimizer.step(&g, &[lr_p, lr_c])?;
                        }
                        Err(e) => {
                            tracing::error!(step = self.step, epoch, minibatch = ci, error = %e, "non-finite gradient: skipping the update");
                            skipped += 1;
                        }
                    }
                }
                optimizer_s += t2.elapsed().as_secs_f64();
            }
        }
        self.cfg.kl.update(kl_mean, roll.rows as u64);
        let training_s = t_train.elapsed().as_secs_f64();

        let generated: usize = completions.iter().map(|c| c.token_ids.len()).sum();
        let masked_in = policy_mask.sum_all()?.to_scalar::<f32>()? as f64;
        let nmb = n_mb.max(1) as f64;
        let total_s = t_start.elapsed().as_secs_f64();
        let metrics = StepMetrics {
            step: self.step,
            reward_mean: raw_rewards.iter().map(|&r| r as f64).sum::<f64>()
                / raw_rewards.len().max(1) as f64,
            pass_rate: outcomes.passed as f64 / outcomes.total().max(1) as f64,
            outcomes,
            kl: kl_mean,
            kl_beta: beta,
            entropy: sum_ent / nmb,
            clip_fraction: sum_clip / nmb,
            approx_kl: sum_akl / nmb,
            value_loss: sum_vl / nmb,
            policy_loss: sum_pl / nmb,
            fgo_masked_fraction: 1.0 - masked_in / resp_tokens.max(1.0),
            stage_histogram,
            generated_tokens: generated,
            tokens_per_s: generated as f64 / total_s.max(1e-9),
            time: TimeSplit {
                generation_s,
                execution_s,
                training_s,
                execution_busy_s,
                scoring_s,
                forward_s,
                backward_s,
                optimizer_s,
            },
            lr_policy: lr_p,
            lr_critic: lr_c,
            grad_norm,
            skipped_updates: skipped,
        };
        if let Some(log) = self.samples.as_mut() {
            let samples: Vec<RolloutSample> = reports
                .iter()
                .enumerate()
                .map(|(r, report)| {
                    let m = &token_masks[r];
                    RolloutSample {
                        step: self.step,
                        row: r,
                        problem: self.problems[groups[r]].id.clone(),
                        stage: row_plan(r).stage,
                        prefix: row_plan(r).prefix.clone(),
                        completion: completions[r].text.clone(),
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

    /// Samples completions for `prompts` and runs their programs (`program_of(row,
    /// completion)`) against the problems of `groups`. With overlap on, a scoped thread
    /// executes rows as they finish (each time, everything finished since its last batch, so
    /// the executor still parallelizes within a batch) while sampling goes on.
    fn sample_and_execute(
        &self,
        prompts: &[Vec<u32>],
        groups: &[usize],
        sampling: &SamplingConfig,
        program_of: impl Fn(usize, &Completion) -> String,
    ) -> Result<Rollouts> {
        let executor: &dyn Executor = self.parts.executor.as_ref();
        let problems = &self.problems;
        let run = |batch: &[(usize, String)]| -> Result<Vec<ExecReport>> {
            let jobs: Vec<(&str, &Problem)> = batch
                .iter()
                .map(|(r, p)| (p.as_str(), &problems[groups[*r]]))
                .collect();
            Ok(executor
                .execute_batch(&jobs)
                .into_iter()
                .collect::<std::result::Result<_, _>>()?)
        };
        let t_gen = Instant::now();
        if !self.overlap_execution {
            let completions = generate(&self.policy, Some(&self.tokenizer), prompts, sampling)?;
            let generation_s = t_gen.elapsed().as_secs_f64();
            let t_exec = Instant::now();
            let batch: Vec<(usize, String)> = completions
                .iter()
                .enumerate()
                .map(|(r, c)| (r, program_of(r, c)))
                .collect();
            let reports = run(&batch)?;
            let execution_s = t_exec.elapsed().as_secs_f64();
            return Ok(Rollouts {
                completions,
                reports,
                generation_s,
                execution_s,
                execution_busy_s: execution_s,
            });
        }
        let rows = prompts.len();
        let (tx, rx) = mpsc::channel::<(usize, String)>();
        std::thread::scope(|scope| {
            let worker = scope.spawn(move || -> Result<(Vec<Option<ExecReport>>, f64)> {
                let mut reports: Vec<Option<ExecReport>> = (0..rows).map(|_| None).collect();
                let mut busy = 0f64;
                while let Ok(first) = rx.recv() {
                    let batch: Vec<(usize, String)> =
                        std::iter::once(first).chain(rx.try_iter()).collect();
                    let t = Instant::now();
                    for ((r, _), report) in batch.iter().zip(run(&batch)?) {
                        reports[*r] = Some(report);
                    }
                    busy += t.elapsed().as_secs_f64();
                }
                Ok((reports, busy))
            });
            let sampled = generate_with(
                &self.policy,
                Some(&self.tokenizer),
                prompts,
                sampling,
                |r, c| {
                    // A closed channel means the worker stopped on an error, reported below.
                    let _ = tx.send((r, program_of(r, c)));
                },
            );
            drop(tx);
            let generation_s = t_gen.elapsed().as_secs_f64();
            let t_rest = Instant::now();
            let executed = worker.join().map_err(|_| {
                PpoError::Core(stepcoder_core::CoreError::Executor(
                    "the execution thread panicked".into(),
                ))
            })?;
            let execution_s = t_rest.elapsed().as_secs_f64();
            let completions = sampled?;
            let (reports, execution_busy_s) = executed?;
            let reports = reports
                .into_iter()
                .enumerate()
                .map(|(r, report)| {
                    report.ok_or_else(|| {
                        PpoError::Core(stepcoder_core::CoreError::Executor(format!(
                            "no report for row {r}"
                        )))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Rollouts {
                completions,
                reports,
                generation_s,
                execution_s,
                execution_busy_s,
            })
        })
    }

    /// Lays out prompt + completion rows (see [`Rollout`]); position `Lp - 1 + j` predicts
    /// completion token `j`.
    fn build_rollout(
        &self,
        completions: &[Completion],
        token_masks: &[Vec<f32>],
        groups: Vec<usize>,
        dev: &Device,
    ) -> Result<Rollout> {
        let rows = completions.len();
        let lp = completions
            .iter()
            .map(|c| c.prompt_ids.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let r_len = completions
            .iter()
            .map(|c| c.token_ids.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let len = lp + r_len - 1;
        let pad = self.tokenizer.pad_id;
        let (mut input, mut attn) = (vec![pad; rows * len], vec![0u32; rows * len]);
        let mut targets = vec![pad; rows * r_len];
        let (mut resp, mut fgo) = (vec![0f32; rows * r_len], vec![0f32; rows * r_len]);
        for (r, c) in completions.iter().enumerate() {
            let first = lp - c.prompt_ids.len();
            let seq = c.prompt_ids.iter().chain(&c.token_ids).take(len - first);
            for (k, &id) in seq.enumerate() {
                input[r * len + first + k] = id;
                attn[r * len + first + k] = 1;
            }
            for (j, (&id, &m)) in c.token_ids.iter().zip(&token_masks[r]).enumerate() {
                targets[r * r_len + j] = id;
                resp[r * r_len + j] = 1.0;
                fgo[r * r_len + j] = m;
            }
        }
        Ok(Rollout {
            input: Tensor::from_vec(input, (rows, len), dev)?,
            attn: Tensor::from_vec(attn, (rows, len), dev)?,
            start: lp - 1,
            targets: Tensor::from_vec(targets, (rows, r_len), dev)?,
            resp_mask: Tensor::from_vec(resp, (rows, r_len), dev)?,
            fgo_mask: Tensor::from_vec(fgo, (rows, r_len), dev)?,
            rows,
            groups,
        })
    }

    /// Log-probs of the taken tokens and values, without gradient, by minibatch.
    fn score(&self, roll: &Rollout, reference: bool) -> Result<(Tensor, Tensor)> {
        let model = if reference {
            &self.reference
        } else {
            &self.policy
        };
        let (mut lps, mut vals) = (Vec::new(), Vec::new());
        let mb = self.cfg.minibatch_rows.max(1);
        let mut start = 0;
        while start < roll.rows {
            let n = mb.min(roll.rows - start);
            let ix = Tensor::arange(start as u32, (start + n) as u32, roll.input.device())?;
            let h = roll.window_hidden(model, Some(&ix))?.detach();
            let logits = model.logits(&h)?.detach();
            lps.push(
                stepcoder_kernels::token_log_probs(&logits, &roll.targets.narrow(0, start, n)?)?
                    .detach(),
            );
            if !reference {
                vals.push(self.value_head.forward(&h.to_dtype(DType::F32)?)?.detach());
            }
            start += n;
        }
        let lp = (Tensor::cat(&lps, 0)? * &roll.resp_mask)?;
        let v = if reference {
            lp.zeros_like()?
        } else {
            (Tensor::cat(&vals, 0)? * &roll.resp_mask)?
        };
        Ok((lp, v))
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
