//! Splitting a program at a line boundary.
//!
//! Lines are separated by `\n` only, as tree-sitter counts rows: a `\r\n` line ending stays
//! whole in the prefix (its `\r` is never separated from its `\n`), and a lone `\r` is not a
//! line break. Indentation (spaces or tabs) of the cut line belongs to the rest, so the
//! completion starts at column 0 of the cut line and writes its own indentation.

use crate::CurriculumError;

/// Number of lines of `text`, counted the way scope lines are: a final line without a
/// newline counts, an empty text has 0 lines, and a trailing `\n` does not open a new line.
pub fn line_count(text: &str) -> usize {
    if text.is_empty() {
        return 0;
    }
    let newlines = text.bytes().filter(|&b| b == b'\n').count();
    if text.ends_with('\n') {
        newlines
    } else {
        newlines + 1
    }
}

/// Byte offset where 1-based `line` starts. `line_count + 1` is allowed when the text ends
/// with a newline or is empty (the empty line after the last one: a cut there gives the
/// whole text as prefix).
pub fn line_start(text: &str, line: u32) -> Result<usize, CurriculumError> {
    let out_of_range = || CurriculumError::LineOutOfRange {
        line,
        lines: line_count(text),
    };
    if line == 0 {
        return Err(out_of_range());
    }
    if line == 1 {
        return Ok(0);
    }
    let mut seen = 1u32;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            seen += 1;
            if seen == line {
                return Ok(i + 1);
            }
        }
    }
    Err(out_of_range())
}

/// Splits `text` just before 1-based `line`: `(prefix, rest)` with `prefix + rest == text`
/// byte for byte, the prefix ending with the previous line's newline (or empty).
pub fn split_at_line(text: &str, line: u32) -> Result<(&str, &str), CurriculumError> {
    let at = line_start(text, line)?;
    Ok(text.split_at(at))
}

/// Leading whitespace (spaces and tabs) of 1-based `line`: the indentation at which a
/// completion that starts at a cut on that line has to continue.
pub fn indentation_of(text: &str, line: u32) -> Result<&str, CurriculumError> {
    let at = line_start(text, line)?;
    let rest = &text[at..];
    let n = rest
        .bytes()
        .take_while(|&b| b == b' ' || b == b'\t' || b == b'\x0c')
        .count();
    Ok(&rest[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_like_scope_numbers() {
        assert_eq!(line_count(""), 0);
        assert_eq!(line_count("a"), 1);
        assert_eq!(line_count("a\n"), 1);
        assert_eq!(line_count("a\nb"), 2);
        assert_eq!(line_count("a\r\nb\r\n"), 2);
        assert_eq!(line_count("\n\n"), 2);
    }

    #[test]
    fn splits_at_line_boundaries() {
        let t = "x = 1\nif x:\n    y = 2\n";
        assert_eq!(split_at_line(t, 1).unwrap(), ("", t));
        assert_eq!(
            split_at_line(t, 2).unwrap(),
            ("x = 1\n", "if x:\n    y = 2\n")
        );
        assert_eq!(
            split_at_line(t, 3).unwrap(),
            ("x = 1\nif x:\n", "    y = 2\n")
        );
        assert_eq!(split_at_line(t, 4).unwrap(), (t, ""));
        assert!(split_at_line(t, 5).is_err());
        assert!(split_at_line(t, 0).is_err());
    }

    #[test]
    fn keeps_crlf_whole_and_tabs_in_the_rest() {
        let t = "def f():\r\n\tif 1:\r\n\t\treturn 2\r\n";
        let (p, r) = split_at_line(t, 3).unwrap();
        assert_eq!(p, "def f():\r\n\tif 1:\r\n");
        assert_eq!(r, "\t\treturn 2\r\n");
        assert_eq!(indentation_of(t, 3).unwrap(), "\t\t");
        // A lone `\r` is no line break (tree-sitter agrees).
        assert_eq!(line_count("a\rb\n"), 1);
    }
}
