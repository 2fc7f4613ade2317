//! One test per decision the crate documents.

use stepcoder_core::{CompletionSpan, ExecReport, Outcome, TokenMasker};
use stepcoder_fgo::{CoverageMask, FenceMode, FgoError, NoCoverage, Outside};

use crate::{report, word_tokens};

/// (token text, mask) pairs of the tokens that carry non-whitespace text.
fn masked_words(
    masker: &CoverageMask,
    prefix: &str,
    text: &str,
    offsets: &[(usize, usize)],
    report: &ExecReport,
) -> Vec<(String, f32)> {
    let span = CompletionSpan {
        text,
        token_offsets: offsets,
        prefix,
        stops: &[],
    };
    let mask = masker.mask(&span, report);
    assert_eq!(mask.len(), offsets.len());
    offsets
        .iter()
        .zip(mask)
        .map(|(&(s, e), m)| (text[s..e].to_string(), m))
        .filter(|(t, _)| !t.trim().is_empty())
        .collect()
}

fn mask_of(words: &[(String, f32)], word: &str) -> f32 {
    let hits: Vec<f32> = words
        .iter()
        .filter(|(t, _)| t == word)
        .map(|&(_, m)| m)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "token {word:?} should occur once in {words:?}"
    );
    hits[0]
}

fn line_masks(prefix: &str, text: &str, report: &ExecReport) -> Vec<f32> {
    let offsets = word_tokens(text);
    let span = CompletionSpan {
        text,
        token_offsets: &offsets,
        prefix,
        stops: &[],
    };
    let e = CoverageMask::default().explain(&span, report).unwrap();
    e.line_masks
}

#[test]
fn curriculum_prefix_shifts_line_numbers() {
    let prefix = "def f(x):\n    if x:\n";
    let text = "        return one\n    return zero\nprint(f(0))\n";
    let r = report(&[1, 2, 4, 5], &[1, 2, 3, 4, 5]);
    let w = masked_words(
        &CoverageMask::default(),
        prefix,
        text,
        &word_tokens(text),
        &r,
    );
    assert_eq!(mask_of(&w, "one"), 0.0);
    assert_eq!(mask_of(&w, "zero"), 1.0);
    assert_eq!(mask_of(&w, "print"), 1.0);
}

#[test]
fn prefix_without_newline_is_continued_by_the_completion() {
    // The cut fell mid-line: line 2 starts in the prefix and ends in the completion.
    let prefix = "a = 1\nb =";
    let text = " a + 1\nif b > 5:\n    c = 3\n";
    let r = report(&[1, 2, 3], &[1, 2, 3, 4]);
    let offsets = word_tokens(text);
    let span = CompletionSpan {
        text,
        token_offsets: &offsets,
        prefix,
        stops: &[],
    };
    let e = CoverageMask::default().explain(&span, &r).unwrap();
    assert_eq!(e.program.text(), "a = 1\nb = a + 1\nif b > 5:\n    c = 3\n");
    assert_eq!(e.tokens[1].line, Some(2)); // "a"
    let w = masked_words(&CoverageMask::default(), prefix, text, &offsets, &r);
    assert_eq!(mask_of(&w, "c"), 0.0);
    assert_eq!(mask_of(&w, "if"), 1.0);
}

#[test]
fn compile_errors_keep_every_token_by_default() {
    let text = "```python\ndef f(:\n    pass\n```\n";
    let r = ExecReport::compile_failure(Outcome::CompileError {
        error_type: "SyntaxError".into(),
        message: "invalid syntax".into(),
        line: Some(1),
    });
    let offsets = word_tokens(text);
    let span = CompletionSpan {
        text,
        token_offsets: &offsets,
        prefix: "",
        stops: &[],
    };
    assert!(CoverageMask::default()
        .mask(&span, &r)
        .iter()
        .all(|&m| m == 1.0));
    let strict = CoverageMask {
        no_coverage: NoCoverage::MaskAll,
        ..CoverageMask::default()
    };
    let e = strict.explain(&span, &r).unwrap();
    assert!(!e.ran);
    for (t, &(s, end)) in e.tokens.iter().zip(&offsets) {
        let expect = if t.line.is_some() { 0.0 } else { 1.0 };
        assert_eq!(t.mask, expect, "token {:?}", &text[s..end]);
    }
    // A report with no executed line inside the program counts as not run, too.
    let empty = report(&[], &[1, 2]);
    assert!(CoverageMask::default()
        .mask(&span, &empty)
        .iter()
        .all(|&m| m == 1.0));
    let outside_program = report(&[40], &[1, 2, 40]);
    assert!(
        !CoverageMask::default()
            .explain(&span, &outside_program)
            .unwrap()
            .ran
    );
}

