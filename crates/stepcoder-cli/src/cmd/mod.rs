//! One module per subcommand group.

pub mod curriculum;
pub mod data;
pub mod fgo;
