//! Finding the program inside a completion, with a map back to completion offsets.
//!
//! Trainer and evaluator both run `Program::extract(prefix, completion, mode).text()`, and the
//! masker re-derives the same [`Program`] from the same inputs, so the lines the executor
//! reports always line up with the tokens that are masked.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::lines::LineTable;

/// How the code is found in a completion.
///
/// The code is always one contiguous byte range of the completion; the executed program is
/// `prefix + code`, byte for byte (no separator is inserted: when the curriculum prefix does not
/// end in a newline, the completion continues its last line, exactly as the model saw it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FenceMode {
    /// `Continuation` when there is a curriculum prefix, `Standalone` otherwise: for prompts
    /// that do not open a code block themselves.
    Auto,
    /// The completion stands alone and may hold prose and markdown code blocks. With fences,
    /// the code is the body of the first block tagged `python`/`py`/`python3`/`py3`, else of
    /// the first untagged block, else of the first block. An unclosed block runs to the end
    /// (a completion cut at the token limit). An untagged fence after other text that no later
    /// fence closes (the model wrote code, closed a fence it was never shown opening, then
    /// prose) ends the code, as in `Continuation`. Without fences the whole completion is the code: prose without fences
    /// cannot be told from code reliably, and the executor then reports the syntax error.
    Standalone,
    /// The completion starts inside code: the code runs to the first fence line or the first
    /// ``` anywhere (a block closed at the end of a code line), or to the end. The default,
    /// because the project's prompt
    /// (`stepcoder_core::prompt::code_prompt`) opens the assistant turn with a python fence
    /// and the curriculum prefix. One exception: a completion that starts by opening a fence
    /// again (a fence with a language tag, only whitespace before it) is read as `Standalone`.
    #[default]
    Continuation,
    /// The whole completion is code; fences are not looked at.
    Raw,
}

/// A markdown fence line: 3+ backticks or tildes after optional indentation.
struct Fence<'a> {
    /// Byte where the fence line starts.
    start: usize,
    /// Byte where the next line starts (the block body of an opener).
    next: usize,
    marker: u8,
    count: usize,
    info: &'a str,
}

fn fences(text: &str) -> Vec<Fence<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| start + p + 1);
        let line = &text[start..end];
        let trimmed = line.trim_start_matches([' ', '\t']);
        let marker = trimmed.as_bytes().first().copied();
        if let Some(m @ (b'`' | b'~')) = marker {
            let count = trimmed.bytes().take_while(|&b| b == m).count();
            if count >= 3 {
                out.push(Fence {
                    start,
                    next: end,
                    marker: m,
                    count,
                    info: trimmed[count..].trim(),
                });
            }
        }
        start = end;
    }
    out
}

fn is_python_tag(info: &str) -> bool {
    let word = info.split_whitespace().next().unwrap_or("");
    ["python", "py", "python3", "py3"]
        .iter()
        .any(|t| word.eq_ignore_ascii_case(t))
}

/// The code range of `completion` under `mode` (the prefix only matters for `Auto`).
pub fn code_range(completion: &str, mode: FenceMode, has_prefix: bool) -> Range<usize> {
    let mode = match mode {
        FenceMode::Auto if has_prefix => FenceMode::Continuation,
        FenceMode::Auto => FenceMode::Standalone,
        m => m,
    };
    if mode == FenceMode::Raw {
        return 0..completion.len();
    }
    let fs = fences(completion);
    let reopened = fs
        .first()
        .is_some_and(|f| !f.info.is_empty() && completion[..f.start].trim().is_empty());
    if mode == FenceMode::Continuation && !reopened {
        // Inside the prompt's open block the first ``` closes it, even at the end of a code
        // line (`    return x````): generation stops there too, so the trainer, the evaluator
        // and the masker all see the code end at the same byte.
        let inline = completion.find("```").unwrap_or(completion.len());
        return 0..fs.first().map_or(inline, |f| f.start.min(inline));
    }
    let Some(first) = fs.first() else {
        return 0..completion.len();
    };
    let closes = |open: &Fence<'_>, f: &Fence<'_>| {
        f.marker == open.marker && f.count >= open.count && f.info.is_empty()
    };
    let lone_closer = first.info.is_empty()
        && !completion[..first.start].trim().is_empty()
        && !fs[1..].iter().any(|f| closes(first, f));
    if lone_closer {
        return 0..first.start;
    }
    // Pair openers with closers: same marker, at least as long, no info string.
    let mut blocks: Vec<(&str, Range<usize>)> = Vec::new();
    let mut i = 0;
    while i < fs.len() {
        let open = &fs[i];
        let close = fs[i + 1..]
            .iter()
            .position(|f| closes(open, f))
            .map(|p| i + 1 + p);
        let end = close.map_or(completion.len(), |j| fs[j].start);
        blocks.push((open.info, open.next..end));
        i = close.map_or(fs.len(), |j| j + 1);
    }
    blocks
        .iter()
        .find(|(info, _)| is_python_tag(info))
        .or_else(|| blocks.iter().find(|(info, _)| info.is_empty()))
        .or(blocks.first())
        .map_or(0..completion.len(), |(_, r)| r.clone())
}