#[test]
fn crlf_lines_and_else_headers() {
    let text = "a = 1\r\nif a:\r\n    b = 2\r\nelse:\r\n    b = 3\r\nprint(b)\r\n";
    let r = report(&[1, 2, 3, 6], &[1, 2, 3, 5, 6]);
    let offsets = word_tokens(text);
    let w = masked_words(&CoverageMask::default(), "", text, &offsets, &r);
    assert_eq!(mask_of(&w, "2"), 1.0);
    assert_eq!(mask_of(&w, "3"), 0.0);
    assert_eq!(mask_of(&w, "else"), 0.0); // the untaken clause, header included
    assert_eq!(mask_of(&w, "print"), 1.0);
    // Each "\r" and "\n" token stays with the line it ends.
    let span = CompletionSpan {
        text,
        token_offsets: &offsets,
        prefix: "",
        stops: &[],
    };
    let e = CoverageMask::default().explain(&span, &r).unwrap();
    for (t, &(s, _)) in e.tokens.iter().zip(&offsets) {
        if matches!(text.as_bytes()[s], b'\r' | b'\n') {
            let line_of_byte = text[..s].matches('\n').count() as u32 + 1;
            assert_eq!(t.line, Some(line_of_byte));
        }
    }
    assert_eq!(
        line_masks("", text, &r)[..6],
        [1.0, 1.0, 1.0, 0.0, 0.0, 1.0]
    );
}

#[test]
fn lone_carriage_returns_end_lines_as_in_python() {
    let text = "x = 1\rif x > 2:\r    y = 0\r";
    let r = report(&[1, 2], &[1, 2, 3]);
    assert_eq!(line_masks("", text, &r)[..3], [1.0, 1.0, 0.0]);
}

#[test]
fn multi_byte_utf8_split_across_tokens() {
    // Byte-level tokens: every byte is a token, multi-byte characters split in two or three.
    let text = "s = 'héllo 日本'  # ü\nif s:\n    t = '€'\n";
    let offsets: Vec<(usize, usize)> = (0..text.len()).map(|i| (i, i + 1)).collect();
    let r = report(&[1, 2], &[1, 2, 3]);
    let span = CompletionSpan {
        text,
        token_offsets: &offsets,
        prefix: "",
        stops: &[],
    };
    let mask = CoverageMask::default().mask(&span, &r);
    let line3 = text.find("    t").unwrap();
    for (i, &m) in mask.iter().enumerate() {
        assert_eq!(m, if i >= line3 { 0.0 } else { 1.0 }, "byte {i}");
    }
}

