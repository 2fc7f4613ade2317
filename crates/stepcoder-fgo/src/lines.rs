//! Physical lines and a light Python line scanner.
//!
//! The scanner groups physical lines into logical statements the way Python's tokenizer does
//! (open brackets, strings and backslash continuations join lines) without parsing: it only
//! needs to know which statement each line belongs to, which lines are blank or comments, and
//! how far a comment is indented. Known gaps, all harmless for masking (they only move a line to
//! a neighbouring statement): nested same-quote f-strings (Python 3.12), and string prefixes are
//! not needed because a backslash skips the next byte in every string (raw strings included,
//! exactly as Python's tokenizer finds the end of a raw string).

/// Where each physical line starts. Lines end at `\n`, `\r\n` or a lone `\r`, as in Python
/// (which translates all three to `\n` before compiling, so coverage counts lines the same way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTable {
    starts: Vec<usize>,
    len: usize,
}

impl LineTable {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
        }
        LineTable {
            starts,
            len: text.len(),
        }
    }

    /// Number of lines (a text ending in a newline has a last, empty line).
    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// 1-based line holding byte `pos` (a position at or past the end belongs to the last line).
    pub fn line_of(&self, pos: usize) -> u32 {
        self.starts.partition_point(|&s| s <= pos) as u32
    }

    /// Byte range of 1-based `line`, its line terminator included; `None` when out of range.
    pub fn range(&self, line: u32) -> Option<std::ops::Range<usize>> {
        let i = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).copied().unwrap_or(self.len);
        Some(start..end)
    }

    /// Byte range of 1-based `line` without its terminator.
    pub fn content_range(&self, text: &str, line: u32) -> Option<std::ops::Range<usize>> {
        let r = self.range(line)?;
        let b = text.as_bytes();
        let mut end = r.end;
        if end > r.start && b[end - 1] == b'\n' {
            end -= 1;
        }
        if end > r.start && b[end - 1] == b'\r' {
            end -= 1;
        }
        Some(r.start..end)
    }
}

/// What a physical line is, for masking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Only whitespace.
    Blank,
    /// Only a comment (outside any open bracket, string or continuation).
    Comment,
    /// The first line of a logical statement.
    Code,
    /// A later line of a multi-line statement (open bracket, string, or backslash).
    Continuation,
}

/// One physical line as the scanner saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    pub kind: LineKind,
    /// Column of the first non-blank character (tabs to the next multiple of 8, as Python).
    pub indent: u32,
    /// Index into [`Scan::stmts`] for `Code` and `Continuation` lines.
    pub stmt: Option<u32>,
}

/// One logical statement: physical lines `first..=last` (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stmt {
    pub first: u32,
    pub last: u32,
    /// `else:`, `try:` or `finally:` alone: a clause header with no code of its own.
    pub clause_header: bool,
}

/// The scanner's result: one [`LineInfo`] per physical line and the statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    pub lines: Vec<LineInfo>,
    pub stmts: Vec<Stmt>,
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\x0c')
}

fn indent_of(content: &[u8]) -> u32 {
    let mut col = 0u32;
    for &b in content {
        match b {
            b' ' => col += 1,
            b'\t' => col = (col / 8 + 1) * 8,
            b'\x0c' => col = 0,
            _ => break,
        }
    }
    col
}

fn is_clause_header(content: &[u8]) -> bool {
    let code = match content.iter().position(|&b| b == b'#') {
        Some(p) => &content[..p],
        None => content,
    };
    let code = code.trim_ascii();
    [&b"else"[..], b"try", b"finally"].iter().any(|kw| {
        code.strip_prefix(*kw)
            .is_some_and(|rest| rest.trim_ascii() == b":")
    })
}

