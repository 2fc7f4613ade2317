//! # stepcoder-curriculum
//!
//! CCCS (Curriculum of Code Completion Subtasks), the curriculum half of StepCoder
//! (Dou et al., 2024, Algorithm 1): early in training the policy is given the start of the
//! canonical solution and writes only the rest; the given part shrinks, problem by problem,
//! as the policy learns to pass.
//!
//! - [`cut_points`] / [`extract_scopes`]: the block statements of a canonical solution (the
//!   paper's `e`), from the APPS+ `scope` list or extracted with tree-sitter-python.
//! - [`ProblemCurriculum`]: a problem's stages and the prefix of each; [`split`] does the
//!   line arithmetic.
//! - [`StepSchedule`] (Algorithm 1, per problem), [`StagedSchedule`] (one global level) and
//!   [`NoCurriculum`], all behind [`stepcoder_core::CurriculumSchedule`], with state saved
//!   and loaded as JSON.
//! - [`simulate`]: a simulated learner, to watch a schedule move problems through stages.
//!
//! ```
//! use stepcoder_core::{CurriculumSchedule, Difficulty, Problem, ProblemKind};
//! use stepcoder_curriculum::{ProblemCurriculum, StepConfig, StepSchedule};
//!
//! let canonical = "\
//! import sys
//! def main():
//!     n = int(input())
//!     for i in range(n):
//!         if i % 2:
//!             print(i)
//!     while n > 0:
//!         n -= 1
//!     print([x * x for x in range(n)])
//! ";
//! let problem = Problem {
//!     id: "odd".into(),
//!     source: "example".into(),
//!     difficulty: Difficulty::Introductory,
//!     statement: "Print the odd numbers below n.".into(),
//!     starter_code: "def main():\n".into(),
//!     canonical_solution: canonical.into(),
//!     kind: ProblemKind::Stdio { entry: Some("main".into()) },
//!     tests: vec![],
//!     setup_code: String::new(),
//!     atol: None,
//!     scope: None, // no published scope: extracted with tree-sitter
//! };
//! let c = ProblemCurriculum::new(&problem)?;
//! // def (2), for (4), if (5), while (7), list comprehension (9): E = 5.
//! let starts: Vec<u32> = c.cuts().iter().map(|s| s.start_line).collect();
//! assert_eq!(starts, [2, 4, 5, 7, 9]);
//! // ceil(sqrt(5)) = 3 stages, stride ceil(5 / 3) = 2: stage c cuts at cut number 2c.
//! let cut_lines: Vec<Option<u32>> = c.stages().iter().map(|s| s.cut_line).collect();
//! assert_eq!(cut_lines, [None, Some(5), Some(9)]);
//! let (prefix, rest) = c.split(1)?;
//! assert_eq!(format!("{prefix}{rest}"), canonical);
//! assert!(rest.starts_with("        if i % 2:"));
//!
//! // Algorithm 1 starts at the easiest stage (the longest prefix).
//! let mut schedule = StepSchedule::new(StepConfig::default(), std::slice::from_ref(&problem))?;
//! let plan = schedule.plan(&problem);
//! assert_eq!(plan.stage, 2);
//! assert_eq!(plan.prefix.lines().count(), 8);
//! // With the defaults (alpha 0.1, rho_t 0.8), 16 passes in a row move it one stage on.
//! for _ in 0..16 {
//!     schedule.record(&problem, true);
//! }
//! assert_eq!(schedule.plan(&problem).stage, 1);
//! // Saved state resumes exactly.
//! let saved = schedule.save_state();
//! let mut resumed = StepSchedule::new(StepConfig::default(), &[problem.clone()])?;
//! assert!(resumed.load_state(&saved)?.is_empty()); // no unknown problem ids
//! assert_eq!(resumed.plan(&problem), schedule.plan(&problem));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Cut points and where a prefix ends
//!
//! A `scope` start line is the block's **header line** (`def`, `class`, `for`, `while`,
//! `if`/`elif`, `try`, `except`), not its first body line: in valid_350.json and
//! train_16.json, all 2,183 statement-kind scope entries start on their header line (e.g.
//! `Function Body 3-63` where line 3 is `def FsxrN():`; a one-line `if x: y` is `3-3`).
//! Expression kinds (list/set/dict comprehension, generator, lambda) start on the line
//! where the expression starts.
//!
//! So the prefix at a cut is the canonical text **before** the start line, ending with the
//! previous line's `\n`, and the policy writes from the block header on, beginning with the
//! header's indentation (spaces or tabs, [`ProblemCurriculum::indentation`]): a cut inside
//! nested blocks leaves the completion to continue at that depth. `prefix + rest` is the
//! canonical solution byte for byte (tested on every stage of every problem of
//! valid_350.json, of the same with extracted cut points, and of the built-in set). Lines
//! are split at `\n` only, so `\r\n` endings stay whole in the prefix. Starter code needs no
//! special case: APPS+ canonical solutions contain it (sometimes below imports), so a
//! prefix holds its header once, exactly as written, when the cut lies below it, and not at
//! all when the cut is the header itself (the outermost `Function Body`).
//! An expression scope can start on a continuation line of a longer statement; the prefix
//! then ends inside that statement, as the paper's line-level cut implies.
//!
//! ## Extraction against the published lists
//!
//! When a problem has no `scope` (HumanEval, MBPP, the user's data), [`extract_scopes`]
//! finds the blocks with tree-sitter-python 0.25. On all 350 problems of valid_350.json,
//! and all 16 of train_16.json, its lists are **identical** to the published ones (kinds,
//! lines and order; the test `extraction_matches_published_scope_on_valid_350` requires at
//! least 95%). The published lists were made from Python's `ast`; the rules that make
//! tree-sitter agree with it are listed on [`extract_scopes`] (whole `if` including its
//! branches, an `elif` running to the end of its `if`, trailing comments excluded, `except`
//! blocks listed right after their `try`). Differences that remain possible, none of which
//! occurs in the published data:
//! - Python's `ast` visits some children out of source order (an `x if c else y` visits `c`
//!   first, a dict literal all keys before all values, decorators after the body), so two
//!   expression scopes nested there could be listed in another order.
//! - Syntax that tree-sitter-python 0.25 and the CPython that made the lists parse
//!   differently: Python 2 code (tree-sitter accepts `print x`), very new syntax; a program
//!   tree-sitter cannot parse is an error ([`CurriculumError::Syntax`]), never a guess.
//! - A lone `\r` line break (CPython counts it as a line, tree-sitter and we do not).
//! - `match`, `with` and `else` blocks are not cut points, as in the published lists.
//!
//! [`cut_points`] sorts the list by start line (stable: blocks opening on one line stay
//! outer first), as the paper's `e` is sorted; only lists with a `try` change.
//!
//! ## Algorithm 1 as implemented ([`StepSchedule`])
//!
//! For a problem with `E` cut points: `ceil(sqrt(E))` stages (stage 0 included; `E = 0` has
//! stage 0 alone); stride `s = ceil(E / ceil(sqrt(E)))`; stage `c > 0` cuts at the start line
//! of cut point number `s * c`, counting from 0 in start-line order (in range for every
//! stage since `(ceil(sqrt E) - 1)^2 < E`); stage 0 gives no prefix. A problem starts at
//! stage `ceil(sqrt(E)) - 1` with `rho = 0`; after every rollout `rho <- alpha + (1 - alpha)
//! rho` if it passed, else `(1 - alpha) rho`; when `rho > rho_t` (strictly), `rho <- 0` and
//! the stage drops by one, never below 0. `E` counts every scope entry, so two stages can
//! share a cut line when blocks open on the same line (16 of 366 APPS+ problems).
//!
//! ### Defaults: `alpha = 0.1`, `rho_t = 0.8`
//!
//! The paper gives neither. `rho` estimates the recent pass rate with a memory of about
//! `1 / alpha` rollouts; at a steady pass rate `p` it hovers around `p` with standard
//! deviation `sqrt(alpha / (2 - alpha) * p (1 - p))`, 0.105 at `p = 0.7` for `alpha = 0.1`.
//! With `alpha = 0.1` and `rho_t = 0.8`, 16 passes in a row from `rho = 0` are needed to
//! advance (`1 - 0.9^16 = 0.815`, 15 give 0.794): exactly one group of the paper's 16
//! rollouts per problem and step, so a stage that is solved every time moves on after one
//! step, while a problem passed about half of the time stays (crossing 0.8 from a mean of
//! 0.5 takes 2.6 standard deviations). A larger `alpha` reacts to lucky streaks, a smaller
//! one needs several PPO steps per stage even when the stage is mastered. Both are
//! settable ([`StepConfig`], serde, unknown fields refused).
//!
//! ### State
//!
//! `StepSchedule::save_state` writes
//! `{"schedule": "step", "version": 1, "config": {..}, "problems": {id: {"stage", "rho",
//! "rollouts"}}}`; `rho` is written in shortest round-trip form and read back with
//! serde_json's `float_roundtrip`, so a resumed run continues bit for bit. Loading replaces
//! the configuration with the saved one (a resumed run continues the same run). State for
//! ids the schedule does not know is kept, saved again, and its ids are returned by
//! `load_state`; a saved stage that does not exist for a known problem is an error, and a
//! failed load leaves the schedule as it was.

mod cuts;
mod error;
mod simulate;
pub mod split;
mod staged;
mod stages;
mod step;

pub use cuts::{cut_points, extract_scopes};
pub use error::CurriculumError;
pub use simulate::{simulate, simulated_pass_probability, Snapshot, SplitMix64};
pub use staged::{NoCurriculum, StagedConfig, StagedSchedule};
pub use stages::{ceil_sqrt, stride, ProblemCurriculum, StageInfo};
pub use step::{algorithm1_update, StepConfig, StepSchedule, StepState};