#[test]
fn tokens_spanning_newlines_and_indentation_tokens() {
    let text = "if x:\n    y = 1\nz = 2\n";
    // ":\n" ends line 1; "\n    " is the indentation of line 2; "1\nz" starts on line 2.
    let offsets = [
        (0, 2),
        (2, 4),
        (4, 6),
        (6, 10),
        (10, 11),
        (11, 12),
        (12, 14),
        (14, 15),
        (15, 18),
        (18, 22),
    ];
    assert_eq!(&text[4..6], ":\n");
    assert_eq!(&text[6..10], "    ");
    assert_eq!(&text[15..18], "\nz ");
    let r = report(&[1, 3], &[1, 2, 3]);
    let span = CompletionSpan {
        text,
        token_offsets: &offsets,
        prefix: "",
        stops: &[],
    };
    let e = CoverageMask::default().explain(&span, &r).unwrap();
    let lines: Vec<Option<u32>> = e.tokens.iter().map(|t| t.line).collect();
    assert_eq!(
        lines,
        [1, 1, 1, 2, 2, 2, 2, 2, 3, 3].map(Some).to_vec(),
        "{:?}",
        offsets.map(|(s, e)| &text[s..e])
    );
    let mask: Vec<f32> = e.tokens.iter().map(|t| t.mask).collect();
    assert_eq!(mask, [1., 1., 1., 0., 0., 0., 0., 0., 1., 1.]);
    // A token with code on two lines goes to the line of its first non-space byte.
    let offsets = [(0, 12), (12, 22)];
    let span = CompletionSpan {
        text,
        token_offsets: &offsets,
        prefix: "",
        stops: &[],
    };
    let e = CoverageMask::default().explain(&span, &r).unwrap();
    assert_eq!(e.tokens[0].line, Some(1));
    assert_eq!(e.tokens[1].line, Some(2));
    // ...and stays in the loss when any of its code lines ran.
    assert_eq!((e.tokens[0].mask, e.tokens[1].mask), (1.0, 1.0));
    let offsets = [(4, 14), (14, 22)]; // ":\n    y = " holds code of lines 1 and 2
    let span = CompletionSpan {
        text,
        token_offsets: &offsets,
        prefix: "",
        stops: &[],
    };
    let r = report(&[3], &[1, 2, 3]);
    let e = CoverageMask::default().explain(&span, &r).unwrap();
    assert_eq!((e.tokens[0].line, e.tokens[0].mask), (Some(1), 0.0));
    assert_eq!((e.tokens[1].line, e.tokens[1].mask), (Some(2), 1.0));
}

#[test]
fn multi_line_statements_are_one_unit() {
    let text = "def g():\n    return sum([\n        1,\n        2,\n    ])\nv = (3 +\n     4)\ns = '''a\nb'''\nprint(v, \\\n      s)\n";
    // g is never called; lines 6, 8 and 10 ran (continuation lines did not fire).
    let r = report(&[1, 6, 8, 10], &[1, 2, 3, 4, 6, 7, 8, 10, 11]);
    assert_eq!(
        line_masks("", text, &r)[..11],
        [1., 0., 0., 0., 0., 1., 1., 1., 1., 1., 1.]
    );
}

#[test]
fn comments_decorators_and_docstrings() {
    let text = "\
import functools

# cache results
@functools.cache
def fib(n):
    \"\"\"Fibonacci
    numbers.\"\"\"
    # base case
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
    # closing note

def unused():
    '''Never called.'''
    return 0
print(fib(1))
# trailing
";
    let executable = [1, 4, 5, 9, 10, 11, 14, 16, 17];
    let executed = [1, 4, 5, 9, 10, 14, 17];
    let r = report(&executed, &executable);
    let lm = line_masks("", text, &r);
    let expect = [
        1., // import
        1., // blank -> line 3's statement... the next statement is the decorator
        1., // comment -> decorator
        1., // decorator
        1., // def
        1., // docstring -> next statement (if n < 2), which ran
        1., // docstring continuation
        1., // comment, indented like the next statement
        1., 1., // if / return n
        0., // untaken recursion
        0., // comment closing the block: previous statement
        1., // blank -> def unused (ran: definition)
        1., // def unused
        0., // docstring of a never-called function -> return 0
        0., // return 0
        1., // print
        1., // trailing comment at the end -> previous statement
    ];
    assert_eq!(lm[..18], expect);
    // An executor that does not list decorators: the decorator takes the def's mask.
    let r2 = report(&[1, 5, 9, 10, 14, 17], &[1, 5, 9, 10, 11, 14, 16, 17]);
    assert_eq!(line_masks("", text, &r2)[3], 1.0);
}

#[test]
fn executor_without_executable_lines_falls_back_to_statements() {
    let text = "x = 0\ntry:\n    x = 1\nexcept ValueError:\n    x = 2\nelse:\n    x = 3\nfinally:\n    x = 4\n";
    let r = report(&[1, 3, 7, 9], &[]);
    assert_eq!(
        line_masks("", text, &r)[..9],
        [1., 1., 1., 0., 0., 1., 1., 1., 1.]
    );
}

