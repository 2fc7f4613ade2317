//! `stepcoder fgo ...`: look at FGO token masks.
//!
//! `fgo show` runs a program (or a model completion: fences and prose are handled exactly as
//! the trainer handles them) once in the sandbox on the given stdin, tokenizes it with the
//! model's `tokenizer.json`, and prints every token with its program line and FGO mask.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use stepcoder_core::{CompletionSpan, Difficulty, Executor, Problem, ProblemKind, TestCase};
use stepcoder_fgo::{CoverageMask, FenceMode, NoCoverage};
use stepcoder_sandbox::{Sandbox, SandboxConfig};

#[derive(Debug, Subcommand)]
pub enum FgoCommand {
    /// Run a program in the sandbox and print each token's line and FGO mask.
    Show(ShowArgs),
}

/// How the code is found in the file (see `stepcoder_fgo::FenceMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FenceArg {
    /// `continuation` with a prefix, else `standalone`.
    Auto,
    /// The file may hold prose and markdown code blocks; the python block is the code.
    Standalone,
    /// The file starts inside code (the trainer's prompt opened the fence).
    Continuation,
    /// The whole file is code.
    Raw,
}

impl From<FenceArg> for FenceMode {
    fn from(f: FenceArg) -> Self {
        match f {
            FenceArg::Auto => FenceMode::Auto,
            FenceArg::Standalone => FenceMode::Standalone,
            FenceArg::Continuation => FenceMode::Continuation,
            FenceArg::Raw => FenceMode::Raw,
        }
    }
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The program, or a model completion holding it.
    #[arg(long, value_name = "FILE")]
    pub code: PathBuf,
    /// The model's `tokenizer.json` (Hugging Face tokenizers format).
    #[arg(long, value_name = "PATH")]
    pub tokenizer: PathBuf,
    /// Standard input for the run (empty when absent).
    #[arg(long, value_name = "FILE")]
    pub stdin: Option<PathBuf>,
    /// Curriculum prefix that precedes the completion in the executed program.
    #[arg(long, value_name = "FILE")]
    pub prefix: Option<PathBuf>,
    /// How the code is found in the file.
    #[arg(long, value_enum, default_value_t = FenceArg::Auto)]
    pub fence: FenceArg,
    /// Mask every code token of a program that did not run (default: keep them all).
    #[arg(long)]
    pub mask_no_coverage: bool,
    /// Wall-clock limit of the run, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Print a JSON list of {token, text, line, mask} instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One row of the JSON output.
#[derive(Debug, Serialize)]
struct TokenRow<'a> {
    token: u32,
    text: &'a str,
    line: Option<u32>,
    mask: f32,
}

fn read(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {what} {}", path.display()))
}

pub fn run(c: FgoCommand) -> anyhow::Result<()> {
    match c {
        FgoCommand::Show(a) => show(a),
    }
}

fn show(a: ShowArgs) -> anyhow::Result<()> {
    let completion = read(&a.code, "code file")?;
    let prefix = match &a.prefix {
        Some(p) => read(p, "prefix file")?,
        None => String::new(),
    };
    let stdin = match &a.stdin {
        Some(p) => read(p, "stdin file")?,
        None => String::new(),
    };
    if !(a.timeout > 0.0 && a.timeout.is_finite()) {
        anyhow::bail!(
            "--timeout must be a positive number of seconds, got {}",
            a.timeout
        );
    }
    let tokenizer = tokenizers::Tokenizer::from_file(&a.tokenizer)
        .map_err(|e| anyhow::anyhow!("loading tokenizer {}: {e}", a.tokenizer.display()))?;
    let encoding = tokenizer
        .encode(completion.as_str(), false)
        .map_err(|e| anyhow::anyhow!("tokenizing {}: {e}", a.code.display()))?;

    let masker = CoverageMask {
        fence: a.fence.into(),
        no_coverage: if a.mask_no_coverage {
            NoCoverage::MaskAll
        } else {
            NoCoverage::KeepAll
        },
        ..CoverageMask::default()
    };
    let program = stepcoder_fgo::Program::extract(&prefix, &completion, masker.fence);

    // Coverage does not depend on the verdict: one stdin test with an empty expected output.
    let problem = Problem {
        id: a.code.display().to_string(),
        source: "cli".into(),
        difficulty: Difficulty::Unknown,
        statement: String::new(),
        starter_code: String::new(),
        canonical_solution: String::new(),
        kind: ProblemKind::Stdio { entry: None },
        tests: vec![TestCase::Stdio {
            input: stdin,
            expected: String::new(),
        }],
        setup_code: String::new(),
        atol: None,
        scope: None,
    };
    let sandbox = Sandbox::new(SandboxConfig {
        timeout: Duration::from_secs_f64(a.timeout),
        ..SandboxConfig::default()
    })
    .context("starting the sandbox")?;
    let report = sandbox
        .execute(program.text(), &problem)
        .context("running the program in the sandbox")?;

    let offsets = encoding.get_offsets();
    let span = CompletionSpan {
        text: &completion,
        token_offsets: offsets,
        prefix: &prefix,
        stops: &[],
    };
    let explained = masker.explain(&span, &report)?;
    let text_of = |&(s, e): &(usize, usize)| completion.get(s..e).unwrap_or("");

    if a.json {
        let rows: Vec<TokenRow<'_>> = encoding
            .get_ids()
            .iter()
            .zip(offsets)
            .zip(&explained.tokens)
            .map(|((&token, off), t)| TokenRow {
                token,
                text: text_of(off),
                line: t.line,
                mask: t.mask,
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }

    let outcome = report
        .outcomes()
        .first()
        .map(|o| serde_json::to_string(o).unwrap_or_default())
        .unwrap_or_default();
    println!("outcome: {outcome}");
    println!("executed lines:   {:?}", report.executed_lines);
    println!("executable lines: {:?}", report.executable_lines);
    if !explained.ran {
        println!("the program did not run: the no-coverage policy decides every code token");
    }
    let kept = explained.tokens.iter().filter(|t| t.mask > 0.0).count();
    println!(
        "tokens: {} ({} in the loss, {} masked)",
        explained.tokens.len(),
        kept,
        explained.tokens.len() - kept
    );
    println!("line mask  tokens (| between tokens)");
    let mut current: Option<Option<u32>> = None;
    let mut row = String::new();
    let mut row_mask = String::new();
    let flush = |line: Option<Option<u32>>, row: &str, masks: &str| {
        if let Some(l) = line {
            let l = l.map_or("   -".to_string(), |l| format!("{l:4}"));
            println!("{l} {masks:<5} {row}");
        }
    };
    for (off, t) in offsets.iter().zip(&explained.tokens) {
        if current != Some(t.line) {
            flush(current, &row, &row_mask);
            current = Some(t.line);
            row.clear();
            row_mask.clear();
        }
        let shown = text_of(off).replace('\n', "\\n").replace('\r', "\\r");
        row.push_str(&shown);
        row.push('|');
        let m = if t.mask > 0.0 { "1" } else { "0" };
        if !row_mask.contains(m) {
            row_mask.push_str(m);
        }
    }
    flush(current, &row, &row_mask);
    Ok(())
}
