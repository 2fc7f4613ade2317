//! Integration tests of stepcoder-fgo, in one test binary. Reports are built by hand: these
//! tests need no sandbox.

mod cases;
mod props;

use stepcoder_core::{ExecReport, Outcome, TestReport};

/// A report of one passing test that executed `executed`, with `executable` from the code
/// objects (empty: the executor did not say).
pub fn report(executed: &[u32], executable: &[u32]) -> ExecReport {
    let mut t = TestReport::new(Outcome::Passed);
    t.executed_lines = executed.to_vec();
    let mut r = ExecReport::from_tests(vec![t]);
    r.executable_lines = executable.to_vec();
    r
}

/// Splits `text` into tokens at every boundary between word characters, runs of spaces and
/// single other characters (a stand-in for a real tokenizer with byte offsets).
pub fn word_tokens(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for (k, &(i, c)) in chars.iter().enumerate() {
        let end = i + c.len_utf8();
        let same = |d: char| (c.is_alphanumeric() && d.is_alphanumeric()) || (c == ' ' && d == ' ');
        if chars.get(k + 1).is_none_or(|&(_, d)| !same(d)) {
            out.push((start, end));
            start = end;
        }
    }
    out
}
