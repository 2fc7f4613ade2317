//! The maskers: [`CoverageMask`] (FGO) and [`FullMask`] (vanilla PPO).

use serde::{Deserialize, Serialize};
use stepcoder_core::{CompletionSpan, ExecReport, TokenMasker};

use crate::extract::{FenceMode, Program};
use crate::lines::{scan_python, LineKind, LineTable, Scan};
use crate::FgoError;

/// What to do with the code tokens of a program that did not run: it did not compile, or the
/// report holds no executed line inside the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoCoverage {
    /// Every token stays in the loss (mask 1). The default: a syntax error earns the lowest
    /// reward, and the tokens that caused it must receive that gradient, or the policy never
    /// learns to avoid syntax errors.
    #[default]
    KeepAll,
    /// Every code token is masked out (mask 0).
    MaskAll,
}

/// What to do with tokens that are not program text: prose, markdown fences, text after the
/// code, and zero-width tokens (EOS and other special tokens decoded to nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outside {
    /// Mask 1. The default: coverage says nothing about these tokens, and they shape the
    /// outcome all the same (a fence decides what gets extracted, EOS decides where the
    /// program ends), so FGO leaves them in the loss as vanilla PPO would.
    #[default]
    Keep,
    /// Mask 0.
    Mask,
}

/// The vanilla PPO mask: every token in the loss.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FullMask;

impl TokenMasker for FullMask {
    fn mask(&self, span: &CompletionSpan<'_>, _report: &ExecReport) -> Vec<f32> {
        vec![1.0; span.token_offsets.len()]
    }
}

/// FGO: a token whose program line no unit test executed gets mask 0, every other token 1.
///
/// How a token finds its line, exactly:
/// - Offsets are byte ranges of the completion text; ranges past the end are clamped (the
///   trait cannot fail; [`CoverageMask::explain`] reports them as errors instead). Bytes, not
///   chars: a token holding half of a multi-byte UTF-8 character is handled like any other.
/// - Only the part of a token inside the code range counts (see [`FenceMode`]); a token with
///   no byte inside it, or no bytes at all, follows [`Outside`].
/// - The token's line is the line of its first non-whitespace byte; a token of whitespace
///   only takes the line of its last byte. So `":\n"` belongs to the line it ends, `"\n"` to
///   the line it terminates, and an indentation token (`"    "` or `"\n    "`) to the
///   statement it indents. Lines end at `\n`, `\r\n` or a lone `\r`, as in Python.
/// - A token with code on several lines (`":\n        return"`, from tokenizers whose
///   pre-tokenizer does not split at newlines) gets 1 if any of those lines gets 1: it holds
///   code that ran, so it did shape the outcome.
/// - Line numbers count the curriculum prefix: completion byte `b` is program byte
///   `prefix.len() + b - code_start`.
///
/// How a line gets its mask:
/// - A line the report lists as executed: 1.
/// - A logical statement over several physical lines (open brackets, strings, backslashes)
///   is one unit: 1 if any of its lines ran, else 0 if any of them could run.
/// - A statement with no executable line (`else:`, `try:`, `finally:`, a docstring, a
///   decorator without code) takes the mask of the next statement that can run (the clause
///   it opens), or of the previous one at the end of the program.
/// - A blank line takes the mask of the next statement (the previous one at the end).
/// - A comment line takes the mask of the next statement when that one is indented at least
///   as deep (the comment introduces it), else of the previous statement (a comment closing
///   a block).
/// - Executable lines come from `ExecReport::executable_lines`; when the executor gives none,
///   every statement is executable except the clause headers above.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoverageMask {
    /// How the program is found in the completion; it must match what the executor ran.
    pub fence: FenceMode,
    /// Programs that did not run.
    pub no_coverage: NoCoverage,
    /// Tokens that are not program text.
    pub outside: Outside,
}

/// Where one token landed and what it got.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TokenMask {
    /// 1-based program line (prefix lines counted); `None` for tokens outside the code.
    pub line: Option<u32>,
    pub mask: f32,
}

/// Everything [`CoverageMask::explain`] worked out for one completion.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The program that was (or must be) executed.
    pub program: Program,
    /// Mask of each program line (index `line - 1`).
    pub line_masks: Vec<f32>,
    /// False when the [`NoCoverage`] policy decided the code tokens.
    pub ran: bool,
    /// One entry per token.
    pub tokens: Vec<TokenMask>,
}

impl CoverageMask {
    /// Masks with the default policies ([`FenceMode::Continuation`], [`NoCoverage::KeepAll`],
    /// [`Outside::Keep`]).
    pub fn new() -> Self {
        CoverageMask::default()
    }

    /// The masks of `span` with every intermediate result, after checking the offsets.
    pub fn explain(
        &self,
        span: &CompletionSpan<'_>,
        report: &ExecReport,
    ) -> Result<Explanation, FgoError> {
        for (index, &(start, end)) in span.token_offsets.iter().enumerate() {
            if start > end || end > span.text.len() {
                return Err(FgoError::TokenOutOfRange {
                    index,
                    start,
                    end,
                    len: span.text.len(),
                });
            }
        }
        let program = Program::extract_until(span.prefix, span.text, self.fence, span.stops);
        let (line_masks, ran) = self.line_masks(&program, report);
        let tokens = self.token_masks(span, &program, &line_masks);
        Ok(Explanation {
            program,
            line_masks,
            ran,
            tokens,
        })
    }

    fn line_masks(&self, program: &Program, report: &ExecReport) -> (Vec<f32>, bool) {
        let n = program.line_count();
        let ran = report.compile_error.is_none()
            && report
                .executed_lines
                .iter()
                .any(|&l| l >= 1 && l as usize <= n);
        if !ran {
            let v = match self.no_coverage {
                NoCoverage::KeepAll => 1.0,
                NoCoverage::MaskAll => 0.0,
            };
            return (vec![v; n], false);
        }
        let scan = scan_python(program.text(), program.line_table());
        (resolve_lines(&scan, report, n), true)
    }

