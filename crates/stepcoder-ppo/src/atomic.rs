//! Atomic file writes (temp file in the same folder, fsync, rename) and the finiteness
//! checks that keep a corrupt state from ever being written.
//!
//! One implementation, [`stepcoder_model::atomic`] (the optimizer there saves its state with
//! it); these return [`PpoError`] so the trainer's checkpoints report
//! [`PpoError::NonFinite`] and [`PpoError::Io`] as before.

use std::path::Path;

use candle_core::Tensor;

use crate::{PpoError, Result};

/// Writes `bytes` to `path` atomically: readers see the old file or the new one, never a
/// half-written one (the rename is atomic within a file system).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    stepcoder_model::atomic::write_atomic(path, bytes).map_err(PpoError::from)
}

/// Saves named tensors as safetensors, atomically, after checking every value is finite.
pub fn save_tensors_atomic(
    tensors: &std::collections::HashMap<String, Tensor>,
    path: &Path,
) -> Result<()> {
    stepcoder_model::atomic::save_tensors_atomic(tensors, path).map_err(PpoError::from)
}

/// True when every value of `t` is finite (integer tensors always are).
pub fn is_finite(t: &Tensor) -> Result<bool> {
    stepcoder_model::atomic::is_finite(t).map_err(PpoError::from)
}

/// An error naming `what` when `t` holds a NaN or an inf.
pub fn ensure_finite(t: &Tensor, what: &str) -> Result<()> {
    stepcoder_model::atomic::ensure_finite(t, what).map_err(PpoError::from)
}