/// Scans `text` (a Python program) line by line.
pub fn scan_python(text: &str, table: &LineTable) -> Scan {
    let bytes = text.as_bytes();
    let mut lines = Vec::with_capacity(table.count());
    let mut stmts: Vec<Stmt> = Vec::new();
    let mut depth = 0u32;
    // Open string: its quote byte and whether it is triple-quoted.
    let mut string: Option<(u8, bool)> = None;
    let mut backslash = false;

    for line in 1..=table.count() as u32 {
        let range = table.content_range(text, line).unwrap_or(0..0);
        let content = &bytes[range];
        let continuing = depth > 0 || string.is_some() || backslash;
        backslash = false;
        let indent = indent_of(content);
        let first = content.iter().position(|&b| !is_blank(b));
        let kind = if continuing && !stmts.is_empty() {
            LineKind::Continuation
        } else {
            // A continuation before any statement cannot happen; reset defensively.
            depth = 0;
            string = None;
            match first {
                None => LineKind::Blank,
                Some(p) if content[p] == b'#' => LineKind::Comment,
                Some(_) => LineKind::Code,
            }
        };
        let stmt = match kind {
            LineKind::Blank | LineKind::Comment => {
                lines.push(LineInfo {
                    kind,
                    indent,
                    stmt: None,
                });
                continue;
            }
            LineKind::Code => {
                stmts.push(Stmt {
                    first: line,
                    last: line,
                    clause_header: is_clause_header(content),
                });
                stmts.len() as u32 - 1
            }
            LineKind::Continuation => {
                let last = stmts.len() - 1;
                stmts[last].last = line;
                last as u32
            }
        };
        lines.push(LineInfo {
            kind,
            indent,
            stmt: Some(stmt),
        });

        let mut escaped_eol = false;
        let mut i = 0;
        while i < content.len() {
            let b = content[i];
            if let Some((q, triple)) = string {
                if b == b'\\' {
                    escaped_eol = i + 1 == content.len();
                    i += 2;
                    continue;
                }
                if b == q {
                    if !triple {
                        string = None;
                    } else if content[i..].starts_with(&[q, q, q]) {
                        string = None;
                        i += 3;
                        continue;
                    }
                }
                i += 1;
                continue;
            }
            match b {
                b'#' => break,
                b'\'' | b'"' => {
                    let triple = content[i + 1..].starts_with(&[b, b]);
                    string = Some((b, triple));
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b'\\' if i + 1 == content.len() => backslash = true,
                _ => {}
            }
            i += 1;
        }
        // A one-quote string cannot cross a line unless its newline is escaped; an
        // unterminated one is a syntax error, so do not let it swallow the rest.
        if let Some((_, false)) = string {
            if !escaped_eol {
                string = None;
            }
        }
    }
    Scan { lines, stmts }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(LineKind, Option<u32>)> {
        let t = LineTable::new(src);
        scan_python(src, &t)
            .lines
            .iter()
            .map(|l| (l.kind, l.stmt))
            .collect()
    }

    #[test]
    fn line_table_handles_lf_crlf_and_lone_cr() {
        let t = LineTable::new("a\r\nb\rc\nd");
        assert_eq!(t.count(), 4);
        assert_eq!(t.line_of(0), 1);
        assert_eq!(t.line_of(1), 1); // '\r'
        assert_eq!(t.line_of(2), 1); // '\n'
        assert_eq!(t.line_of(3), 2);
        assert_eq!(t.line_of(5), 3);
        assert_eq!(t.line_of(7), 4);
        assert_eq!(t.content_range("a\r\nb\rc\nd", 1), Some(0..1));
        assert_eq!(t.range(5), None);
    }

    #[test]
    fn brackets_strings_and_backslashes_join_lines() {
        use LineKind::*;
        let src = "x = f(1,\n  # inside\n  2)\ns = '''a\n# not a comment\n'''\ny = 1 + \\\n  2\n\n# c\nz = ')'\nw = 3\n";
        assert_eq!(
            kinds(src),
            vec![
                (Code, Some(0)),
                (Continuation, Some(0)),
                (Continuation, Some(0)),
                (Code, Some(1)),
                (Continuation, Some(1)),
                (Continuation, Some(1)),
                (Code, Some(2)),
                (Continuation, Some(2)),
                (Blank, None),
                (Comment, None),
                (Code, Some(3)),
                (Code, Some(4)),
                (Blank, None),
            ]
        );
    }

    #[test]
    fn escapes_and_comments_do_not_open_brackets() {
        use LineKind::*;
        let src = "a = 'it\\'s ('  # (\nb = r\"\\\"(\"\nc = 1\n";
        assert_eq!(
            kinds(src),
            vec![
                (Code, Some(0)),
                (Code, Some(1)),
                (Code, Some(2)),
                (Blank, None)
            ]
        );
    }

    #[test]
    fn unterminated_single_quote_string_does_not_swallow_the_program() {
        let src = "a = 'oops\nb = 2\n";
        assert_eq!(kinds(src)[1], (LineKind::Code, Some(1)));
    }

    #[test]
    fn clause_headers_and_indent() {
        let src = "try:\n\tx = 1\nfinally :  # done\n    pass\nelse_ = 2\n";
        let t = LineTable::new(src);
        let s = scan_python(src, &t);
        let headers: Vec<bool> = s.stmts.iter().map(|s| s.clause_header).collect();
        assert_eq!(headers, vec![true, false, true, false, false]);
        assert_eq!(s.lines[1].indent, 8);
        assert_eq!(s.lines[3].indent, 4);
    }
}
