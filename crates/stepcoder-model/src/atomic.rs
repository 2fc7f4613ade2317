//! Atomic file writes (temp file in the same folder, fsync, rename) and the finiteness
//! checks that keep a corrupt state from ever being written. They live here, the lowest
//! crate that saves training state ([`crate::optim::AdamW::save`]); the PPO crate's
//! checkpoints call the same functions.

use std::io::Write;
use std::path::{Path, PathBuf};

use candle_core::Tensor;

use crate::{ModelError, Result};

/// The temporary sibling a file is written to before the rename.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    path.with_file_name(format!(".{name}.tmp.{}", std::process::id()))
}

/// Writes `bytes` to `path` atomically: readers see the old file or the new one, never a
/// half-written one (the rename is atomic within a file system).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(path);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ModelError::io(path, e)
    })
}

/// Saves named tensors as safetensors, atomically, after checking every value is finite.
pub fn save_tensors_atomic(
    tensors: &std::collections::HashMap<String, Tensor>,
    path: &Path,
) -> Result<()> {
    for (name, t) in tensors {
        ensure_finite(t, &format!("{} ({name})", path.display()))?;
    }
    let tmp = temp_path(path);
    candle_core::safetensors::save(tensors, &tmp)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ModelError::io(path, e)
    })
}

/// True when every value of `t` is finite (integer tensors always are).
pub fn is_finite(t: &Tensor) -> Result<bool> {
    if !t.dtype().is_float() {
        return Ok(true);
    }
    if t.elem_count() == 0 {
        return Ok(true);
    }
    let t = t.to_dtype(candle_core::DType::F32)?.flatten_all()?;
    // NaN is the only value unequal to itself; inf shows in the largest magnitude.
    let nans = t.ne(&t)?.to_dtype(candle_core::DType::F32)?.sum_all()?;
    let max = t.abs()?.max_all()?;
    Ok(nans.to_scalar::<f32>()? == 0.0 && max.to_scalar::<f32>()?.is_finite())
}

/// An error naming `what` when `t` holds a NaN or an inf.
pub fn ensure_finite(t: &Tensor, what: &str) -> Result<()> {
    if is_finite(t)? {
        Ok(())
    } else {
        Err(ModelError::NonFinite { what: what.into() })
    }
}
