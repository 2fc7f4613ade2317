//! # stepcoder-data
//!
//! Loaders for the data sets code-RL trains and evaluates on, all producing
//! [`stepcoder_core::Problem`]s:
//!
//! | format | files | tests become |
//! |---|---|---|
//! | [`Format::AppsPlus`] | JSON list with `prompt`, `canonical_solution`, `starter_code`, `inputs`, `outputs`, `scope`, `difficulty` | stdin or call tests |
//! | [`Format::Apps`] | the APPS folder tree (`question.txt`, `input_output.json`, ...) or its JSONL form | stdin or call tests |
//! | [`Format::HumanEval`] | `.jsonl` / `.jsonl.gz` with `task_id`, `prompt`, `canonical_solution`, `test`, `entry_point` | one `check(entry_point)` test |
//! | [`Format::Mbpp`] | `task_id`, `text`, `code`, `test_list`, `test_setup_code` | one test per assert |
//! | [`Format::EvalPlus`] | HumanEval+ (`base_input`, `plus_input`, `atol`, `test`) | the release's checker |
//! | [`Format::EvalPlus`] | MBPP+ (`base_input`, `plus_input`, `atol`, `assertion`, no `test`) | one test per `assert` of `assertion` |
//!
//! Loading never stops at a bad record: each one is reported in [`Dataset::errors`] with its
//! file, record index and field, and the rest load. Only a file that cannot be read at all
//! is an `Err`. What loaded but is incomplete is said once per file in
//! [`Dataset::warnings`]: MBPP+ releases store no expected outputs for `plus_input` (evalplus
//! computes them by running `canonical_solution`), so those inputs are not tests here and
//! MBPP+ is scored on its `assertion` checks (the original MBPP tests) only.
//!
//! How APPS+ encodes its three kinds of problems (from its starter code): a zero-argument
//! `def f():` wraps a stdin program, called after the module runs; `class Solution:` with a
//! method is a LeetCode-style call; `def f(a, b):` is a plain call. Call arguments and results
//! that are strings holding JSON are decoded (`"\"abc\""` is the str `abc`; a string that is
//! not valid JSON stays a string), and expected results are unwrapped from their
//! one-element list.
//!
//! ```
//! use stepcoder_core::ProblemKind;
//! use stepcoder_data::{builtin, pass_at_k};
//!
//! let data = builtin();
//! assert!(data.errors.is_empty());
//! assert!(data.problems.len() >= 60);
//! let stdin_programs = data
//!     .problems
//!     .iter()
//!     .filter(|p| matches!(p.kind, ProblemKind::Stdio { .. }))
//!     .count();
//! assert!(stdin_programs > 0);
//! assert_eq!(pass_at_k(4, 2, 1), 0.5);
//! ```

mod apps;
mod apps_plus;
mod error;
mod humaneval;
mod passk;
mod records;
mod starter;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use stepcoder_core::{Problem, RecordError};

pub use error::DataError;
pub use passk::pass_at_k;

use records::{read_records, Record};

/// A data-set format; `Auto` detects it from the file's layout and keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    #[default]
    Auto,
    AppsPlus,
    Apps,
    HumanEval,
    Mbpp,
    EvalPlus,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Auto,
        Format::AppsPlus,
        Format::Apps,
        Format::HumanEval,
        Format::Mbpp,
        Format::EvalPlus,
    ];

    /// The name used on the command line and in configs.
    pub fn name(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::AppsPlus => "apps-plus",
            Format::Apps => "apps",
            Format::HumanEval => "humaneval",
            Format::Mbpp => "mbpp",
            Format::EvalPlus => "evalplus",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        Format::ALL
            .into_iter()
            .find(|f| f.name() == norm || (norm == "appsplus" && *f == Format::AppsPlus))
            .ok_or_else(|| {
                format!("unknown data format {s:?}; expected one of auto, apps-plus, apps, humaneval, mbpp, evalplus")
            })
    }
}

impl<'de> serde::Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The problems of one file, and the records that could not be loaded.
#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    pub path: PathBuf,
    /// The format the file was read as (never `Auto`).
    pub format: Format,
    pub problems: Vec<Problem>,
    pub errors: Vec<RecordError>,
    /// File-level notes about data that loaded but is not fully used (one line each, not
    /// one per record), e.g. MBPP+ plus inputs without expected outputs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Dataset {
    /// Problem counts by difficulty (`introductory`, `interview`, ...).
    pub fn by_difficulty(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for p in &self.problems {
            *m.entry(p.difficulty.to_string()).or_default() += 1;
        }
        m
    }

    /// Problem counts by kind (`stdio`, `function`, `method`, `assert`).
    pub fn by_kind(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for p in &self.problems {
            *m.entry(p.kind.label().to_string()).or_default() += 1;
        }
        m
    }

    /// Total number of unit tests.
    pub fn test_count(&self) -> usize {
        self.problems.iter().map(|p| p.tests.len()).sum()
    }
}

