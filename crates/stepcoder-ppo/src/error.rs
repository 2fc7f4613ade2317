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
    #[error(transparent)]
    Lm(#[from] stepcoder_model::ModelError),
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