/// The program to execute: `prefix + code`, with the code's place in the completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    text: String,
    prefix_len: usize,
    code: Range<usize>,
    lines: LineTable,
}

impl Program {
    /// Extracts the program from `completion`, after the curriculum `prefix`.
    pub fn extract(prefix: &str, completion: &str, mode: FenceMode) -> Program {
        Self::extract_until(prefix, completion, mode, &[])
    }

    /// [`Program::extract`], with the code also ending at the first of `stops` inside it
    /// (the problem kind's `stepcoder_core::prompt::stop_sequences`: sampling stops there,
    /// so the program must end there too). A stop that starts with a line break ends the
    /// code before that line break.
    pub fn extract_until(
        prefix: &str,
        completion: &str,
        mode: FenceMode,
        stops: &[&str],
    ) -> Program {
        let mut code = code_range(completion, mode, !prefix.is_empty());
        if let Some(cut) = stops
            .iter()
            .filter(|s| !s.is_empty())
            .filter_map(|s| completion[code.clone()].find(s))
            .min()
        {
            code.end = code.start + cut;
        }
        let mut text = String::with_capacity(prefix.len() + code.len());
        text.push_str(prefix);
        text.push_str(&completion[code.clone()]);
        let lines = LineTable::new(&text);
        Program {
            text,
            prefix_len: prefix.len(),
            code,
            lines,
        }
    }

    /// The program text the executor runs.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Bytes of the program taken from the curriculum prefix.
    pub fn prefix_len(&self) -> usize {
        self.prefix_len
    }

    /// The part of the program the policy wrote: the code taken from the completion.
    pub fn written(&self) -> &str {
        &self.text[self.prefix_len..]
    }

    /// Whether the policy wrote any code ([`stepcoder_core::has_code`] of
    /// [`Program::written`]): a completion that stopped at once, closed the fence or wrote
    /// only blank lines and comments did not.
    pub fn wrote_code(&self) -> bool {
        stepcoder_core::has_code(self.written())
    }

    /// Byte range of the completion that became code.
    pub fn code_range(&self) -> Range<usize> {
        self.code.clone()
    }

    /// Number of program lines (a program ending in a newline has a last, empty line).
    pub fn line_count(&self) -> usize {
        self.lines.count()
    }

    /// The program's line table.
    pub fn line_table(&self) -> &LineTable {
        &self.lines
    }

    /// Program byte of completion byte `pos`; `None` outside the code (prose, fences).
    /// The end of the code range maps to the end of the program.
    pub fn completion_to_program(&self, pos: usize) -> Option<usize> {
        (self.code.start <= pos && pos <= self.code.end)
            .then(|| self.prefix_len + pos - self.code.start)
    }

    /// Completion byte of program byte `pos`; `None` inside the prefix or past the end.
    pub fn program_to_completion(&self, pos: usize) -> Option<usize> {
        (self.prefix_len <= pos && pos <= self.text.len())
            .then(|| pos - self.prefix_len + self.code.start)
    }

    /// 1-based program line of completion byte `pos`; `None` outside the code.
    pub fn line_of_completion_byte(&self, pos: usize) -> Option<u32> {
        (self.code.start <= pos && pos < self.code.end)
            .then(|| self.lines.line_of(self.prefix_len + pos - self.code.start))
    }