    fn token_masks(
        &self,
        span: &CompletionSpan<'_>,
        program: &Program,
        line_masks: &[f32],
    ) -> Vec<TokenMask> {
        let bytes = span.text.as_bytes();
        let code = program.code_range();
        let table: &LineTable = program.line_table();
        let outside = TokenMask {
            line: None,
            mask: match self.outside {
                Outside::Keep => 1.0,
                Outside::Mask => 0.0,
            },
        };
        span.token_offsets
            .iter()
            .map(|&(start, end)| {
                let end = end.min(bytes.len());
                let start = start.min(end);
                let a = start.max(code.start);
                let b = end.min(code.end);
                if a >= b {
                    return outside;
                }
                let to_program = |p: usize| program.prefix_len() + p - code.start;
                let mask_of = |line: u32| {
                    line_masks
                        .get((line as usize).saturating_sub(1))
                        .copied()
                        .unwrap_or(1.0)
                };
                // Lines holding the token's non-whitespace bytes: the first names the token,
                // and any of them in the loss keeps the token in the loss.
                let mut first: Option<u32> = None;
                let mut mask = 0.0f32;
                let mut new_line = true;
                for (p, &c) in bytes[a..b].iter().enumerate() {
                    match c {
                        b'\n' | b'\r' => new_line = true,
                        b' ' | b'\t' | b'\x0c' => {}
                        _ if new_line => {
                            new_line = false;
                            let line = table.line_of(to_program(a + p));
                            first.get_or_insert(line);
                            mask = mask.max(mask_of(line));
                        }
                        _ => {}
                    }
                }
                let line = match first {
                    Some(line) => line,
                    None => {
                        let line = table.line_of(to_program(b - 1));
                        mask = mask_of(line);
                        line
                    }
                };
                TokenMask {
                    line: Some(line),
                    mask,
                }
            })
            .collect()
    }
}

/// Per-line masks of a program that ran (index `line - 1`).
fn resolve_lines(scan: &Scan, report: &ExecReport, n: usize) -> Vec<f32> {
    let mut executed = vec![false; n + 1];
    let mut executable = vec![false; n + 1];
    for &l in &report.executed_lines {
        if let Some(e) = executed.get_mut(l as usize) {
            *e = true;
            executable[l as usize] = true;
        }
    }
    if report.executable_lines.is_empty() {
        for s in scan.stmts.iter().filter(|s| !s.clause_header) {
            executable[s.first as usize] = true;
        }
    } else {
        for &l in &report.executable_lines {
            if let Some(e) = executable.get_mut(l as usize) {
                *e = true;
            }
        }
    }
    executed[0] = false;
    executable[0] = false;

    // Each statement: Some(true) ran, Some(false) could run but did not, None inert.
    let own: Vec<Option<bool>> = scan
        .stmts
        .iter()
        .map(|s| {
            let lines = s.first as usize..=s.last as usize;
            if lines.clone().any(|l| executed[l]) {
                Some(true)
            } else if lines.into_iter().any(|l| executable[l]) {
                Some(false)
            } else {
                None
            }
        })
        .collect();
    // Inert statements: the next statement that can run, else the previous one.
    let mut resolved = own.clone();
    let mut next = None;
    for i in (0..own.len()).rev() {
        if own[i].is_some() {
            next = own[i];
        } else {
            resolved[i] = next;
        }
    }
    let mut prev = None;
    for r in resolved.iter_mut() {
        match *r {
            Some(_) => prev = *r,
            None => *r = prev,
        }
    }
    let stmt_mask = |i: usize| match resolved[i] {
        Some(true) | None => 1.0,
        Some(false) => 0.0,
    };

    // Statement after each line (for blank and comment lines), as an index into stmts.
    let mut masks = vec![1.0f32; n];
    let mut next_stmt: Vec<Option<usize>> = vec![None; n + 1];
    let mut upcoming = None;
    for line in (1..=n).rev() {
        if let Some(s) = scan.lines[line - 1].stmt {
            if scan.lines[line - 1].kind == LineKind::Code {
                upcoming = Some(s as usize);
            }
        }
        next_stmt[line] = upcoming;
    }
    let mut last_stmt: Option<usize> = None;
    for line in 1..=n {
        let info = scan.lines[line - 1];
        let m = if executed[line] {
            1.0
        } else if let Some(s) = info.stmt {
            stmt_mask(s as usize)
        } else if executable[line] {
            0.0
        } else {
            let target = match (info.kind, next_stmt[line], last_stmt) {
                (LineKind::Comment, Some(nx), Some(pv)) => {
                    let nx_indent = scan.lines[scan.stmts[nx].first as usize - 1].indent;
                    if nx_indent >= info.indent {
                        Some(nx)
                    } else {
                        Some(pv)
                    }
                }
                (_, Some(nx), _) => Some(nx),
                (_, None, pv) => pv,
            };
            target.map_or(1.0, stmt_mask)
        };
        if let Some(s) = info.stmt {
            last_stmt = Some(s as usize);
        }
        masks[line - 1] = m;
    }
    masks
}

impl TokenMasker for CoverageMask {
    fn mask(&self, span: &CompletionSpan<'_>, report: &ExecReport) -> Vec<f32> {
        let program = Program::extract_until(span.prefix, span.text, self.fence, span.stops);
        let (line_masks, _) = self.line_masks(&program, report);
        self.token_masks(span, &program, &line_masks)
            .into_iter()
            .map(|t| t.mask)
            .collect()
    }
}
