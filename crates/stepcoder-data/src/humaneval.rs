//! HumanEval, MBPP and the evalplus variants: assert-based tests.

use serde_json::Value;
use stepcoder_core::{Difficulty, Problem, ProblemKind, RecordError, TestCase};

use crate::records::{kind, Record};

/// HumanEval: `prompt` + `canonical_solution` is the full program; `test` defines
/// `check(candidate)`, which is called with `entry_point`.
pub(crate) fn parse_humaneval(rec: &Record<'_>, source: &str) -> Result<Problem, RecordError> {
    let task_id = rec
        .id("task_id")
        .ok_or_else(|| rec.error("task_id", "missing"))?;
    let prompt = rec.str("prompt")?;
    let body = rec.str("canonical_solution")?;
    let test = rec.str("test")?;
    let entry = rec.str("entry_point")?;
    if entry.trim().is_empty() {
        return Err(rec.error("entry_point", "empty"));
    }
    let atol = atol(rec)?;
    // evalplus releases put the prompt inside canonical_solution for some tasks.
    let canonical = if body.starts_with(prompt) {
        body.to_string()
    } else {
        format!("{prompt}{body}")
    };
    Ok(Problem {
        id: task_id,
        source: source.into(),
        difficulty: Difficulty::Unknown,
        statement: prompt.to_string(),
        starter_code: prompt.to_string(),
        canonical_solution: canonical,
        kind: ProblemKind::Assert {
            entry_point: Some(entry.to_string()),
        },
        tests: vec![TestCase::Assert {
            code: format!("{test}\n\ncheck({entry})\n"),
        }],
        setup_code: String::new(),
        atol,
        scope: None,
    })
}

/// evalplus's absolute tolerance for float results; absent, null or 0 means none.
fn atol(rec: &Record<'_>) -> Result<Option<f64>, RecordError> {
    match rec.map.get("atol") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64().filter(|a| *a > 0.0)),
        Some(other) => Err(rec.error("atol", format!("expected a number, found {}", kind(other)))),
    }
}

