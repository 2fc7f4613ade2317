//! The TOML configuration of `stepcoder train`, `sft` and `ablate`, and its presets.
//!
//! Resolution order: the built-in defaults, then the preset (`--preset`), then the config
//! file (`--config`), key by key. Unknown keys are errors that name the key.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use stepcoder_curriculum::{StagedConfig, StepConfig};
use stepcoder_data::Format;
use stepcoder_eval::EvalConfig;
use stepcoder_fgo::CoverageMask;
use stepcoder_ppo::PpoConfig;

use crate::device::{DeviceSpec, Precision};

/// Where a run writes, how long it runs, how often it saves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSection {
    pub output_dir: PathBuf,
    /// RL steps (each: rollouts for `ppo.problems_per_step` problems, then the PPO update).
    pub steps: u64,
    /// Save a checkpoint every N steps (and always at the end); 0 = only at the end.
    pub checkpoint_every: u64,
    /// Checkpoints kept on disk (the oldest are deleted); at least 1.
    pub keep_checkpoints: usize,
    /// Write every rollout (prefix, completion, outcome, reward, FGO share) to samples.jsonl.
    pub log_samples: bool,
    /// Where the model runs: "cpu", "cuda" or "cuda:N" (`--device` overrides it). CUDA needs
    /// a build with the `cuda` feature; a CUDA build without a usable GPU falls back to the
    /// CPU with a warning.
    pub device: DeviceSpec,
    /// The dtype of sampling and the forward: "auto" (bf16 on a GPU, f32 on the CPU), "f32"
    /// (everything f32), "bf16". Master weights and optimizer state are f32 in every case
    /// (`--precision` overrides it).
    pub precision: Precision,
}

