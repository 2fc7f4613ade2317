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
    if data.problems.is_empty() {
        bail!(
            "{spec}: no usable problem ({} bad records)",
            data.errors.len()
        );
    }
    Ok(data)
}

/// Parses `1,5,10`.
pub fn parse_ks(s: &str) -> Result<Vec<usize>, String> {
    let ks = s
        .split(',')
        .map(|k| {
            k.trim()
                .parse::<usize>()
                .ok()
                .filter(|k| *k > 0)
                .ok_or_else(|| format!("`{k}` is not a positive integer (expected e.g. 1,5,10)"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if ks.is_empty() {
        return Err("no k given".into());
    }
    Ok(ks)
}
