use std::path::PathBuf;

/// Why a data file could not be read at all. Problems with single records are
/// [`stepcoder_core::RecordError`]s in [`crate::Dataset::errors`] instead.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not valid JSON or JSON Lines: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: cannot tell the data format ({reason}); pass --format apps-plus|apps|humaneval|mbpp|evalplus")]
    UnknownFormat { path: PathBuf, reason: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}
