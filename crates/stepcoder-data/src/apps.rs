//! The original APPS data set, as a folder tree or as JSON Lines.

use std::path::Path;

use serde_json::{Map, Value};
use stepcoder_core::{Problem, ProblemKind, RecordError, TestCase};

use crate::apps_plus::{decode_json_in_string, difficulty, unwrap_expected};
use crate::records::{kind, Record};
use crate::starter::call_kind;
use crate::DataError;

/// A field that APPS stores either as JSON or as a string holding JSON.
fn json_field(rec: &Record<'_>, field: &str) -> Result<Option<Value>, RecordError> {
    match rec.map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| rec.error(field, format!("string does not hold valid JSON: {e}"))),
        Some(other) => Ok(Some(other.clone())),
    }
}

/// APPS stdin outputs are usually a string, sometimes a list of lines.
fn stdio_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(lines) => lines
            .iter()
            .map(|l| l.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(|l| l.join("\n")),
        _ => None,
    }
}

/// Builds a problem from a record with APPS' fields (`question`, `solutions`,
/// `input_output`, `difficulty`, `starter_code`).
pub(crate) fn parse_record(rec: &Record<'_>, default_id: String) -> Result<Problem, RecordError> {
    let question = rec.str("question")?;
    let starter = rec.opt_str("starter_code")?;
    let solutions = json_field(rec, "solutions")?;
    let canonical = match &solutions {
        None => String::new(),
        Some(Value::Array(s)) => match s.first() {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(rec.error(
                    "solutions",
                    format!(
                        "expected a list of strings, found a list of {}",
                        kind(other)
                    ),
                ))
            }
        },
        Some(other) => {
            return Err(rec.error(
                "solutions",
                format!("expected a list, found {}", kind(other)),
            ))
        }
    };
    let io = json_field(rec, "input_output")?
        .ok_or_else(|| rec.error("input_output", "missing: the problem has no unit tests"))?;
    let Value::Object(io) = io else {
        return Err(rec.error(
            "input_output",
            format!("expected an object, found {}", kind(&io)),
        ));
    };
    let get_list = |name: &str| match io.get(name) {
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(rec.error(
            "input_output",
            format!("`{name}`: expected a list, found {}", kind(other)),
        )),
        None => Err(rec.error("input_output", format!("`{name}` is missing"))),
    };
    let inputs = get_list("inputs")?;
    let outputs = get_list("outputs")?;
    if inputs.len() != outputs.len() || inputs.is_empty() {
        return Err(rec.error(
            "input_output",
            format!("{} inputs and {} outputs", inputs.len(), outputs.len()),
        ));
    }
    let fn_name = io.get("fn_name").and_then(Value::as_str);
    let (kind_, tests) = match fn_name {
        Some(name) => {
            let tests = inputs
                .iter()
                .zip(outputs)
                .enumerate()
                .map(|(i, (input, output))| match input {
                    Value::Array(args) => Ok(TestCase::Call {
                        args: args.iter().map(decode_json_in_string).collect(),
                        expected: unwrap_expected(output),
                    }),
                    other => Err(rec.error(
                        "input_output",
                        format!(
                            "test {i}: expected a list of arguments, found {}",
                            kind(other)
                        ),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            (call_kind(starter, name), tests)
        }
        None => {
            let tests = inputs
                .iter()
                .zip(outputs)
                .enumerate()
                .map(
                    |(i, (input, output))| match (stdio_text(input), stdio_text(output)) {
                        (Some(input), Some(expected)) => Ok(TestCase::Stdio { input, expected }),
                        _ => Err(rec.error(
                            "input_output",
                            format!("test {i}: stdin tests need string inputs and outputs"),
                        )),
                    },
                )
                .collect::<Result<Vec<_>, _>>()?;
            (ProblemKind::Stdio { entry: None }, tests)
        }
    };
    Ok(Problem {
        id: rec.id("problem_id").unwrap_or(default_id),
        source: "apps".into(),
        difficulty: difficulty(rec, "difficulty")?,
        statement: question.to_string(),
        starter_code: starter.to_string(),
        canonical_solution: canonical,
        kind: kind_,
        tests,
        setup_code: String::new(),
        atol: None,
        scope: None,
    })
}

/// The APPS folder layout: one sub-folder per problem with `question.txt`,
/// `input_output.json`, `metadata.json` and optionally `solutions.json` and `starter_code.py`.
/// The folders are read in name order; a record index is a folder's position in that order.
pub(crate) fn load_dir(
    root: &Path,
    problems: &mut Vec<Problem>,
    errors: &mut Vec<RecordError>,
) -> Result<(), DataError> {
    let io = |source| DataError::Io {
        path: root.to_path_buf(),
        source,
    };
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("question.txt").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(DataError::UnknownFormat {
            path: root.to_path_buf(),
            reason: "a folder without problem sub-folders holding question.txt".into(),
        });
    }
    for (index, dir) in dirs.iter().enumerate() {
        let file = dir.display().to_string();
        let mut map = Map::new();
        let mut bad = None;
        for (name, field, is_json) in [
            ("question.txt", "question", false),
            ("starter_code.py", "starter_code", false),
            ("solutions.json", "solutions", false),
            ("input_output.json", "input_output", false),
            ("metadata.json", "metadata", true),
        ] {
            let path = dir.join(name);
            if !path.exists() {
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(text) if is_json => match serde_json::from_str::<Value>(&text) {
                    Ok(v) => {
                        map.insert(field.into(), v);
                    }
                    Err(e) => bad = Some((name, format!("invalid JSON: {e}"))),
                },
                Ok(text) => {
                    map.insert(field.into(), Value::String(text));
                }
                Err(e) => bad = Some((name, e.to_string())),
            }
        }
        if let Some((field, message)) = bad {
            errors.push(RecordError {
                file,
                record: index,
                field: field.into(),
                message,
            });
            continue;
        }
        if let Some(Value::Object(meta)) = map.remove("metadata") {
            if let Some(d) = meta.get("difficulty") {
                map.insert("difficulty".into(), d.clone());
            }
        }
        let rec = Record {
            file: &file,
            index,
            map: &map,
        };
        let default_id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| index.to_string());
        match parse_record(&rec, default_id) {
            Ok(p) => problems.push(p),
            Err(e) => errors.push(e),
        }
    }
    Ok(())
}
