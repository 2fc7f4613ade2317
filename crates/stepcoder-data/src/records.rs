//! Reading raw records: a JSON array or JSON Lines, optionally gzip-compressed.

use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};
use stepcoder_core::RecordError;

use crate::DataError;

/// One raw record: its index in the file and its JSON object, or why it is unreadable.
pub(crate) type RawRecord = (usize, Result<Map<String, Value>, String>);

/// Reads the whole file (gunzipping `.gz`) as text.
pub(crate) fn read_text(path: &Path) -> Result<String, DataError> {
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    let is_gzip = bytes.starts_with(&[0x1f, 0x8b]);
    if is_gzip {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(io)?;
        Ok(text)
    } else {
        String::from_utf8(bytes).map_err(|e| DataError::Parse {
            path: path.to_path_buf(),
            message: format!("not UTF-8: {e}"),
        })
    }
}

/// Splits a file into records: a top-level JSON array, or one JSON object per line.
///
/// A malformed JSONL line becomes a bad record; the others still load.
pub(crate) fn read_records(path: &Path) -> Result<Vec<RawRecord>, DataError> {
    let text = read_text(path)?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let value: Value = serde_json::from_str(trimmed).map_err(|e| DataError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let Value::Array(items) = value else {
            unreachable!("starts with '['")
        };
        return Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(m) => (i, Ok(m)),
                other => (
                    i,
                    Err(format!("expected a JSON object, found {}", kind(&other))),
                ),
            })
            .collect());
    }
    let mut out = Vec::new();
    let mut index = 0;
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let rec = match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(other) => Err(format!("expected a JSON object, found {}", kind(&other))),
            Err(e) => Err(format!("invalid JSON: {e}")),
        };
        out.push((index, rec));
        index += 1;
    }
    if out.is_empty() {
        return Err(DataError::Invalid {
            path: path.to_path_buf(),
            message: "no records".into(),
        });
    }
    if out.iter().all(|(_, r)| r.is_err()) {
        let first = out[0].1.as_ref().err().cloned().unwrap_or_default();
        return Err(DataError::Parse {
            path: path.to_path_buf(),
            message: format!("no line is a JSON object (line 1: {first})"),
        });
    }
    Ok(out)
}

/// JSON type name for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Typed access to one record's fields, producing [`RecordError`]s that name the field.
pub(crate) struct Record<'a> {
    pub file: &'a str,
    pub index: usize,
    pub map: &'a Map<String, Value>,
}

impl<'a> Record<'a> {
    pub fn error(&self, field: &str, message: impl Into<String>) -> RecordError {
        RecordError {
            file: self.file.to_string(),
            record: self.index,
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub fn get(&self, field: &str) -> Result<&'a Value, RecordError> {
        self.map
            .get(field)
            .ok_or_else(|| self.error(field, "missing"))
    }

    pub fn str(&self, field: &str) -> Result<&'a str, RecordError> {
        match self.get(field)? {
            Value::String(s) => Ok(s),
            other => Err(self.error(field, format!("expected a string, found {}", kind(other)))),
        }
    }

    /// A string field that may be absent or null (then empty).
    pub fn opt_str(&self, field: &str) -> Result<&'a str, RecordError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(""),
            Some(Value::String(s)) => Ok(s),
            Some(other) => {
                Err(self.error(field, format!("expected a string, found {}", kind(other))))
            }
        }
    }

    pub fn list(&self, field: &str) -> Result<&'a Vec<Value>, RecordError> {
        match self.get(field)? {
            Value::Array(a) => Ok(a),
            other => Err(self.error(field, format!("expected a list, found {}", kind(other)))),
        }
    }

    /// A list of strings (e.g. MBPP `test_list`).
    pub fn str_list(&self, field: &str) -> Result<Vec<&'a str>, RecordError> {
        self.list(field)?
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.as_str()),
                other => Err(self.error(
                    field,
                    format!("element {i}: expected a string, found {}", kind(other)),
                )),
            })
            .collect()
    }

    /// A field that is an id: a string or a number.
    pub fn id(&self, field: &str) -> Option<String> {
        match self.map.get(field)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}
