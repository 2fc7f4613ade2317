//! The shipped guest: a WASI component with a pre-initialized CPython running
//! `guest/harness.py` (and `guest/sandbox_threading.py`), built by `guest/build.sh` and embedded zstd-compressed.
//!
//! Cranelift compiles it once per machine; the compiled artifact lives in a user cache
//! directory under a name made of the wasm's sha256 and the engine's compatibility hash, so
//! a new guest or a different wasmtime/engine setting never loads a stale artifact.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

use crate::SandboxError;

/// The guest component, compressed with zstd -19.
pub static GUEST_WASM_ZST: &[u8] = include_bytes!("../assets/guest.wasm.zst");
/// `sources <sha256>`, `wasm <sha256>` and the componentize-py version it was built with.
pub static GUEST_MANIFEST: &str = include_str!("../assets/guest.sha256");
/// The guest's sources, in the order their hash covers them (paths relative to `guest/`).
pub const GUEST_SOURCES: [&str; 4] = [
    "build.sh",
    "harness.py",
    "sandbox_threading.py",
    "wit/harness.wit",
];

/// A value of the manifest (`sources`, `wasm`, `componentize-py`).
pub fn manifest_value(key: &str) -> Option<&'static str> {
    GUEST_MANIFEST.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then_some(v.trim())
    })
}

/// sha256 over `"<path>\0<bytes>\0"` of each guest source, as `build.sh` records it.
pub fn guest_sources_sha256(guest_dir: &Path) -> std::io::Result<String> {
    let mut h = Sha256::new();
    for rel in GUEST_SOURCES {
        let bytes = std::fs::read(guest_dir.join(rel))?;
        h.update(rel.as_bytes());
        h.update([0]);
        h.update(&bytes);
        h.update([0]);
    }
    Ok(hex(&h.finalize()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The decompressed guest component.
pub fn guest_wasm() -> Result<Vec<u8>, SandboxError> {
    zstd::stream::decode_all(GUEST_WASM_ZST).map_err(SandboxError::Decompress)
}

/// Where compiled guests are cached: `$STEPCODER_CACHE_DIR`, else `$XDG_CACHE_HOME/stepcoder`,
/// else `~/.cache/stepcoder`, else the temp dir.
pub fn default_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("STEPCODER_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("stepcoder");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".cache").join("stepcoder");
    }
    std::env::temp_dir().join("stepcoder-cache")
}

/// Cache file name for this guest under this engine's settings.
pub(crate) fn cache_file(dir: &Path, engine: &Engine, wasm: &[u8]) -> PathBuf {
    let sha = hex(&Sha256::digest(wasm));
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    dir.join(format!(
        "guest-{}-{:016x}.cwasm",
        &sha[..16],
        hasher.finish()
    ))
}

/// Loads the compiled guest from the cache, compiling (and caching) it when needed.
/// A cache that cannot be written only costs the compile; it is not an error.
pub(crate) fn load_component(
    engine: &Engine,
    cache_dir: Option<&Path>,
) -> Result<Component, SandboxError> {
    let wasm = guest_wasm()?;
    let Some(dir) = cache_dir else {
        return Component::new(engine, &wasm).map_err(|e| SandboxError::engine("compiling", e));
    };
    let path = cache_file(dir, engine, &wasm);
    if path.is_file() {
        // SAFETY: the file is one we wrote with `precompile_component` for an engine with the
        // same compatibility hash (it is in the name); wasmtime re-checks the header and
        // rejects incompatible artifacts, in which case we recompile below.
        if let Ok(c) = unsafe { Component::deserialize_file(engine, &path) } {
            return Ok(c);
        }
    }
    let bytes = engine
        .precompile_component(&wasm)
        .map_err(|e| SandboxError::engine("compiling the guest", e))?;
    if write_atomically(dir, &path, &bytes).is_ok() {
        // SAFETY: as above: the file holds an artifact of this engine (ours, or another
        // thread's or process's written the same way).
        if let Ok(c) = unsafe { Component::deserialize_file(engine, &path) } {
            return Ok(c);
        }
    }
    // SAFETY: the bytes come from `precompile_component` of this very engine.
    unsafe { Component::deserialize(engine, &bytes) }
        .map_err(|e| SandboxError::engine("loading the compiled guest", e))
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), SandboxError> {
    let err = |source| SandboxError::Cache {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    // A name of its own per writer: threads of one process compiling at once once shared
    // `tmp<pid>`, so one renamed the file while another had just truncated it, and the
    // first then mapped an empty artifact.
    static WRITERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}
