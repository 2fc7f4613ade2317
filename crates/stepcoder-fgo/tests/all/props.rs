//! Property tests over random programs, random splits into curriculum prefix and completion,
//! random wrappings (fences, prose, EOS) and random byte-level tokenizations.

use proptest::prelude::*;
use stepcoder_core::{CompletionSpan, ExecReport, Outcome, TokenMasker};
use stepcoder_fgo::{CoverageMask, FenceMode, FullMask, NoCoverage, Outside, Program};

use crate::report;

/// Single-line statements (so that a line's mask is its own coverage), some with multi-byte
/// characters and trailing comments, and clause headers that are never executable.
const STMTS: &[&str] = &[
    "x = 1",
    "print('héllo', x)",
    "y = x + 2  # ü",
    "s = \"日本語\"",
    "z = [1, (2, 3), {4: 5}]",
    "return x",
    "t = 'a#b' + \"(\"",
    "pass",
    "if x > 1: y = 0",
    "n = len(s) // 2 \\\n    + 1",
];
const HEADERS: &[&str] = &["else:", "try:", "finally:"];

/// The generated completions stand alone (prose and fences) unless a prefix is given.
const AUTO: CoverageMask = CoverageMask {
    fence: FenceMode::Auto,
    no_coverage: NoCoverage::KeepAll,
    outside: Outside::Keep,
};

#[derive(Debug, Clone)]
enum Line {
    Stmt(usize, usize),
    Header(usize, usize),
    Comment(usize),
    Blank,
}

fn line_strategy() -> impl Strategy<Value = Line> {
    prop_oneof![
        6 => (0..STMTS.len(), 0..3usize).prop_map(|(s, i)| Line::Stmt(s, i)),
        1 => (0..HEADERS.len(), 0..3usize).prop_map(|(h, i)| Line::Header(h, i)),
        1 => (0..3usize).prop_map(Line::Comment),
        1 => Just(Line::Blank),
    ]
}

/// A generated case: the program, its physical lines (program byte ranges, terminator
/// included), and which are executable / executed.
#[derive(Debug, Clone)]
struct Case {
    program: String,
    line_ranges: Vec<std::ops::Range<usize>>,
    executable: Vec<u32>,
    executed: Vec<u32>,
    prefix_len: usize,
    wrap: usize,
    cuts: Vec<usize>,
    eos: bool,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(line_strategy(), 1..30),
        any::<bool>(),
        any::<u64>(),
        0..4usize,
        prop::collection::vec(any::<prop::sample::Index>(), 0..120),
        any::<bool>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(lines, crlf, seed, wrap, cut_idx, eos, prefix_idx)| {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut program = String::new();
            let mut line_ranges = Vec::new();
            let mut executable = Vec::new();
            let mut bits = seed;
            let mut executed = Vec::new();
            for l in &lines {
                let (text, can_run) = match *l {
                    Line::Stmt(s, i) => (format!("{}{}", "    ".repeat(i), STMTS[s]), true),
                    Line::Header(h, i) => (format!("{}{}", "    ".repeat(i), HEADERS[h]), false),
                    Line::Comment(i) => (format!("{}# note ✓", "  ".repeat(i)), false),
                    Line::Blank => (String::new(), false),
                };
                // A statement with a backslash continuation spans two physical lines.
                let parts: Vec<&str> = text.split('\n').collect();
                let first_line = line_ranges.len() as u32 + 1;
                for part in &parts {
                    let start = program.len();
                    program.push_str(part);
                    program.push_str(nl);
                    line_ranges.push(start..program.len());
                }
                if can_run {
                    executable.push(first_line);
                    if bits & 1 == 1 {
                        executed.push(first_line);
                    }
                    bits = bits.rotate_right(1) ^ 0x9E37_79B9_7F4A_7C15;
                }
            }
            // Prefix: a whole number of lines.
            let k = prefix_idx.index(line_ranges.len() + 1);
            let prefix_len = if k == 0 { 0 } else { line_ranges[k - 1].end };
            let wrap = if k > 0 { wrap % 2 } else { wrap };
            let cuts = cut_idx.iter().map(|i| i.index(1 << 16)).collect();
            Case {
                program,
                line_ranges,
                executable,
                executed,
                prefix_len,
                wrap,
                cuts,
                eos,
            }
        })
}

/// Builds the completion around the code: returns it and where the code starts in it.
fn completion(case: &Case) -> (String, usize) {
    let code = &case.program[case.prefix_len..];
    let has_prefix = case.prefix_len > 0;
    match (has_prefix, case.wrap) {
        (_, 0) => (code.to_string(), 0),
        (true, _) => (format!("{code}```\nThat is all.\n"), 0),
        (false, 1) => (format!("```python\n{code}```\nExplanation: ü."), 10),
        (false, 2) => {
            let head = "Here is the code:\n\n```py\n";
            (format!("{head}{code}```\n"), head.len())
        }
        (false, _) => {
            let head = "```\n";
            (format!("{head}{code}"), head.len()) // unclosed: cut at the token limit
        }
    }
}

