use std::path::PathBuf;

/// Failures of the sandbox itself (never of the program under test: those are outcomes).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The shipped guest could not be decompressed.
    #[error("cannot decompress the embedded guest (assets/guest.wasm.zst): {0}")]
    Decompress(#[source] std::io::Error),
    /// Setting up wasmtime (engine, linker, compilation) failed.
    #[error("wasmtime setup failed while {context}: {message}")]
    Engine {
        context: &'static str,
        message: String,
    },
    /// The compiled-guest cache could not be written (the sandbox still works without it).
    #[error("cannot write the compiled-guest cache {path}: {source}")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The guest failed in a way that is not the program's fault.
    #[error("guest failure while {context}: {message}")]
    Guest {
        context: &'static str,
        message: String,
    },
    /// No instance slot came free in time (more programs at once than the pool holds): the
    /// program did not run, so this is never an outcome.
    #[error("no free sandbox instance after waiting {waited:?}: more programs at once than the instance pool holds")]
    PoolExhausted { waited: std::time::Duration },
    /// A test under a fuel budget ([`crate::TimeBudget::Fuel`], [`crate::TimeBudget::DerivedFuel`])
    /// was stopped by the wall-clock safety net before its fuel ran out: whether it would have
    /// finished depends on the machine and its load, so it is not the program's outcome.
    /// Re-run it on a less loaded machine, or drop it.
    #[error("problem {problem}{}: stopped by the wall-clock safety net ({wall:?}) before its fuel ran out: the machine is too loaded for the safety net, or the program waits (sleeps) instead of computing", test.map(|t| format!(", test {t}")).unwrap_or_default())]
    SafetyNet {
        problem: String,
        /// The test (0-based); `None` while the program was being compiled.
        test: Option<usize>,
        wall: std::time::Duration,
    },
    /// A panic inside the sandbox (a bug of the sandbox, never an outcome).
    #[error("panic inside the sandbox while {0}")]
    Panic(String),
    /// A configuration value is out of range.
    #[error("invalid sandbox configuration: {0}")]
    Config(String),
}

impl SandboxError {
    pub(crate) fn engine(context: &'static str, err: impl std::fmt::Display) -> Self {
        SandboxError::Engine {
            context,
            message: format!("{err:#}"),
        }
    }
}

impl From<SandboxError> for stepcoder_core::CoreError {
    fn from(e: SandboxError) -> Self {
        stepcoder_core::CoreError::Executor(e.to_string())
    }
}
