//! The `stepcoder` binary; the commands live in the library (`stepcoder_cli`).

fn main() -> std::process::ExitCode {
    stepcoder_cli::main_entry()
}
