//! Integration tests of stepcoder-curriculum (one test binary, one module per concern).

mod data;
mod extraction;
mod sandbox;
mod schedules;
mod splits;
