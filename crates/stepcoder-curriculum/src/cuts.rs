//! Cut points: the block statements of a canonical solution (the paper's `e`).

use stepcoder_core::{Problem, Scope};
use tree_sitter::{Node, Parser};

use crate::CurriculumError;

/// The block kinds of the published APPS+ `scope` lists, keyed by the tree-sitter node kind
/// that produces them. `elif_clause` and `except_clause` are handled apart (see
/// [`extract_scopes`]).
const BLOCK_KINDS: &[(&str, &str)] = &[
    ("function_definition", "Function Body"),
    ("class_definition", "Class Body"),
    ("for_statement", "For Loop Body"),
    ("while_statement", "While Loop Body"),
    ("if_statement", "If Statement Body"),
    ("try_statement", "Try Block"),
    ("list_comprehension", "List Comprehension"),
    ("generator_expression", "Generator Expression"),
    ("dictionary_comprehension", "Dict Comprehension"),
    ("set_comprehension", "Set Comprehension"),
    ("lambda", "Lambda Expression"),
];

/// Extracts the block statements of a Python program with tree-sitter-python, in the form
/// of the published APPS+ `scope` lists: same kinds, same 1-based inclusive lines, same order.
///
/// The rules, each matched against the published lists of `valid_350.json` (where they
/// reproduce every list exactly, see the crate docs):
/// - A block starts at its header line (`def`, `class`, `for`, `while`, `if`, `try`) or, for
///   expressions, at the line where the expression starts, and ends at its last line of code.
///   Trailing comments and blank lines are not part of a block (tree-sitter attaches comments
///   to the enclosing block; the published lists, made from Python's `ast`, do not).
/// - `if` covers the whole statement including its `elif`/`else` branches; every `elif` is
///   one more `If Statement Body` from the `elif` line to the end of the whole `if` statement
///   (Python's `ast` nests an `elif` as an `If` in the `else` branch). `else` is no block.
/// - `for`/`while` include their `else` branch; `try` covers the whole statement (`except`,
///   `else`, `finally`) and each `except` clause is one `Except Block`.
/// - A decorated `def`/`class` starts at the `def`/`class` line, not at the decorator.
/// - Order: pre-order of the syntax tree (outer block before inner, then source order),
///   except that the `Except Block`s of a `try` follow the `Try Block` at once, before the
///   blocks inside the `try` body: the published lists do so (their generator visits the
///   handlers of a `try` before its body). Such a list is not sorted by start line;
///   [`cut_points`] sorts it.
///
/// Errors when the program has a syntax error: cut points of a broken program would be
/// guesses.
pub fn extract_scopes(source: &str) -> Result<Vec<Scope>, CurriculumError> {
    extract_scopes_for("<source>", source)
}

fn extract_scopes_for(id: &str, source: &str) -> Result<Vec<Scope>, CurriculumError> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .map_err(|e| CurriculumError::Grammar(e.to_string()))?;
    let tree = parser
        .parse(source, None)
        .ok_or_else(|| CurriculumError::Grammar("the parser returned no tree".into()))?;
    let root = tree.root_node();
    if root.has_error() {
        let bad = first_error(root).unwrap_or(root);
        let p = bad.start_position();
        return Err(CurriculumError::Syntax {
            id: id.to_string(),
            line: p.row as u32 + 1,
            column: p.column as u32 + 1,
        });
    }
    let mut out = Vec::new();
    // Explicit stack: deeply nested programs must not overflow the thread's stack.
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        // `except` clauses are listed right after their `try`, before the blocks inside
        // the `try` body, as in the published lists (see `extract_scopes`).
        if node.kind() != "except_clause" {
            if let Some(scope) = scope_of(node, source.as_bytes()) {
                out.push(scope);
            }
        }
        let mut cursor = node.walk();
        let children: Vec<Node> = node.children(&mut cursor).collect();
        if node.kind() == "try_statement" {
            for c in children.iter().filter(|c| c.kind() == "except_clause") {
                out.extend(scope_of(*c, source.as_bytes()));
            }
        }
        stack.extend(children.into_iter().rev());
    }
    Ok(out)
}

/// The scope a node opens, if it opens one.
fn scope_of(node: Node, src: &[u8]) -> Option<Scope> {
    // The keyword token `lambda` has the same kind name as the expression node.
    if !node.is_named() {
        return None;
    }
    let kind = node.kind();
    let (label, end_node) = match kind {
        // An `elif` runs to the end of the whole `if` statement, as in Python's `ast`.
        "elif_clause" => ("If Statement Body", node.parent().unwrap_or(node)),
        "except_clause" => ("Except Block", node),
        _ => {
            let label = BLOCK_KINDS.iter().find(|(k, _)| *k == kind)?.1;
            (label, node)
        }
    };
    let start_line = node.start_position().row as u32 + 1;
    let end_line = code_end_row(end_node, src).map_or(start_line, |r| r as u32 + 1);
    Some(Scope {
        kind: label.to_string(),
        start_line,
        end_line: end_line.max(start_line),
    })
}

/// 0-based row of the last token of code in `node`: comments and the zero-width or
/// whitespace tokens (newlines, dedents) that tree-sitter puts at the end of blocks do not
/// count.
fn code_end_row(node: Node, src: &[u8]) -> Option<usize> {
    let mut stack = vec![node];
    // Depth-first from the right: the first code token found is the last one.
    while let Some(n) = stack.pop() {
        if n.kind() == "comment" {
            continue;
        }
        if n.child_count() == 0 {
            if n.end_byte() > n.start_byte() && !is_layout_token(n, src) {
                return Some(n.end_position().row);
            }
            continue;
        }
        let mut cursor = n.walk();
        // Pushed left to right, so the rightmost child is popped first.
        stack.extend(n.children(&mut cursor));
    }
    None
}

/// Newline/indent tokens: leaves that span only whitespace.
fn is_layout_token(n: Node, src: &[u8]) -> bool {
    src.get(n.start_byte()..n.end_byte())
        .is_none_or(|t| t.iter().all(u8::is_ascii_whitespace))
}

fn first_error(root: Node) -> Option<Node> {
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.is_error() || n.is_missing() {
            return Some(n);
        }
        if n.has_error() {
            let mut cursor = n.walk();
            let children: Vec<Node> = n.children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
    }
    None
}

/// The cut points of a problem: its published `scope` when present (APPS+), otherwise
/// extracted from the canonical solution with [`extract_scopes`]; sorted by start line
/// (stable, so blocks that start on the same line keep outer-before-inner order) and
/// checked against the canonical solution's line count.
pub fn cut_points(problem: &Problem) -> Result<Vec<Scope>, CurriculumError> {
    let mut scopes = match &problem.scope {
        Some(s) => s.clone(),
        None => extract_scopes_for(&problem.id, &problem.canonical_solution)?,
    };
    let lines = crate::split::line_count(&problem.canonical_solution);
    for (index, s) in scopes.iter().enumerate() {
        if s.start_line == 0 || s.start_line > s.end_line || s.end_line as usize > lines {
            return Err(CurriculumError::BadScope {
                id: problem.id.clone(),
                index,
                kind: s.kind.clone(),
                start_line: s.start_line,
                end_line: s.end_line,
                lines,
            });
        }
    }
    scopes.sort_by_key(|s| s.start_line);
    Ok(scopes)
}