fn tokenize(text: &str, cuts: &[usize], eos: bool) -> Vec<(usize, usize)> {
    let mut points: Vec<usize> = cuts.iter().map(|&c| c % (text.len() + 1)).collect();
    points.push(0);
    points.push(text.len());
    points.sort_unstable();
    points.dedup();
    let mut offsets: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
    if eos {
        offsets.push((text.len(), text.len()));
    }
    offsets
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn masks_follow_coverage(case in case_strategy()) {
        let prefix = &case.program[..case.prefix_len];
        let (text, code_start) = completion(&case);
        let offsets = tokenize(&text, &case.cuts, case.eos);
        let r: ExecReport = report(&case.executed, &case.executable);
        let span = CompletionSpan { text: &text, token_offsets: &offsets, prefix, stops: &[] };

        // The executor would run exactly the generated program.
        let program = Program::extract(prefix, &text, FenceMode::Auto);
        prop_assert_eq!(program.text(), case.program.as_str());

        let mask = AUTO.mask(&span, &r);
        prop_assert_eq!(mask.len(), offsets.len());
        if case.wrap == 0 || case.prefix_len > 0 {
            // The project's prompt format: the default masker reads it the same way.
            prop_assert_eq!(&CoverageMask::default().mask(&span, &r), &mask);
        }
        prop_assert!(FullMask.mask(&span, &r).iter().all(|&m| m == 1.0));
        prop_assert_eq!(FullMask.mask(&span, &r).len(), offsets.len());

        let ran = !case.executed.is_empty();
        let code_end = code_start + case.program.len() - case.prefix_len;
        for (i, (&(s, e), &m)) in offsets.iter().zip(&mask).enumerate() {
            prop_assert!(m == 0.0 || m == 1.0);
            if s >= e || e <= code_start || s >= code_end {
                prop_assert_eq!(m, 1.0, "token {} outside the code", i);
                continue;
            }
            if !ran {
                prop_assert_eq!(m, 1.0, "nothing ran: token {} stays in the loss", i);
                continue;
            }
            // Tokens wholly inside the code and inside one physical line.
            if s < code_start || e > code_end {
                continue;
            }
            let (ps, pe) = (case.prefix_len + s - code_start, case.prefix_len + e - code_start);
            let Some(line) = case.line_ranges.iter().position(|r| r.start <= ps && pe <= r.end) else {
                continue;
            };
            let line = line as u32 + 1;
            if case.executed.contains(&line) {
                prop_assert_eq!(m, 1.0, "token {} {:?} of executed line {}", i, &text.as_bytes()[s..e], line);
            } else if case.executable.contains(&line) {
                prop_assert_eq!(m, 0.0, "token {} {:?} of unexecuted line {}", i, &text.as_bytes()[s..e], line);
            }
        }
    }

    #[test]
    fn compile_errors_keep_all(case in case_strategy()) {
        let prefix = &case.program[..case.prefix_len];
        let (text, _) = completion(&case);
        let offsets = tokenize(&text, &case.cuts, case.eos);
        let r = ExecReport::compile_failure(Outcome::CompileError {
            error_type: "SyntaxError".into(),
            message: "bad".into(),
            line: None,
        });
        let span = CompletionSpan { text: &text, token_offsets: &offsets, prefix, stops: &[] };
        let mask = AUTO.mask(&span, &r);
        prop_assert_eq!(mask, vec![1.0; offsets.len()]);
    }
}

fn any_fence() -> impl Strategy<Value = FenceMode> {
    prop_oneof![
        Just(FenceMode::Auto),
        Just(FenceMode::Standalone),
        Just(FenceMode::Continuation),
        Just(FenceMode::Raw),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary text (fences, quotes, brackets, CR/LF, multi-byte characters), arbitrary and
    /// possibly invalid offsets, arbitrary reports: never a panic, one 0/1 weight per token.
    #[test]
    fn never_panics_on_arbitrary_input(
        text in "[a-z \\n\\r\\t`'\"#(){}\\\\:é日]{0,80}",
        prefix in "[a-z \\n'(:]{0,20}",
        raw_offsets in prop::collection::vec((0..100usize, 0..100usize), 0..40),
        executed in prop::collection::vec(0..30u32, 0..10),
        executable in prop::collection::vec(0..30u32, 0..10),
        fence in any_fence(),
        mask_all in any::<bool>(),
    ) {
        let masker = CoverageMask {
            fence,
            no_coverage: if mask_all { NoCoverage::MaskAll } else { NoCoverage::KeepAll },
            outside: Outside::Keep,
        };
        let r = report(&executed, &executable);
        let span = CompletionSpan { text: &text, token_offsets: &raw_offsets, prefix: &prefix, stops: &[] };
        let mask = masker.mask(&span, &r);
        prop_assert_eq!(mask.len(), raw_offsets.len());
        prop_assert!(mask.iter().all(|&m| m == 0.0 || m == 1.0));
        let valid = raw_offsets.iter().all(|&(s, e)| s <= e && e <= text.len());
        match masker.explain(&span, &r) {
            Ok(e) => {
                prop_assert!(valid);
                prop_assert_eq!(e.tokens.iter().map(|t| t.mask).collect::<Vec<_>>(), mask);
                prop_assert_eq!(e.line_masks.len(), e.program.line_count());
                let program = Program::extract(&prefix, &text, fence);
                prop_assert!(program.text().starts_with(prefix.as_str()));
                prop_assert_eq!(&program.text()[prefix.len()..], &text[program.code_range()]);
            }
            Err(_) => prop_assert!(!valid),
        }
    }
}
