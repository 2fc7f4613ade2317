//! APPS+ as published (see the crate docs for the format).

use serde_json::Value;
use stepcoder_core::{Difficulty, Problem, ProblemKind, RecordError, Scope, TestCase};

use crate::records::{kind, Record};
use crate::starter::kind_from_starter;

/// Decodes an APPS call-based value: a string that holds JSON means that JSON value
/// (`"\"abc\""` is the str `abc`); any other value is taken as it is. A string that is not
/// valid JSON is kept as a plain string.
pub(crate) fn decode_json_in_string(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
        other => other.clone(),
    }
}

/// Expected return value of a call-based test: APPS wraps it in a one-element list.
pub(crate) fn unwrap_expected(v: &Value) -> Value {
    match v {
        Value::Array(items) if items.len() == 1 => decode_json_in_string(&items[0]),
        other => decode_json_in_string(other),
    }
}

pub(crate) fn difficulty(rec: &Record<'_>, field: &str) -> Result<Difficulty, RecordError> {
    let s = rec.opt_str(field)?;
    Difficulty::parse(s).ok_or_else(|| {
        rec.error(
            field,
            format!("unknown difficulty {s:?} (expected introductory, interview or competition)"),
        )
    })
}

fn scope(rec: &Record<'_>) -> Result<Option<Vec<Scope>>, RecordError> {
    let Some(value) = rec.map.get("scope") else {
        return Ok(None);
    };
    let Value::Array(items) = value else {
        return Err(rec.error("scope", format!("expected a list, found {}", kind(value))));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let bad = || {
                rec.error(
                    "scope",
                    format!("element {i}: expected [kind, start_line, end_line]"),
                )
            };
            let Value::Array(t) = item else {
                return Err(bad());
            };
            match t.as_slice() {
                [Value::String(k), Value::Number(s), Value::Number(e)] => {
                    let (Some(s), Some(e)) = (s.as_u64(), e.as_u64()) else {
                        return Err(bad());
                    };
                    if s == 0 || e < s {
                        return Err(rec.error(
                            "scope",
                            format!("element {i}: lines {s}..{e} are not a 1-based range"),
                        ));
                    }
                    Ok(Scope {
                        kind: k.clone(),
                        start_line: s as u32,
                        end_line: e as u32,
                    })
                }
                _ => Err(bad()),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

pub(crate) fn parse(rec: &Record<'_>, stem: &str) -> Result<Problem, RecordError> {
    let prompt = rec.str("prompt")?;
    let canonical = rec.str("canonical_solution")?;
    let starter = rec.opt_str("starter_code")?;
    let inputs = rec.list("inputs")?;
    let outputs = rec.list("outputs")?;
    if inputs.len() != outputs.len() {
        return Err(rec.error(
            "outputs",
            format!("{} outputs for {} inputs", outputs.len(), inputs.len()),
        ));
    }
    if inputs.is_empty() {
        return Err(rec.error("inputs", "no unit tests"));
    }
    let problem_kind = kind_from_starter(starter).unwrap_or(ProblemKind::Stdio { entry: None });
    let tests = match &problem_kind {
        ProblemKind::Stdio { .. } => inputs
            .iter()
            .zip(outputs)
            .enumerate()
            .map(|(i, (input, output))| match (input, output) {
                (Value::String(input), Value::String(expected)) => Ok(TestCase::Stdio {
                    input: input.clone(),
                    expected: expected.clone(),
                }),
                (Value::String(_), other) => Err(rec.error(
                    "outputs",
                    format!(
                        "test {i}: a stdin problem needs a string output, found {}",
                        kind(other)
                    ),
                )),
                (other, _) => Err(rec.error(
                    "inputs",
                    format!(
                        "test {i}: a stdin problem needs a string input, found {}",
                        kind(other)
                    ),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => inputs
            .iter()
            .zip(outputs)
            .enumerate()
            .map(|(i, (input, output))| {
                let Value::Array(args) = input else {
                    return Err(rec.error(
                        "inputs",
                        format!(
                            "test {i}: expected a list of arguments, found {}",
                            kind(input)
                        ),
                    ));
                };
                Ok(TestCase::Call {
                    args: args.iter().map(decode_json_in_string).collect(),
                    expected: unwrap_expected(output),
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(Problem {
        id: rec
            .id("id")
            .or_else(|| rec.id("problem_id"))
            .unwrap_or_else(|| format!("{stem}/{}", rec.index)),
        source: "apps_plus".into(),
        difficulty: difficulty(rec, "difficulty")?,
        statement: prompt.to_string(),
        starter_code: starter.to_string(),
        canonical_solution: canonical.to_string(),
        kind: problem_kind,
        tests,
        setup_code: String::new(),
        atol: None,
        scope: scope(rec)?,
    })
}
