//! Integration tests of stepcoder-model (one test binary, modules per concern).

mod common;
mod generation;
mod io;
mod optim;
mod training;
