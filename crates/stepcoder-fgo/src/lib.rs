//! # stepcoder-fgo
//!
//! FGO (fine-grained optimization, StepCoder §3.3): code that no unit test executed did not
//! influence the reward, so its tokens get no policy gradient. This crate turns an
//! [`ExecReport`](stepcoder_core::ExecReport)'s executed lines into one weight per completion
//! token, behind [`stepcoder_core::TokenMasker`]:
//!
//! - [`CoverageMask`]: FGO. Mask 1 for tokens of executed lines, 0 for tokens of lines that
//!   could run but never did; every other token follows a documented rule (below).
//! - [`FullMask`]: every token 1 (vanilla PPO, "StepCoder w/o FGO").
//!
//! It also owns **program extraction** ([`Program::extract`]): the trainer and the evaluator run
//! exactly `Program::extract(prefix, completion, mode).text()`, and the masker re-derives the
//! same program from the same [`CompletionSpan`](stepcoder_core::CompletionSpan), so line
//! numbers in the report always mean the same lines.
//!
//! ## Decisions the paper leaves open
//! | case | decision |
//! |---|---|
//! | program did not compile / no line ran | [`NoCoverage::KeepAll`] (default): every token keeps mask 1, or the policy never learns to avoid syntax errors; [`NoCoverage::MaskAll`] is the alternative |
//! | token spanning a newline | belongs to the line of its first non-whitespace byte (`":\n"` to the line it ends); a token with code on several lines gets 1 if any of them gets 1 |
//! | whitespace-only token (indentation, newlines) | belongs to the line of its last byte: `"\n"` to the line it ends, `"\n    "` to the statement it indents |
//! | multi-byte UTF-8 | offsets are byte ranges; a token holding part of a character is placed by its bytes like any other |
//! | CRLF, lone CR | a line ends at `\n`, `\r\n` or `\r`, as in Python's tokenizer |
//! | blank line | mask of the next statement (previous at the end of the program) |
//! | comment line | mask of the next statement if it is indented at least as deep, else of the previous one |
//! | `else:` / `try:` / `finally:` / docstring / decorator with no code | mask of the next statement that can run (the clause it opens) |
//! | continuation lines of a multi-line statement | one unit: 1 if any of its lines ran, else 0 |
//! | curriculum prefix | its lines count: completion byte `b` is program byte `prefix.len() + b - code_start`; the prefix has no tokens |
//! | where the code is | [`FenceMode::Continuation`] (default): the prompt opened the fence, the code runs to the first fence line; `Standalone` finds the python block among prose |
//! | prose, markdown fences, text after the code, EOS (zero-width) | not program text: [`Outside::Keep`] (default, mask 1) or [`Outside::Mask`] |
//! | value loss | not this crate's business: the mask is meant for the policy loss only |
//!
//! ## Worked example: an untaken branch
//! The project's prompt opens the answer with ```` ```python\n ```` (see
//! `stepcoder_core::prompt`), so the policy writes code, closes the fence, and may add prose.
//! One unit test feeds `5` on stdin, so the `x < 0` branch never runs. The report below is what
//! the sandbox returns for this program (Python's line events and its code objects' line
//! tables); tests build reports by hand so they need no sandbox.
//!
//! ```text
//! line  executable  executed  mask  code
//!    1  yes         yes       1     def sign(x):
//!    2  yes         yes       1         if x < 0:
//!    3  yes         no        0             return "negative"
//!    4  no          -         1         else:                    <- takes line 5's mask
//!    5  yes         yes       1             return "non-negative"
//!    6  no          -         1                                  <- blank: takes line 7's mask
//!    7  yes         yes       1     print(sign(int(input())))
//! ```
//!
//! ```
//! use stepcoder_core::{CompletionSpan, ExecReport, Outcome, TestReport, TokenMasker};
//! use stepcoder_fgo::{CoverageMask, FenceMode, FullMask, Program};
//!
//! let completion = "def sign(x):\n    if x < 0:\n        return \"negative\"\n    else:\n        \
//!     return \"non-negative\"\n\nprint(sign(int(input())))\n```\nIt prints the sign.";
//!
//! // What the executor runs: the code up to the closing fence (no curriculum prefix here).
//! let program = Program::extract("", completion, FenceMode::Continuation);
//! assert!(program.text().starts_with("def sign(x):\n"));
//! assert!(program.text().ends_with("print(sign(int(input())))\n"));
//! assert_eq!(program.line_count(), 8); // 7 lines and the empty one after the last newline
//!
//! // A toy tokenizer: words, runs of spaces, and single other characters.
//! let mut offsets = Vec::new();
//! let mut start = 0;
//! let chars: Vec<(usize, char)> = completion.char_indices().collect();
//! for (k, &(i, c)) in chars.iter().enumerate() {
//!     let end = i + c.len_utf8();
//!     let same = |d: char| (c.is_alphanumeric() && d.is_alphanumeric()) || (c == ' ' && d == ' ');
//!     if chars.get(k + 1).map_or(true, |&(_, d)| !same(d)) {
//!         offsets.push((start, end));
//!         start = end;
//!     }
//! }
//!
//! // stdin "5": lines 1, 2, 5 and 7 ran; line 3 could have run but did not.
//! let mut test = TestReport::new(Outcome::Passed);
//! test.executed_lines = vec![1, 2, 5, 7];
//! let mut report = ExecReport::from_tests(vec![test]);
//! report.executable_lines = vec![1, 2, 3, 5, 7];
//!
//! let span = CompletionSpan { text: completion, token_offsets: &offsets, prefix: "", stops: &[] };
//! let fgo = CoverageMask::default();
//! let mask = fgo.mask(&span, &report);
//! assert_eq!(mask.len(), offsets.len());
//!
//! // Every token of `return "negative"` (line 3) and its indentation is masked out...
//! let explained = fgo.explain(&span, &report).unwrap();
//! assert_eq!(explained.line_masks[..7], [1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
//! let masked: String = offsets
//!     .iter()
//!     .zip(&mask)
//!     .filter(|(_, &m)| m == 0.0)
//!     .map(|(&(s, e), _)| &completion[s..e])
//!     .collect();
//! assert_eq!(masked, "        return \"negative\"\n");
//! // ...while the fence and the prose after the code stay in the loss.
//! assert_eq!(*mask.last().unwrap(), 1.0);
//!
//! // Vanilla PPO keeps everything.
//! assert!(FullMask.mask(&span, &report).iter().all(|&m| m == 1.0));
//! ```
//!
//! ## From sampled ids to a mask, with a curriculum prefix
//! What the trainer does for one rollout. The tokenizer here is byte-level (one id per byte,
//! 256 = EOS) and the report is written by hand; in training they come from the model's
//! tokenizer and from the sandbox (`stepcoder-sandbox`, an [`Executor`](stepcoder_core::Executor)).
//!
//! ```
//! use stepcoder_core::{CompletionSpan, ExecReport, Outcome, TestReport, TokenMasker};
//! use stepcoder_fgo::{offsets_by_decoding, CoverageMask, FenceMode, Program};
//!
//! // CCCS gave the first two lines of the canonical solution; the policy wrote the rest and
//! // closed the fence that the prompt opened.
//! let prefix = "n = int(input())\nif n % 2 == 0:\n";
//! let written = "    print('even')\nelse:\n    print('odd')\n```\n";
//! let mut ids: Vec<u32> = written.bytes().map(u32::from).collect();
//! ids.push(256);
//!
//! // Sampled ids carry no offsets: rebuild text and offsets by incremental decoding.
//! let decode = |ids: &[u32]| -> Result<String, std::convert::Infallible> {
//!     let bytes: Vec<u8> = ids.iter().filter(|&&i| i < 256).map(|&i| i as u8).collect();
//!     Ok(String::from_utf8_lossy(&bytes).into_owned())
//! };
//! let (text, offsets) = offsets_by_decoding(&ids, decode)?;
//! assert_eq!(text, written);
//! assert_eq!(offsets.last(), Some(&(text.len(), text.len()))); // EOS: zero-width
//!
//! // The program the executor runs: the same call the masker makes internally.
//! let program = Program::extract(prefix, &text, FenceMode::Continuation);
//! assert_eq!(
//!     program.text(),
//!     "n = int(input())\nif n % 2 == 0:\n    print('even')\nelse:\n    print('odd')\n"
//! );
//! // The prefix shifts line numbers: the policy's first line is program line 3.
//! assert_eq!(program.line_of_completion_byte(4), Some(3));
//! assert_eq!(program.completion_range_of_line(3), Some(0..18));
//! assert_eq!(program.completion_range_of_line(2), None); // all prefix
//!
//! // Coverage for stdin "3": lines 1, 2 and 5 ran; line 3 could have.
//! let mut test = TestReport::new(Outcome::Passed);
//! test.executed_lines = vec![1, 2, 5];
//! let mut report = ExecReport::from_tests(vec![test]);
//! report.executable_lines = vec![1, 2, 3, 5];
//!
//! let span = CompletionSpan { text: &text, token_offsets: &offsets, prefix, stops: &[] };
//! let mask = CoverageMask::default().mask(&span, &report);
//! assert_eq!(mask.len(), ids.len());
//! assert!(mask[..18].iter().all(|&m| m == 0.0)); // "    print('even')\n": never ran
//! assert!(mask[18..].iter().all(|&m| m == 1.0)); // else branch, fence, EOS
//! # Ok::<(), stepcoder_fgo::FgoError>(())
//! ```

mod error;
mod extract;
mod lines;
mod mask;
mod offsets;

pub use error::FgoError;
pub use extract::{code_range, FenceMode, Program};
pub use lines::{scan_python, LineInfo, LineKind, LineTable, Scan, Stmt};
pub use mask::{CoverageMask, Explanation, FullMask, NoCoverage, Outside, TokenMask};
pub use offsets::offsets_by_decoding;
