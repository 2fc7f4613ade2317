//! Sampling completions for problems and running them.

use std::sync::mpsc;

use serde::{Deserialize, Serialize};
use stepcoder_core::prompt::{code_prompt, stop_sequences, CodePrompt, CODE_FENCE_CLOSE};
use stepcoder_core::{execute_with_retry, Executor, OutcomeClass, Problem};
use stepcoder_fgo::{FenceMode, Program};
use stepcoder_model::{
    generate, CausalLm, ChatMessage, Completion, ModelTokenizer, SamplingConfig,
};

use crate::{DroppedSample, EvalReport, ProblemResult, SampleRecord};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("model: {0}")]
    Model(#[from] stepcoder_model::ModelError),
    #[error("executor: {0}")]
    Executor(#[from] stepcoder_core::CoreError),
    #[error("invalid evaluation settings: {0}")]
    Config(String),
    /// Two reports compared problem by problem must hold the same problems.
    #[error("problem `{id}` is in the {present} report but not in the {missing} report; compare evaluations of the same problems")]
    ProblemMismatch {
        id: String,
        present: &'static str,
        missing: &'static str,
    },
    #[error(
        "problem `{id}` appears more than once in the {report} report; problems are matched by id"
    )]
    DuplicateProblem { id: String, report: &'static str },
    #[error("no problems to compare")]
    NoProblems,
    /// Reports pooled over seeds must hold the same problems.
    #[error("problem `{id}` is in report {present} but not in report {missing} of the pool; pool evaluations of the same problems")]
    PoolMismatch {
        id: String,
        present: usize,
        missing: usize,
    },
}

/// How to sample for evaluation. Defaults follow the paper: T = 0.2, top-p = 0.95, pass@1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvalConfig {
    /// Samples per problem (n of the pass@k estimator).
    pub samples: usize,
    /// The k of each pass@k reported.
    pub ks: Vec<usize>,
    pub temperature: f32,
    pub top_p: f32,
    pub max_new_tokens: usize,
    /// Rows sampled together (problems x samples are flattened into rows).
    pub batch_size: usize,
    pub seed: u64,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            samples: 1,
            ks: vec![1],
            temperature: 0.2,
            top_p: 0.95,
            max_new_tokens: 512,
            batch_size: 8,
            seed: 0,
        }
    }
}

impl EvalConfig {
    pub fn validate(&self) -> Result<(), EvalError> {
        if self.samples == 0 || self.batch_size == 0 || self.max_new_tokens == 0 {
            return Err(EvalError::Config(
                "samples, batch_size and max_new_tokens must be at least 1".into(),
            ));
        }
        if let Some(k) = self.ks.iter().find(|k| **k == 0 || **k > self.samples) {
            return Err(EvalError::Config(format!(
                "pass@{k} needs 1 <= k <= samples ({}); raise --samples",
                self.samples
            )));
        }
        Ok(())
    }

    fn sampling(&self, seed: u64) -> SamplingConfig {
        SamplingConfig {
            max_new_tokens: self.max_new_tokens,
            temperature: self.temperature,
            top_p: self.top_p,
            top_k: 0,
            seed,
            eos_ids: Vec::new(),
            stop_strings: vec![CODE_FENCE_CLOSE.to_string()],
            row_stop_strings: Vec::new(),
            share_prefill: true,
        }
    }
}

/// Progress of a long evaluation, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalProgress {
    pub sampled: usize,
    pub executed: usize,
    pub total: usize,
}

/// Token ids of a task prompt: the chat template with the user turn, the assistant turn
/// opened, then the assistant's start (fence and curriculum prefix) verbatim.
pub fn encode_code_prompt(
    tokenizer: &ModelTokenizer,
    prompt: &CodePrompt,
) -> Result<Vec<u32>, EvalError> {
    let mut messages = Vec::new();
    if let Some(system) = &prompt.system {
        messages.push(ChatMessage::system(system.clone()));
    }
    messages.push(ChatMessage::user(prompt.user.clone()));
    Ok(tokenizer.encode_chat_with_answer_start(&messages, &prompt.assistant_start)?)
}

/// One sampled completion and the program extracted from it.
#[derive(Debug, Clone)]
pub struct SampledProgram {
    pub completion: Completion,
    /// `prefix + code`: what the executor runs.
    pub program: String,
}

/// `prefix + code`, extracted exactly as the trainer and the FGO masker do (the code ends at
/// the closing fence or the problem kind's first stop sequence, where generation stopped).
pub fn program_of(problem: &Problem, prefix: &str, completion: &str) -> String {
    Program::extract_until(
        prefix,
        completion,
        FenceMode::Continuation,
        stop_sequences(&problem.kind),
    )
    .text()
    .to_string()
}

