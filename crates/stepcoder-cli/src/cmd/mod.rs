//! One module per subcommand group.

pub mod bench;
pub mod bench_model;
pub mod bench_sandbox;
pub mod curriculum;
pub mod data;
pub mod exec;
pub mod fgo;
pub mod generate;
