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
    let atol = match rec.map.get("atol") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64().filter(|a| *a > 0.0),
        Some(other) => {
            return Err(rec.error("atol", format!("expected a number, found {}", kind(other))))
        }
    };
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

/// evalplus (HumanEval+ / MBPP+): the release's `test` field holds the checker with the
/// base and plus inputs and their expected results; `atol` is kept for comparisons.
pub(crate) fn parse_evalplus(rec: &Record<'_>) -> Result<Problem, RecordError> {
    for field in ["base_input", "plus_input"] {
        if let Some(v) = rec.map.get(field) {
            if !v.is_array() {
                return Err(rec.error(field, format!("expected a list, found {}", kind(v))));
            }
        }
    }
    if !rec.map.contains_key("test") {
        return Err(rec.error(
            "test",
            "missing: this loader needs an evalplus release whose records carry the `test` checker with expected results",
        ));
    }
    let mut p = parse_humaneval(rec, "evalplus")?;
    if p.id.starts_with("Mbpp/") {
        p.id = p.id.replacen("Mbpp/", "mbpp+/", 1);
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::asserted_function;

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
