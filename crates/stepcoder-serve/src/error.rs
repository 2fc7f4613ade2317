use std::net::SocketAddr;

/// Failures of the service itself: starting, binding, talking to endpoints.
///
/// What a *request* did wrong is never an error of this type: the server answers it with a
/// status code and a message (see [`crate::protocol::ErrorBody`]), and a program that fails
/// its tests is an outcome in its report.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A setting of [`crate::ServeConfig`] or [`crate::RemoteConfig`] is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    /// The async runtime or a thread of the server could not be started.
    #[error("cannot start the server's {what}: {source}")]
    Start {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The sandbox the server runs programs in could not be built.
    #[error("cannot start the sandbox: {0}")]
    Sandbox(#[from] stepcoder_sandbox::SandboxError),
    /// The server stopped with an I/O error while serving.
    #[error("the server on {addr} stopped: {source}")]
    Serve {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The server thread panicked.
    #[error("the server thread panicked")]
    Panicked,
    /// A remote endpoint answered with an error that retrying cannot fix (400, 413, 500).
    #[error("{endpoint} answered {status}: {message}")]
    Rejected {
        endpoint: String,
        status: u16,
        message: String,
    },
    /// Every endpoint failed (down, overloaded, past its deadline) for every attempt.
    #[error("all {endpoints} executor endpoint(s) failed after {attempts} attempts; last errors: {errors}")]
    AllFailed {
        endpoints: usize,
        attempts: u32,
        errors: String,
    },
    /// An answer could not be read as the protocol says it should be.
    #[error("{endpoint}: unreadable answer: {message}")]
    Protocol { endpoint: String, message: String },
}

impl From<ServeError> for stepcoder_core::CoreError {
    fn from(e: ServeError) -> Self {
        stepcoder_core::CoreError::Executor(e.to_string())
    }
}