/// Samples one completion per `(problem, prefix)` job, in batches of `batch_size` rows.
/// Row `i` of batch `b` uses seed `(seed + b, i)`, so results do not depend on timing.
pub fn sample_programs(
    model: &CausalLm,
    tokenizer: &ModelTokenizer,
    jobs: &[(&Problem, &str)],
    cfg: &EvalConfig,
    mut on_batch: impl FnMut(usize, Vec<SampledProgram>) -> Result<(), EvalError>,
) -> Result<(), EvalError> {
    for (b, chunk) in jobs.chunks(cfg.batch_size).enumerate() {
        let prompts = chunk
            .iter()
            .map(|(p, prefix)| encode_code_prompt(tokenizer, &code_prompt(p, prefix)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut sampling = cfg.sampling(cfg.seed.wrapping_add(b as u64));
        sampling.row_stop_strings = chunk
            .iter()
            .map(|(p, _)| {
                stop_sequences(&p.kind)
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            })
            .collect();
        let completions = generate(model, Some(tokenizer), &prompts, &sampling)?;
        let sampled = completions
            .into_iter()
            .zip(chunk)
            .map(|(completion, (problem, prefix))| SampledProgram {
                program: program_of(problem, prefix, &completion.text),
                completion,
            })
            .collect();
        on_batch(b * cfg.batch_size, sampled)?;
    }
    Ok(())
}

/// Evaluates `model` on `problems`: `cfg.samples` completions each, executed by `executor`
/// on a second thread while the next batch is sampled.
///
/// A program whose execution fails (an `Err` from the executor: its fault, not the
/// program's) is run once more; one that fails again is a dropped sample
/// ([`ProblemResult::dropped`], counted in [`EvalReport::samples_dropped`]), never an
/// outcome.
pub fn evaluate(
    model: &CausalLm,
    tokenizer: &ModelTokenizer,
    executor: &dyn Executor,
    problems: &[Problem],
    cfg: &EvalConfig,
    mut on_progress: impl FnMut(EvalProgress),
) -> Result<EvalReport, EvalError> {
    cfg.validate()?;
    let jobs: Vec<(&Problem, &str)> = problems
        .iter()
        .flat_map(|p| std::iter::repeat_n((p, ""), cfg.samples))
        .collect();
    let total = jobs.len();
    // Each sample: its record, or (program, error) when the executor failed on it twice.
    type Executed = Result<SampleRecord, (String, String)>;
    let mut records: Vec<Option<Executed>> = vec![None; total];
    let mut executor_errors = 0;
    let (tx, rx) = mpsc::channel::<(usize, Vec<String>)>();
    let (done_tx, done_rx) = mpsc::channel::<(usize, Vec<Executed>, usize)>();
    let jobs_for_worker = &jobs;
    std::thread::scope(|scope| -> Result<(), EvalError> {
        let worker = scope.spawn(move || -> Result<(), EvalError> {
            for (start, programs) in rx {
                let batch: Vec<(&str, &Problem)> = programs
                    .iter()
                    .enumerate()
                    .map(|(i, prog)| (prog.as_str(), jobs_for_worker[start + i].0))
                    .collect();
                let (results, errors) = execute_with_retry(executor, &batch);
                let records = results
                    .into_iter()
                    .zip(programs)
                    .map(|(r, program)| match r {
                        Ok(report) => Ok(SampleRecord {
                            outcome: report.class(),
                            failure: report
                                .first_failure()
                                .map(|o| o.to_string())
                                .unwrap_or_default(),
                            program,
                        }),
                        Err(e) => Err((program, e.to_string())),
                    })
                    .collect();
                if done_tx.send((start, records, errors)).is_err() {
                    break;
                }
            }
            Ok(())
        });
        let mut sampled = 0;
        let mut executed = 0;
        let drain = |records: &mut Vec<Option<Executed>>,
                     executed: &mut usize,
                     executor_errors: &mut usize| {
            for (start, batch, errors) in done_rx.try_iter() {
                *executed += batch.len();
                *executor_errors += errors;
                for (i, rec) in batch.into_iter().enumerate() {
                    records[start + i] = Some(rec);
                }
            }
        };
        let sampling = sample_programs(model, tokenizer, &jobs, cfg, |start, batch| {
            sampled += batch.len();
            // A closed channel means the worker stopped on an error, reported below.
            let _ = tx.send((start, batch.into_iter().map(|s| s.program).collect()));
            drain(&mut records, &mut executed, &mut executor_errors);
            on_progress(EvalProgress {
                sampled,
                executed,
                total,
            });
            Ok(())
        });
        drop(tx);
        let worker_result = worker
            .join()
            .unwrap_or_else(|_| Err(EvalError::Config("executor thread panicked".into())));
        sampling?;
        worker_result?;
        drain(&mut records, &mut executed, &mut executor_errors);
        on_progress(EvalProgress {
            sampled,
            executed,
            total,
        });
        Ok(())
    })?;
    let per_problem = problems
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // Every job is executed or the whole evaluation fails above, so `None` cannot
            // happen; it would count as a runtime error rather than vanish.
            let (mut samples, mut dropped) = (Vec::new(), Vec::new());
            for (index, r) in records[i * cfg.samples..(i + 1) * cfg.samples]
                .iter_mut()
                .enumerate()
            {
                match r.take() {
                    Some(Ok(record)) => samples.push(record),
                    Some(Err((program, error))) => dropped.push(DroppedSample {
                        index,
                        program,
                        error,
                    }),
                    None => samples.push(SampleRecord {
                        outcome: OutcomeClass::RuntimeError,
                        program: String::new(),
                        failure: "not executed".into(),
                    }),
                }
            }
            ProblemResult::new(p.id.clone(), p.difficulty, Vec::new())
                .with_samples(samples)
                .with_dropped(dropped)
        })
        .collect();
    let mut report = EvalReport::from_results(per_problem, &cfg.ks);
    report.executor_errors = executor_errors;
    Ok(report)
}
