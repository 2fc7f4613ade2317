/// Errors of the PPO crate: what went wrong and where.
#[derive(Debug, thiserror::Error)]
pub enum PpoError {
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Kernel(#[from] stepcoder_kernels::KernelError),
    #[error(transparent)]
    Core(#[from] stepcoder_core::CoreError),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("JSON error in {path}: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    /// A loss, gradient or state tensor holds NaN or inf.
    #[error("non-finite value in {what}")]
    NonFinite { what: String },
    /// Saved state does not fit what it is loaded into.
    #[error("invalid state in {what}: {message}")]
    State { what: String, message: String },
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("model error: {0}")]
    Model(String),
    /// Any other error of the model crate (loading, tokenizer, shapes).
    #[error(transparent)]
    Lm(stepcoder_model::ModelError),
}

/// The optimizer and the atomic writes live in `stepcoder-model`; their errors keep this
/// crate's variants, so a caller matching [`PpoError::NonFinite`] (the trainer skips such an
/// update) or [`PpoError::State`] sees them whichever crate raised them.
impl From<stepcoder_model::ModelError> for PpoError {
    fn from(e: stepcoder_model::ModelError) -> Self {
        use stepcoder_model::ModelError as M;
        match e {
            M::Candle(e) => PpoError::Candle(e),
            M::Kernel(e) => PpoError::Kernel(e),
            M::NonFinite { what } => PpoError::NonFinite { what },
            M::State { what, message } => PpoError::State { what, message },
            M::Optimizer(message) => PpoError::Config(message),
            M::Io { path, source } => PpoError::Io {
                path: path.display().to_string(),
                source,
            },
            other => PpoError::Lm(other),
        }
    }
}

pub type Result<T> = std::result::Result<T, PpoError>;

impl PpoError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        PpoError::Io {
            path: path.display().to_string(),
            source,
        }
    }
    pub(crate) fn state(what: impl Into<String>, message: impl Into<String>) -> Self {
        PpoError::State {
            what: what.into(),
            message: message.into(),
        }
    }
}
