//! Helpers shared by subcommands.

use std::path::Path;

use anyhow::{bail, Context};
use stepcoder_data::{Dataset, Format};

/// Loads a problem set: a path, or `builtin` for the embedded problems. Bad records are
/// listed on stderr and skipped; a set with no usable problem is an error.
pub fn load_problems(spec: &str, format: Format) -> anyhow::Result<Dataset> {
    let data = if spec == "builtin" {
        stepcoder_data::builtin()
    } else {
        stepcoder_data::load(Path::new(spec), format)
            .with_context(|| format!("loading problems from {spec}"))?
    };
    for e in &data.errors {
        eprintln!("warning: skipping bad record: {e}");
    }
    for w in &data.warnings {
        eprintln!("warning: {w}");
    }
    if data.problems.is_empty() {
        bail!(
            "{spec}: no usable problem ({} bad records)",
            data.errors.len()
        );
    }
    Ok(data)
}

/// Parses one k of `--k 1,5,10` (clap splits at the commas).
pub fn parse_k(s: &str) -> Result<usize, String> {
    s.trim()
        .parse::<usize>()
        .ok()
        .filter(|k| *k > 0)
        .ok_or_else(|| format!("`{s}` is not a positive integer (expected e.g. 1,5,10)"))
}