#[test]
fn prose_fences_and_eos_follow_the_outside_policy() {
    let text = "Sure!\n```python\nx = 1\nif x > 1:\n    y = 2\n```\nDone.";
    let mut offsets = word_tokens(text);
    offsets.push((text.len(), text.len())); // EOS decoded to nothing
    let r = report(&[1, 2], &[1, 2, 3]);
    let span = CompletionSpan {
        text,
        token_offsets: &offsets,
        prefix: "",
        stops: &[],
    };
    let standalone = CoverageMask {
        fence: FenceMode::Standalone,
        ..CoverageMask::default()
    };
    let keep = standalone.explain(&span, &r).unwrap();
    let drop = CoverageMask {
        outside: Outside::Mask,
        ..standalone
    }
    .explain(&span, &r)
    .unwrap();
    let code = keep.program.code_range();
    assert_eq!(&text[code.clone()], "x = 1\nif x > 1:\n    y = 2\n");
    for ((k, d), &(s, e)) in keep.tokens.iter().zip(&drop.tokens).zip(&offsets) {
        let inside = s < code.end && e > code.start;
        assert_eq!(k.line.is_some(), inside, "token {:?}", &text[s..e]);
        if !inside {
            assert_eq!((k.mask, d.mask), (1.0, 0.0));
        } else {
            assert_eq!(k.mask, d.mask);
        }
    }
    assert_eq!(keep.tokens.last().unwrap().line, None);
}

#[test]
fn continuation_mode_stops_at_the_closing_fence() {
    let prefix = "def f(x):\n";
    let text = "    if x:\n        return 1\n    return 2\n```\nThe function returns one or two.\n";
    let r = report(&[1, 2, 4], &[1, 2, 3, 4]);
    let w = masked_words(
        &CoverageMask::default(),
        prefix,
        text,
        &word_tokens(text),
        &r,
    );
    assert_eq!(mask_of(&w, "1"), 0.0);
    assert_eq!(mask_of(&w, "returns"), 1.0); // prose after the fence
    let raw = CoverageMask {
        fence: FenceMode::Raw,
        ..CoverageMask::default()
    };
    let span = CompletionSpan {
        text,
        token_offsets: &[],
        prefix,
        stops: &[],
    };
    assert_eq!(
        raw.explain(&span, &r).unwrap().program.text().len(),
        prefix.len() + text.len()
    );
}

#[test]
fn bad_offsets_are_errors_in_explain_and_clamped_in_mask() {
    let text = "x = 1\n";
    let offsets = [(0, 1), (4, 99), (5, 3)];
    let span = CompletionSpan {
        text,
        token_offsets: &offsets,
        prefix: "",
        stops: &[],
    };
    let r = report(&[1], &[1]);
    match CoverageMask::default().explain(&span, &r) {
        Err(FgoError::TokenOutOfRange {
            index: 1, end: 99, ..
        }) => {}
        other => panic!("expected an out-of-range error, got {other:?}"),
    }
    assert_eq!(CoverageMask::default().mask(&span, &r), vec![1.0; 3]);
}

#[test]
fn config_round_trips_through_serde() {
    let c = CoverageMask {
        fence: FenceMode::Continuation,
        no_coverage: NoCoverage::MaskAll,
        outside: Outside::Mask,
    };
    let j = serde_json::to_string(&c).unwrap();
    assert_eq!(
        j,
        r#"{"fence":"continuation","no_coverage":"mask_all","outside":"mask"}"#
    );
    let back: CoverageMask = serde_json::from_str(&j).unwrap();
    assert_eq!(back, c);
    let d: CoverageMask = serde_json::from_str("{}").unwrap();
    assert_eq!(d, CoverageMask::default());
}

#[test]
fn default_reads_the_project_prompt_format() {
    // The prompt opened the fence; the model wrote code, closed it, and showed an example.
    let text = "x = int(input())\nif x:\n    print(x)\n```\nExample:\n```\n1\n```\n";
    let r = report(&[1, 2], &[1, 2, 3]);
    let offsets = word_tokens(text);
    let span = CompletionSpan {
        text,
        token_offsets: &offsets,
        prefix: "",
        stops: &[],
    };
    let e = CoverageMask::default().explain(&span, &r).unwrap();
    assert_eq!(e.program.text(), "x = int(input())\nif x:\n    print(x)\n");
    let w = masked_words(&CoverageMask::default(), "", text, &offsets, &r);
    assert_eq!(mask_of(&w, "print"), 0.0);
    assert_eq!(mask_of(&w, "Example"), 1.0);
}
