use serde::{Deserialize, Serialize};

/// Errors shared by the crates that implement the core traits.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The executor itself failed (not the program under test).
    #[error("executor failure: {0}")]
    Executor(String),
    /// Saved state could not be read back.
    #[error("invalid state: {0}")]
    State(String),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// One bad input record: which record, which field, and what was wrong.
///
/// Loaders collect these and keep going, so one bad record never loses the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordError {
    /// File the record came from.
    pub file: String,
    /// 0-based index of the record in the file (line index for JSONL).
    pub record: usize,
    /// The offending field (`"<record>"` when the record as a whole is unreadable).
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: record {}: field `{}`: {}",
            self.file, self.record, self.field, self.message
        )
    }
}

impl std::error::Error for RecordError {}