impl Default for RunSection {
    fn default() -> Self {
        RunSection {
            output_dir: PathBuf::from("runs/stepcoder"),
            steps: 200,
            checkpoint_every: 10,
            keep_checkpoints: 2,
            log_samples: true,
            device: DeviceSpec::Cpu,
            precision: Precision::Auto,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelSection {
    /// A Hugging Face folder, a .gguf file, or "default" (SmolLM2-135M-Instruct).
    pub path: String,
}

impl Default for ModelSection {
    fn default() -> Self {
        ModelSection {
            path: "default".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataSection {
    /// Training problems: a file in any supported format, or "builtin".
    pub train: String,
    pub format: Format,
    /// Held-out problems for evaluation: a file, or "holdout" (every `holdout_every`-th
    /// training problem is held out of training and used for evaluation).
    pub eval: String,
    pub holdout_every: usize,
    /// Use at most this many training problems (0 = all).
    pub limit: usize,
}

impl Default for DataSection {
    fn default() -> Self {
        DataSection {
            train: "builtin".into(),
            format: Format::Auto,
            eval: "holdout".into(),
            holdout_every: 5,
            limit: 0,
        }
    }
}

/// CCCS or its alternatives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CurriculumSection {
    /// The paper's Algorithm 1, per problem.
    Step {
        #[serde(default = "default_alpha")]
        alpha: f64,
        #[serde(default = "default_rho_t")]
        rho_t: f64,
    },
    /// One global level: cut near n/2 of the blocks, then n/4, then none.
    Staged {
        #[serde(default = "default_threshold")]
        threshold: f64,
        #[serde(default = "default_window")]
        window: u64,
    },
    /// Plain RL from the statement alone.
    None,
}

fn default_alpha() -> f64 {
    StepConfig::default().alpha
}
fn default_rho_t() -> f64 {
    StepConfig::default().rho_t
}
fn default_threshold() -> f64 {
    StagedConfig::default().threshold
}
fn default_window() -> u64 {
    StagedConfig::default().window
}

impl Default for CurriculumSection {
    fn default() -> Self {
        let c = StepConfig::default();
        CurriculumSection::Step {
            alpha: c.alpha,
            rho_t: c.rho_t,
        }
    }
}

/// FGO or the full mask of vanilla PPO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MaskSection {
    /// FGO: tokens of lines no test executed get no policy gradient.
    Coverage {
        /// Programs that did not run: "keep_all" (default) or "mask_all".
        #[serde(default)]
        no_coverage: stepcoder_fgo::NoCoverage,
        /// Tokens outside the program text: "keep" (default) or "mask".
        #[serde(default)]
        outside: stepcoder_fgo::Outside,
    },
    /// Every generated token is in the loss.
    Full,
}

impl Default for MaskSection {
    fn default() -> Self {
        let m = CoverageMask::default();
        MaskSection::Coverage {
            no_coverage: m.no_coverage,
            outside: m.outside,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxSection {
    /// Wall-clock limit per unit test, in milliseconds.
    pub timeout_ms: u64,
    /// Guest memory cap in MiB.
    pub memory_mb: usize,
    /// Cap on stdout and on stderr per test, in KiB.
    pub output_kb: usize,
    /// Derive each test's limit from the canonical solution's time: max(floor, factor x
    /// canonical), capped at timeout_ms. 0 = use timeout_ms for every test.
    pub budget_factor: f64,
    pub budget_floor_ms: u64,
}

impl Default for SandboxSection {
    fn default() -> Self {
        SandboxSection {
            timeout_ms: 4000,
            memory_mb: 512,
            output_kb: 1024,
            budget_factor: 10.0,
            budget_floor_ms: 200,
        }
    }
}

impl SandboxSection {
    pub fn build(&self) -> stepcoder_sandbox::SandboxConfig {
        let budget = if self.budget_factor > 0.0 {
            stepcoder_sandbox::TimeBudget::Derived {
                factor: self.budget_factor,
                floor_ms: self.budget_floor_ms,
            }
        } else {
            stepcoder_sandbox::TimeBudget::Fixed
        };
        stepcoder_sandbox::SandboxConfig {
            timeout: std::time::Duration::from_millis(self.timeout_ms),
            memory_limit: self.memory_mb << 20,
            output_limit: self.output_kb << 10,
            budget,
            ..stepcoder_sandbox::SandboxConfig::default()
        }
    }
}

/// The `[executor]` section: where generated programs run. No endpoints (the default): in
/// this process. Endpoints: on `stepcoder serve` instances, spread over them with retries
/// (stepcoder-serve's `RemoteExecutor`); the `[sandbox]` limits travel with every program,
/// so the rewards are those of a local run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExecutorSection {
    /// Base URLs of `stepcoder serve` instances (`http://10.0.0.5:8080`), or one load balancer.
    pub endpoints: Vec<String>,
    /// Tries per program over all endpoints (503, 504 and connection errors are retried).
    pub max_attempts: u32,
    /// Programs in flight at once.
    pub concurrency: usize,
    /// Longest wait for one answer, in seconds.
    pub request_timeout_s: u64,
}

impl Default for ExecutorSection {
    fn default() -> Self {
        let r = stepcoder_serve::RemoteConfig::default();
        ExecutorSection {
            endpoints: Vec::new(),
            max_attempts: r.max_attempts,
            concurrency: r.concurrency,
            request_timeout_s: r.request_timeout_ms / 1000,
        }
    }
}

impl ExecutorSection {
    /// The in-process sandbox, or a remote executor over `endpoints`, with `sandbox`'s limits.
    pub fn build(
        &self,
        sandbox: &SandboxSection,
    ) -> anyhow::Result<std::sync::Arc<dyn stepcoder_core::Executor>> {
        let limits = sandbox.build();
        if self.endpoints.is_empty() {
            let local = stepcoder_sandbox::Sandbox::new(limits).context("starting the sandbox")?;
            return Ok(std::sync::Arc::new(local));
        }
        let remote = stepcoder_serve::RemoteExecutor::new(stepcoder_serve::RemoteConfig {
            endpoints: self.endpoints.clone(),
            max_attempts: self.max_attempts,
            concurrency: self.concurrency,
            request_timeout_ms: self.request_timeout_s.saturating_mul(1000),
            limits: Some(stepcoder_serve::Limits::from_sandbox_config(&limits)),
            ..stepcoder_serve::RemoteConfig::default()
        })
        .context("[executor]")?;
        Ok(std::sync::Arc::new(remote))
    }
}

/// The `[eval]` section. The sampling keys mirror [`EvalConfig`] field by field instead of
/// `#[serde(flatten)]`-ing it, because serde cannot combine `flatten` with
/// `deny_unknown_fields`, and a misspelt key must stay an error; [`EvalSection::sampling`]
/// is the one place that maps them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvalSection {
    /// Evaluate the model before training and after it, on the held-out problems.
    pub before: bool,
    pub after: bool,
    /// Evaluate at most this many held-out problems (0 = all).
    pub limit: usize,
    /// Also evaluate every N PPO steps (0 = never): the learning curve, held-out pass@1
    /// with its 95% interval, in `curve.jsonl` and `curve.png`.
    pub every: u64,
    /// Samples per problem and the k of each pass@k (k <= samples).
    pub samples: usize,
    pub ks: Vec<usize>,
    /// 0 = greedy; the paper evaluates at 0.2 with top-p 0.95.
    pub temperature: f32,
    pub top_p: f32,
    pub max_new_tokens: usize,
    pub batch_size: usize,
    pub seed: u64,
}

impl Default for EvalSection {
    fn default() -> Self {
        let e = EvalConfig::default();
        EvalSection {
            before: true,
            after: true,
            limit: 0,
            every: 0,
            samples: e.samples,
            ks: e.ks,
            temperature: e.temperature,
            top_p: e.top_p,
            max_new_tokens: e.max_new_tokens,
            batch_size: e.batch_size,
            seed: e.seed,
        }
    }
}

impl EvalSection {
    pub fn sampling(&self) -> EvalConfig {
        EvalConfig {
            samples: self.samples,
            ks: self.ks.clone(),
            temperature: self.temperature,
            top_p: self.top_p,
            max_new_tokens: self.max_new_tokens,
            batch_size: self.batch_size,
            seed: self.seed,
        }
    }
}

/// Everything `stepcoder train` needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    pub run: RunSection,
    pub model: ModelSection,
    pub data: DataSection,
    pub curriculum: CurriculumSection,
    pub mask: MaskSection,
    /// The reward of each outcome level, and of a rollout that wrote no code.
    pub reward: stepcoder_core::StepCoderReward,
    pub sandbox: SandboxSection,
    pub executor: ExecutorSection,
    pub eval: EvalSection,
    pub ppo: PpoConfig,
    /// `stepcoder sft`, and the warm start of `stepcoder train` (`sft.warm_start`).
    pub sft: crate::run::sft::SftSection,
}

/// Named starting points. `quick` is a smoke run for a fresh 2-core machine (3 PPO steps of
/// 2 problems x 4 rollouts of up to 128 tokens, 8 held-out problems, greedy). `laptop` is the
/// paper's pipeline sized for 2 cores within an hour: base evaluation, SFT on the training
/// split, 36 PPO steps (CCCS + FGO) with a held-out evaluation every 12 steps, and the paired
/// comparisons of base, SFT and final model on all held-out problems. Its PPO uses the group
/// baseline (each rollout's advantage is its return against the other samples of its problem)
/// rather than GAE: with a critic that has not learnt yet, whitened GAE gives the last tokens
/// of a failing batch (the closing fence) the most negative advantage, the likely cause of
/// the 80/80 run's completions growing into the token cap (docs/results.md).
pub const PRESETS: &[(&str, &str)] = &[
    ("default", ""),
    (
        "quick",
        r#"
[run]
output_dir = "runs/quick"
steps = 3
checkpoint_every = 1
[data]
holdout_every = 5
[eval]
limit = 8
max_new_tokens = 128
batch_size = 8
temperature = 0.0
[ppo]
problems_per_step = 2
samples_per_problem = 4
max_new_tokens = 128
minibatch_rows = 4
[sft]
epochs = 1
"#,
    ),
    (
        "laptop",
        r#"
[run]
output_dir = "runs/laptop"
steps = 36
checkpoint_every = 12
[eval]
samples = 2
ks = [1]
temperature = 0.2
top_p = 0.95
max_new_tokens = 192
batch_size = 16
every = 12
[sft]
warm_start = true
epochs = 2
lr = 5e-5
[ppo]
problems_per_step = 4
samples_per_problem = 4
max_new_tokens = 192
minibatch_rows = 8
[ppo.advantage]
type = "group"
[ppo.policy_lr]
peak_lr = 1e-5
"#,
    ),
    (
        "paper",
        r#"
[run]
output_dir = "runs/paper"
[ppo]
samples_per_problem = 16
max_new_tokens = 1024
temperature = 0.8
top_p = 0.9
"#,
    ),
];

/// Recursively overlays `top` on `base` (tables merge key by key; other values replace). A
/// table that names another `type` than the one below it (a tagged choice such as
/// `[ppo.advantage] type = "group"` over the default GAE) replaces it whole, since the other
/// variant's keys would be unknown to it.
fn merge(base: &mut toml::Value, top: toml::Value) {
    match (base, top) {
        (toml::Value::Table(b), toml::Value::Table(t))
            if t.get("type").is_some_and(|ty| b.get("type") != Some(ty)) =>
        {
            *b = t;
        }
        (toml::Value::Table(b), toml::Value::Table(t)) => {
            for (k, v) in t {
                match b.get_mut(&k) {
                    Some(existing) if existing.is_table() && v.is_table() => merge(existing, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, t) => *b = t,
    }
}

impl TrainConfig {
    /// Defaults, then `preset`, then the file at `path`.
    pub fn resolve(preset: &str, path: Option<&Path>) -> anyhow::Result<Self> {
        let Some((_, preset_text)) = PRESETS.iter().find(|(n, _)| *n == preset) else {
            let names: Vec<_> = PRESETS.iter().map(|(n, _)| *n).collect();
            bail!("unknown preset `{preset}`; expected one of {names:?}");
        };
        let mut value = toml::Value::try_from(TrainConfig::default())
            .context("serializing the default config")?;
        let preset_value: toml::Value =
            toml::from_str(preset_text).with_context(|| format!("preset `{preset}`"))?;
        merge(&mut value, preset_value);
        if let Some(path) = path {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading config {}", path.display()))?;
            let file: toml::Value = toml::from_str(&text)
                .with_context(|| format!("{}: not valid TOML", path.display()))?;
            merge(&mut value, file);
        }
        let text = toml::to_string(&value).context("re-serializing the merged config")?;
        let mut cfg: TrainConfig = toml::from_str(&text).map_err(|e| {
            let origin =
                path.map_or_else(|| format!("preset `{preset}`"), |p| p.display().to_string());
            anyhow::anyhow!("{origin}: {}", e.message().trim())
        })?;
        cfg.apply_command_line();
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads a config written by a run (`config.toml` in its output directory).
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut cfg: TrainConfig = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message().trim()))?;
        cfg.apply_command_line();
        cfg.validate()?;
        Ok(cfg)
    }

    /// `--device` and `--precision` from the command line replace `[run] device` and
    /// `[run] precision` (also of a resumed run: a run can continue on another machine).
    fn apply_command_line(&mut self) {
        let o = crate::device::overrides();
        if let Some(d) = o.device {
            self.run.device = d;
        }
        if let Some(p) = o.precision {
            self.run.precision = p;
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if let (DeviceSpec::Cuda(n), false) = (self.run.device, cfg!(feature = "cuda")) {
            // Before anything is loaded or written: the run could not start.
            bail!(
                "run.device = \"cuda:{n}\": {}",
                crate::device::NO_CUDA_FEATURE
            );
        }
        if self.run.keep_checkpoints == 0 {
            bail!("run.keep_checkpoints must be at least 1");
        }
        if self.data.eval == "holdout" && self.data.holdout_every < 2 {
            bail!("data.holdout_every must be at least 2 (1 would hold out every problem)");
        }
        if let CurriculumSection::Step { alpha, rho_t } = self.curriculum {
            StepConfig { alpha, rho_t }.validate()?;
        }
        self.eval.sampling().validate()?;
        Ok(())
    }

    /// The config as TOML, with a comment above each section saying what it is for.
    pub fn to_commented_toml(&self) -> anyhow::Result<String> {
        let body = toml::to_string_pretty(self).context("serializing the config")?;
        let mut out = String::from(
            "# stepcoder train configuration (all keys shown with their values).\n\
             # Use: stepcoder train --config this.toml [--preset quick]\n",
        );
        for line in body.lines() {
            if let Some(comment) = line
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .and_then(section_comment)
            {
                if !out.ends_with("\n\n") {
                    out.push('\n');
                }
                for c in comment.lines() {
                    out.push_str("# ");
                    out.push_str(c);
                    out.push('\n');
                }
            }
            if !(line.is_empty() && out.ends_with("\n\n")) {
                out.push_str(line);
                out.push('\n');
            }
        }
        Ok(out)
    }
}

/// What each section is for; keys are documented in the crates the section configures.
fn section_comment(section: &str) -> Option<&'static str> {
    Some(match section {
        "run" => "Output directory (metrics.jsonl, samples.jsonl, plot.png, checkpoints/, eval_*.json),\nlength, checkpointing, rollout logging; device = \"cpu\", \"cuda\" or \"cuda:N\" (a build with the\n`cuda` feature), precision = \"auto\" (bf16 forward on a GPU over f32 master weights), \"f32\", \"bf16\".",
        "model" => "Policy to start from: a Hugging Face folder, a .gguf file, or \"default\"\n(SmolLM2-135M-Instruct; $STEPCODER_MODEL overrides it).",
        "data" => "Training problems (\"builtin\" or a file: APPS+, APPS, HumanEval, MBPP, evalplus) and the\nheld-out evaluation problems (\"holdout\": every holdout_every-th problem, never trained on).",
        "curriculum" => "CCCS. type = \"step\" (paper Algorithm 1: alpha = moving-average weight, rho_t = advance\nthreshold), \"staged\" (global level n/2, n/4, none), or \"none\" (plain RL).",
        "mask" => "FGO. type = \"coverage\" (unexecuted code gets no policy gradient) or \"full\" (vanilla PPO).",
        "reward" => "Reward of each outcome (paper Eq. 3: passed, wrong_answer, runtime_error, compile_error)\nand of a rollout that wrote no code (no_code: nothing, whitespace or comments; not in the paper).",
        "sandbox" => "Limits for running generated programs in the WebAssembly sandbox.",
        "executor" => "Where programs run: endpoints = [] runs them in this process; endpoints =\n[\"http://host:8080\", ...] sends them to `stepcoder serve` instances (with the [sandbox] limits).",
        "eval" => "Evaluation before/after training: pass@k at the given temperature (paper: 0.2).",
        "sft" => "Supervised warm start on canonical solutions: `stepcoder sft`, and `stepcoder train` before PPO\nwhen warm_start = true (the paper's pipeline); paper: lr 2e-5, 3 epochs, warm-up 0.3 epoch,\nlinear decay.",
        "ppo" => "PPO (stepcoder-ppo's PpoConfig): rollouts per step, sampling, epochs, minibatches,\nlearning rates and schedules, loss clipping, KL control, reward normalization, advantages.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_default_config_reads_back_identically() {
        let cfg = TrainConfig::default();
        let text = cfg.to_commented_toml().unwrap();
        let back: TrainConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, cfg);
        assert!(text.contains("# CCCS"), "{text}");
        assert!(text.contains("[ppo]"));
    }

    #[test]
    fn every_preset_resolves() {
        for (name, _) in PRESETS {
            TrainConfig::resolve(name, None).unwrap();
        }
        let quick = TrainConfig::resolve("quick", None).unwrap();
        assert_eq!(quick.run.steps, 3);
        let laptop = TrainConfig::resolve("laptop", None).unwrap();
        assert!(laptop.sft.warm_start && laptop.eval.every > 0);
        assert_eq!(laptop.ppo.policy_lr.peak_lr, 1e-5);
        assert!(matches!(
            laptop.ppo.advantage,
            stepcoder_ppo::AdvantageKind::Group(_)
        ));
        assert_eq!(laptop.ppo.policy_lr.decay, stepcoder_ppo::Decay::Constant);
        assert_eq!(quick.ppo.samples_per_problem, 4);
        assert!(TrainConfig::resolve("nope", None).is_err());
    }

    #[test]
    fn file_overrides_preset_and_unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[run]\nsteps = 7\n[curriculum]\ntype = \"none\"\n[mask]\ntype = \"full\"\n",
        )
        .unwrap();
        let cfg = TrainConfig::resolve("quick", Some(&path)).unwrap();
        assert_eq!(cfg.run.steps, 7);
        assert_eq!(cfg.run.checkpoint_every, 1);
        assert_eq!(cfg.curriculum, CurriculumSection::None);
        assert_eq!(cfg.mask, MaskSection::Full);

        std::fs::write(&path, "[run]\nstepz = 7\n").unwrap();
        let err = format!(
            "{:#}",
            TrainConfig::resolve("default", Some(&path)).unwrap_err()
        );
        assert!(err.contains("stepz") && err.contains("c.toml"), "{err}");
        std::fs::write(&path, "[curriculum]\ntype = \"step\"\nalpha = 2.0\n").unwrap();
        let err = format!(
            "{:#}",
            TrainConfig::resolve("default", Some(&path)).unwrap_err()
        );
        assert!(err.contains("alpha"), "{err}");
    }

    /// `[run] device` and `precision` read and print; a config written before they existed
    /// still loads (CPU, auto); a bad device is named.
    #[test]
    fn device_and_precision_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[run]\ndevice = \"cuda:1\"\nprecision = \"f32\"\n").unwrap();
        if !cfg!(feature = "cuda") {
            // A build without CUDA refuses the config before anything runs, and says why.
            let err = format!(
                "{:#}",
                TrainConfig::resolve("quick", Some(&path)).unwrap_err()
            );
            assert!(err.contains("without the `cuda` feature"), "{err}");
        }
        let mut cfg = TrainConfig::resolve("quick", None).unwrap();
        let file: TrainConfig = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        cfg.run.device = file.run.device;
        cfg.run.precision = file.run.precision;
        assert_eq!(cfg.run.device, DeviceSpec::Cuda(1));
        assert_eq!(cfg.run.precision, Precision::F32);
        let text = cfg.to_commented_toml().unwrap();
        assert!(text.contains("device = \"cuda:1\""), "{text}");
        assert!(text.contains("precision = \"f32\""), "{text}");
        assert!(text.contains("# ") && text.contains("cuda:N"), "{text}");
        assert_eq!(toml::from_str::<TrainConfig>(&text).unwrap(), cfg);

        // An older run's config.toml: no device or precision keys.
        std::fs::write(&path, "[run]\nsteps = 2\noutput_dir = \"x\"\n").unwrap();
        let old = TrainConfig::from_file(&path).unwrap();
        assert_eq!(old.run.device, DeviceSpec::Cpu);
        assert_eq!(old.run.precision, Precision::Auto);

        std::fs::write(&path, "[run]\ndevice = \"gpu\"\n").unwrap();
        let err = format!(
            "{:#}",
            TrainConfig::resolve("default", Some(&path)).unwrap_err()
        );
        assert!(err.contains("gpu") && err.contains("cuda:N"), "{err}");
    }

    #[test]
    fn executor_endpoints_select_the_remote_executor() {
        assert!(TrainConfig::default().executor.endpoints.is_empty());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[executor]\nendpoints = [\"http://127.0.0.1:1\", \"http://127.0.0.1:2\"]\nmax_attempts = 3\n",
        )
        .unwrap();
        let cfg = TrainConfig::resolve("quick", Some(&path)).unwrap();
        assert_eq!(cfg.executor.endpoints.len(), 2);
        assert_eq!(cfg.executor.max_attempts, 3);
        // Building it connects to nothing; a bad URL is named.
        cfg.executor.build(&cfg.sandbox).unwrap();
        let mut bad = cfg.executor.clone();
        bad.endpoints = vec!["127.0.0.1:8080".into()];
        let err = format!("{:#}", bad.build(&cfg.sandbox).err().unwrap());
        assert!(
            err.contains("[executor]") && err.contains("127.0.0.1:8080"),
            "{err}"
        );
    }
}
