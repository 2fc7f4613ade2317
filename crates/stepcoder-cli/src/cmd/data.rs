//! `stepcoder data ...` (being written).
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum DataCommand {}

pub fn run(c: DataCommand) -> anyhow::Result<()> {
    match c {}
}
