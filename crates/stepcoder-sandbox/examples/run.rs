//! Runs a Python file in the sandbox: `cargo run -p stepcoder-sandbox --example run -- prog.py [stdin-file]`.
use stepcoder_sandbox::{Sandbox, SandboxConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: run PROGRAM.py [STDIN]")?;
    let program = std::fs::read_to_string(&path)?;
    let stdin = match args.next() {
        Some(p) => std::fs::read_to_string(p)?,
        None => String::new(),
    };
    let t = std::time::Instant::now();
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    eprintln!("sandbox ready in {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let report = sandbox.run(&program, &stdin)?;
    eprintln!("ran in {:?}", t.elapsed());
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