/// Name of the function the first `assert name(` calls.
fn asserted_function(test: &str) -> Option<String> {
    let rest = test.trim_start().strip_prefix("assert")?.trim_start();
    let rest = rest.strip_prefix("not ").unwrap_or(rest).trim_start();
    let rest = rest.strip_prefix("math.isclose(").unwrap_or(rest);
    let rest = rest.strip_prefix("set(").unwrap_or(rest);
    let end = rest.find('(')?;
    let name = rest[..end].trim();
    (!name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then(|| name.to_string())
}

/// MBPP (original and sanitized): one assert test per `test_list` entry.
/// `challenge_test_list` is not used: it is not part of the standard benchmark.
pub(crate) fn parse_mbpp(rec: &Record<'_>) -> Result<Problem, RecordError> {
    let task_id = rec
        .id("task_id")
        .ok_or_else(|| rec.error("task_id", "missing"))?;
    // the sanitized release calls the statement `prompt`
    let text = if rec.map.contains_key("text") {
        rec.str("text")?
    } else {
        rec.str("prompt")?
    };
    let code = rec.str("code")?;
    let tests = rec.str_list("test_list")?;
    if tests.is_empty() {
        return Err(rec.error("test_list", "no unit tests"));
    }
    let setup = rec.opt_str("test_setup_code")?;
    let statement = format!(
        "{text}\nYour code should pass these tests:\n\n{}\n",
        tests.join("\n")
    );
    Ok(Problem {
        id: format!("mbpp/{task_id}"),
        source: "mbpp".into(),
        difficulty: Difficulty::Unknown,
        statement,
        starter_code: String::new(),
        canonical_solution: code.replace("\r\n", "\n"),
        kind: ProblemKind::Assert {
            entry_point: asserted_function(tests[0]),
        },
        tests: tests
            .iter()
            .map(|t| TestCase::Assert {
                code: t.to_string(),
            })
            .collect(),
        setup_code: setup.to_string(),
        atol: None,
        scope: None,
    })
}

/// evalplus (HumanEval+ / MBPP+), in its two record layouts:
///
/// - HumanEval+ records carry `test`, the checker with the base and plus inputs and their
///   expected results: loaded as HumanEval, every input used.
/// - MBPP+ records carry `assertion` instead: the original MBPP `assert` lines with their
///   expected values, which become the unit tests ([`parse_mbpp_plus`]). Their `base_input`
///   and `plus_input` are bare argument lists: evalplus derives the expected outputs by
///   running `canonical_solution` at evaluation time, and the file does not store them.
///
/// Returns the problem and how many plus inputs it could not use (for one warning per file).
pub(crate) fn parse_evalplus(rec: &Record<'_>) -> Result<(Problem, usize), RecordError> {
    let mut plus_inputs = 0;
    for field in ["base_input", "plus_input"] {
        if let Some(v) = rec.map.get(field) {
            match v {
                Value::Array(a) if field == "plus_input" => plus_inputs = a.len(),
                Value::Array(_) => {}
                _ => return Err(rec.error(field, format!("expected a list, found {}", kind(v)))),
            }
        }
    }
    if !rec.map.contains_key("test") && rec.map.contains_key("assertion") {
        return Ok((parse_mbpp_plus(rec)?, plus_inputs));
    }
    if !rec.map.contains_key("test") {
        return Err(rec.error(
            "test",
            "missing: an evalplus record needs `test` (HumanEval+, the checker with expected results) or `assertion` (MBPP+)",
        ));
    }
    let mut p = parse_humaneval(rec, "evalplus")?;
    if p.id.starts_with("Mbpp/") {
        p.id = p.id.replacen("Mbpp/", "mbpp+/", 1);
    }
    Ok((p, 0))
}

/// An MBPP+ record: `prompt` is the task as a module docstring (with one example assert),
/// `canonical_solution` the whole program, `assertion` the checks. Like MBPP, the model
/// writes the whole function (no starter code) and each `assert` is one unit test, so the
/// reward sees partial progress.
fn parse_mbpp_plus(rec: &Record<'_>) -> Result<Problem, RecordError> {
    let task_id = rec
        .id("task_id")
        .ok_or_else(|| rec.error("task_id", "missing"))?;
    let prompt = rec.str("prompt")?;
    let solution = rec.str("canonical_solution")?;
    let entry = rec.str("entry_point")?;
    if entry.trim().is_empty() {
        return Err(rec.error("entry_point", "empty"));
    }
    let (setup, tests) = split_assertion(rec.str("assertion")?);
    if tests.is_empty() {
        return Err(rec.error("assertion", "no `assert` statement"));
    }
    let id = match task_id.strip_prefix("Mbpp/") {
        Some(n) => format!("mbpp+/{n}"),
        None => task_id,
    };
    Ok(Problem {
        id,
        source: "evalplus".into(),
        difficulty: Difficulty::Unknown,
        statement: docstring_text(prompt).to_string(),
        starter_code: String::new(),
        canonical_solution: solution
            .replace("\r\n", "\n")
            .trim_start_matches('\n')
            .to_string(),
        kind: ProblemKind::Assert {
            entry_point: Some(entry.trim().to_string()),
        },
        tests: tests
            .into_iter()
            .map(|code| TestCase::Assert { code })
            .collect(),
        setup_code: setup,
        atol: atol(rec)?,
        scope: None,
    })
}

/// The text of a prompt that is one module docstring (`"""..."""`), or the prompt itself.
fn docstring_text(prompt: &str) -> &str {
    let t = prompt.trim();
    t.strip_prefix("\"\"\"")
        .and_then(|r| r.strip_suffix("\"\"\""))
        .map_or(t, str::trim)
}

/// Splits MBPP+'s `assertion` into setup lines (imports before the first `assert`, run by the
/// sandbox before each test) and one test per `assert` statement, keeping indented or
/// bracket-closing continuation lines with their statement. Any other top-level code after
/// the first `assert` may be state the later ones need: then the whole text is one test,
/// which is always the release's own semantics.
fn split_assertion(text: &str) -> (String, Vec<String>) {
    let text = text.replace("\r\n", "\n");
    let is_assert = |l: &str| {
        l.strip_prefix("assert")
            .is_some_and(|r| r.starts_with([' ', '\t', '(']))
    };
    let mut setup: Vec<&str> = Vec::new();
    let mut tests: Vec<String> = Vec::new();
    for line in text.lines() {
        let continuation = line.trim().is_empty() || line.starts_with([' ', '\t', ')', ']', '}']);
        if continuation {
            match tests.last_mut() {
                Some(t) => {
                    t.push('\n');
                    t.push_str(line);
                }
                None => setup.push(line),
            }
        } else if is_assert(line) {
            tests.push(line.to_string());
        } else if tests.is_empty() {
            setup.push(line);
        } else {
            let whole = format!("{}\n", text.trim());
            return (String::new(), vec![whole]);
        }
    }
    let tests = tests
        .into_iter()
        .map(|t| format!("{}\n", t.trim_end()))
        .collect();
    let setup = setup.join("\n").trim().to_string();
    (setup, tests)
}

#[cfg(test)]
mod tests {
    use super::{asserted_function, docstring_text, split_assertion};

    #[test]
    fn splits_mbpp_plus_assertions() {
        let (setup, tests) = split_assertion(
            "\nimport math\nassert f(1) == 2\nassert math.isclose(g([1,\n    2]), 0.5, rel_tol=0.001)\n",
        );
        assert_eq!(setup, "import math");
        assert_eq!(
            tests,
            vec![
                "assert f(1) == 2\n".to_string(),
                "assert math.isclose(g([1,\n    2]), 0.5, rel_tol=0.001)\n".to_string()
            ]
        );
        // Code between asserts may be state for the next one: keep it all together.
        let (setup, tests) = split_assertion("assert f(1)\nx = f(2)\nassert x == 3\n");
        assert_eq!(setup, "");
        assert_eq!(
            tests,
            vec!["assert f(1)\nx = f(2)\nassert x == 3\n".to_string()]
        );
        // `assertion_error` is not an assert statement.
        assert!(split_assertion("assertion_error = 1\n").1.is_empty());
    }

    #[test]
    fn unwraps_the_docstring_prompt() {
        assert_eq!(
            docstring_text("\"\"\"\nWrite f.\nassert f(1) == 2\n\"\"\"\n"),
            "Write f.\nassert f(1) == 2"
        );
        assert_eq!(docstring_text("plain"), "plain");
    }

    #[test]
    fn finds_the_asserted_function() {
        assert_eq!(
            asserted_function("assert remove_Occ(\"hello\",\"l\") == \"heo\""),
            Some("remove_Occ".into())
        );
        assert_eq!(
            asserted_function("assert math.isclose(area(2), 12.5, rel_tol=0.001)"),
            Some("area".into())
        );
        assert_eq!(asserted_function("x = 1"), None);
    }
}
