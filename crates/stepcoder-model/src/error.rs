use std::path::{Path, PathBuf};

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {msg}")]
    Format { path: PathBuf, msg: String },
    #[error("invalid model config: {0}")]
    Config(String),
    #[error("{path}: missing weight `{name}`")]
    MissingWeight { path: PathBuf, name: String },
    #[error("weight `{name}`: expected shape {expected:?}, found {found:?}")]
    Shape {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("chat template: {0}")]
    Template(String),
    #[error("bad input: {0}")]
    Input(String),
    #[error("{0}")]
    DefaultModel(String),
    /// A fused op of `stepcoder-kernels` refused its inputs (shapes, dtypes, token ids).
    #[error(transparent)]
    Kernel(#[from] stepcoder_kernels::KernelError),
    /// An optimizer setting is out of range (betas, eps, one learning rate per group).
    #[error("invalid optimizer setting: {0}")]
    Optimizer(String),
    /// A gradient, loss or state tensor holds NaN or inf (the update or save is refused).
    #[error("non-finite value in {what}")]
    NonFinite { what: String },
    /// Saved state does not fit what it is loaded into (optimizer moments, step).
    #[error("invalid state in {what}: {message}")]
    State { what: String, message: String },
}

impl ModelError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    pub(crate) fn state(what: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError::State {
            what: what.into(),
            message: message.into(),
        }
    }
    pub(crate) fn format(path: &Path, msg: impl Into<String>) -> Self {
        ModelError::Format {
            path: path.to_path_buf(),
            msg: msg.into(),
        }
    }
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, ModelError>;
