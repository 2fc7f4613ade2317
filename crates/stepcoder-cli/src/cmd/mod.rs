//! One module per subcommand group.

pub mod ablate;
pub mod bench;
pub mod bench_model;
pub mod bench_ppo;
pub mod bench_sandbox;
pub mod common;
pub mod curriculum;
pub mod data;
pub mod eval;
pub mod exec;
pub mod fgo;
pub mod generate;
pub mod serve;
pub mod sft;
pub mod train;