/// Loads a data file (or, for APPS, a folder) in the given format.
///
/// Bad records are collected in [`Dataset::errors`]; the call fails only when the input
/// cannot be read at all, is not JSON, or (with `Auto`) its format cannot be told.
pub fn load(path: impl AsRef<Path>, format: Format) -> Result<Dataset, DataError> {
    let path = path.as_ref();
    let mut problems = Vec::new();
    let mut errors = Vec::new();
    if path.is_dir() {
        if !matches!(format, Format::Auto | Format::Apps) {
            return Err(DataError::Invalid {
                path: path.to_path_buf(),
                message: format!("is a folder; only the APPS layout is a folder, not {format}"),
            });
        }
        apps::load_dir(path, &mut problems, &mut errors)?;
        return Ok(Dataset {
            path: path.to_path_buf(),
            format: Format::Apps,
            problems,
            errors,
            warnings: Vec::new(),
        });
    }
    let records = read_records(path)?;
    let format = match format {
        Format::Auto => detect(path, &records)?,
        f => f,
    };
    let file = path.display().to_string();
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = stem.split('.').next().unwrap_or("problem").to_string();
    // MBPP+ plus inputs without expected outputs: (inputs, problems having some).
    let mut unused_plus = (0usize, 0usize);
    for (index, raw) in &records {
        let map = match raw {
            Ok(m) => m,
            Err(message) => {
                errors.push(RecordError {
                    file: file.clone(),
                    record: *index,
                    field: "<record>".into(),
                    message: message.clone(),
                });
                continue;
            }
        };
        let rec = Record {
            file: &file,
            index: *index,
            map,
        };
        let parsed = match format {
            Format::AppsPlus => apps_plus::parse(&rec, &stem),
            Format::Apps => apps::parse_record(&rec, format!("{stem}/{index}")),
            Format::HumanEval => humaneval::parse_humaneval(&rec, "humaneval"),
            Format::Mbpp => humaneval::parse_mbpp(&rec),
            Format::EvalPlus => humaneval::parse_evalplus(&rec).map(|(p, unused)| {
                if unused > 0 {
                    unused_plus.0 += unused;
                    unused_plus.1 += 1;
                }
                p
            }),
            Format::Auto => unreachable!("detected above"),
        };
        match parsed {
            Ok(p) => problems.push(p),
            Err(e) => errors.push(e),
        }
    }
    let mut warnings = Vec::new();
    if unused_plus.0 > 0 {
        warnings.push(format!(
            "{file}: {} plus inputs of {} {} not used: this evalplus (MBPP+) release stores no expected outputs for them (evalplus computes them by running canonical_solution); these problems are tested with their `assertion` checks only",
            unused_plus.0,
            unused_plus.1,
            if unused_plus.1 == 1 { "problem" } else { "problems" }
        ));
    }
    Ok(Dataset {
        path: path.to_path_buf(),
        format,
        problems,
        errors,
        warnings,
    })
}

/// Tells the format from the keys of the first readable record.
fn detect(path: &Path, records: &[records::RawRecord]) -> Result<Format, DataError> {
    let Some(map) = records.iter().find_map(|(_, r)| r.as_ref().ok()) else {
        return Err(DataError::UnknownFormat {
            path: path.to_path_buf(),
            reason: "no readable record".into(),
        });
    };
    let has = |k: &str| map.contains_key(k);
    let format = if has("base_input") || has("plus_input") {
        Format::EvalPlus
    } else if has("entry_point") && has("test") {
        Format::HumanEval
    } else if has("test_list") && has("code") {
        Format::Mbpp
    } else if has("question") && has("input_output") {
        Format::Apps
    } else if has("canonical_solution") && has("inputs") && has("outputs") {
        Format::AppsPlus
    } else {
        let mut keys: Vec<_> = map.keys().map(String::as_str).collect();
        keys.truncate(12);
        return Err(DataError::UnknownFormat {
            path: path.to_path_buf(),
            reason: format!("first record has keys {keys:?}"),
        });
    };
    Ok(format)
}

/// The project's built-in problems (`datasets/builtin.json`, APPS+ format), embedded in
/// the crate: the default training data of `stepcoder train`.
pub fn builtin() -> Dataset {
    const TEXT: &str = include_str!("../builtin.json");
    let path = PathBuf::from("<builtin>");
    let mut problems = Vec::new();
    let mut errors = Vec::new();
    // The file is checked by this crate's tests; a broken copy still reports, never panics.
    let values: Vec<serde_json::Value> = serde_json::from_str(TEXT).unwrap_or_else(|e| {
        errors.push(RecordError {
            file: "<builtin>".into(),
            record: 0,
            field: "<file>".into(),
            message: format!("invalid JSON: {e}"),
        });
        Vec::new()
    });
    for (index, value) in values.iter().enumerate() {
        let Some(obj) = value.as_object() else {
            continue;
        };
        let rec = Record {
            file: "<builtin>",
            index,
            map: obj,
        };
        match apps_plus::parse(&rec, "builtin") {
            Ok(mut p) => {
                p.source = "builtin".into();
                problems.push(p);
            }
            Err(e) => errors.push(e),
        }
    }
    Dataset {
        path,
        format: Format::AppsPlus,
        problems,
        errors,
        warnings: Vec::new(),
    }
}