    /// Completion bytes of program `line` (1-based), terminator included; `None` when the
    /// line lies wholly in the prefix or does not exist. A line that starts in the prefix
    /// and continues in the completion gives its completion part.
    pub fn completion_range_of_line(&self, line: u32) -> Option<Range<usize>> {
        let r = self.lines.range(line)?;
        let start = r.start.max(self.prefix_len);
        if start >= r.end {
            return None;
        }
        let s = self.program_to_completion(start)?;
        let e = self.program_to_completion(r.end)?;
        Some(s..e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: &str, mode: FenceMode, prefix: bool) -> &str {
        &c[code_range(c, mode, prefix)]
    }

    #[test]
    fn picks_the_python_block_among_prose_and_other_blocks() {
        let c = "Here:\n```text\nout\n```\nand\n```python\nprint(1)\n```\nDone.";
        assert_eq!(code(c, FenceMode::Auto, false), "print(1)\n");
        let c = "Intro\n```\nx = 1\n```\n";
        assert_eq!(code(c, FenceMode::Auto, false), "x = 1\n");
        let c = "```cpp\nint main(){}\n```";
        assert_eq!(code(c, FenceMode::Auto, false), "int main(){}\n");
    }

    #[test]
    fn unclosed_block_runs_to_the_end() {
        let c = "```py\nx = 1\ny = 2";
        assert_eq!(code(c, FenceMode::Standalone, false), "x = 1\ny = 2");
    }

    #[test]
    fn continuation_stops_at_first_fence() {
        let c = "```python\nx = 1\n```\n";
        assert_eq!(code(c, FenceMode::Continuation, false), "x = 1\n");
        let c = "    return x\n```\nThis returns x.";
        assert_eq!(code(c, FenceMode::Auto, true), "    return x\n");
        // A lone closer after code also means continuation when standing alone.
        assert_eq!(code(c, FenceMode::Standalone, false), "    return x\n");
        assert_eq!(code(c, FenceMode::Raw, false), c);
    }

    #[test]
    fn continuation_stops_at_a_fence_closing_the_last_code_line() {
        // The generator stops at the first ``` anywhere; the code must end there too.
        let c = "    return x```\nThis returns x.";
        assert_eq!(code(c, FenceMode::Continuation, false), "    return x");
        let c = "    s = 1\n    return s ```";
        assert_eq!(code(c, FenceMode::Auto, true), "    s = 1\n    return s ");
        // A fence line still ends the code at its line start, indented or not.
        let c = "x = 1\n  ```\n";
        assert_eq!(code(c, FenceMode::Continuation, false), "x = 1\n");
        let c = "x = 1\n~~~\ny = '```'\n";
        assert_eq!(code(c, FenceMode::Continuation, false), "x = 1\n");
    }

    #[test]
    fn stops_cut_the_code_before_the_test_code() {
        let stops = ["```", "\nprint(", "\nif __name__"];
        let c = "def f(x):\n    return x\nprint(f(1))\n```";
        let p = Program::extract_until("", c, FenceMode::Continuation, &stops);
        assert_eq!(p.text(), "def f(x):\n    return x");
        // Indented print( is code, not a stop.
        let c = "def f(x):\n    print(x)\n\nif __name__ == '__main__':\n    f(1)";
        let p = Program::extract_until("", c, FenceMode::Continuation, &stops);
        assert_eq!(p.text(), "def f(x):\n    print(x)\n");
        // The fence still wins when it comes first; no stops is `extract`.
        let c = "x = 1\n```\nprint(x)";
        assert_eq!(
            Program::extract_until("", c, FenceMode::Continuation, &stops).text(),
            "x = 1\n"
        );
        assert_eq!(
            Program::extract_until("p = 0", c, FenceMode::Auto, &[]),
            Program::extract("p = 0", c, FenceMode::Auto)
        );
        // Standalone: the stop is looked for inside the code block only.
        let c = "print( is prose\n```python\ndef g():\n    return 1\nprint(g())\n```";
        let p = Program::extract_until("", c, FenceMode::Standalone, &stops);
        assert_eq!(p.text(), "def g():\n    return 1");
    }

    #[test]
    fn no_fences_is_all_code() {
        let c = "print(1)\n";
        assert_eq!(code(c, FenceMode::Auto, false), c);
        assert_eq!(code(c, FenceMode::default(), false), c);
        assert_eq!(code("", FenceMode::Auto, true), "");
    }

    #[test]
    fn longer_fences_and_tildes_pair_correctly() {
        let c = "~~~~python\nx = '```'\n```\n~~~~\n";
        assert_eq!(code(c, FenceMode::Auto, false), "x = '```'\n```\n");
    }

    #[test]
    fn line_map_round_trips_through_the_prefix() {
        let p = Program::extract(
            "def f(x):\n",
            "```python\n    return x\n```\nok",
            FenceMode::Standalone,
        );
        assert_eq!(p.text(), "def f(x):\n    return x\n");
        assert_eq!(p.code_range(), 10..23);
        assert_eq!(p.completion_to_program(10), Some(10));
        assert_eq!(p.program_to_completion(14), Some(14));
        assert_eq!(p.line_of_completion_byte(14), Some(2));
        assert_eq!(p.line_of_completion_byte(5), None);
        assert_eq!(p.completion_range_of_line(1), None);
        assert_eq!(p.completion_range_of_line(2), Some(10..23));
        assert_eq!(p.program_to_completion(3), None);
    }
}
