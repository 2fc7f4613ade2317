//! Where generated code ends is decided once (`stepcoder_core::prompt::stop_sequences`) and
//! applied the same way by the trainer's rollouts (`stepcoder_ppo::rollout_program`), the
//! evaluator (`stepcoder_eval::program_of`) and the FGO masker (the span's `stops`): for a
//! call-based problem, test code the model appends after the function is cut by all three;
//! for a standard-input program, a top-level `print(` is the program and is kept by all three.

use stepcoder::core::prompt::stop_sequences;
use stepcoder::core::{CompletionSpan, Executor, Problem, ProblemKind};
use stepcoder_fgo::{CoverageMask, FenceMode};
use stepcoder_sandbox::{Sandbox, SandboxConfig};

fn first_of(problems: &[Problem], kind: fn(&ProblemKind) -> bool) -> &Problem {
    problems
        .iter()
        .find(|p| kind(&p.kind))
        .expect("a built-in problem of each kind")
}

/// The three programs (rollout, evaluation, masker) for `completion`, which must agree.
fn programs(problem: &Problem, completion: &str, sandbox: &Sandbox) -> String {
    let rollout = stepcoder_ppo::rollout_program(problem, "", completion, FenceMode::Continuation);
    let eval = stepcoder_eval::program_of(problem, "", completion);
    let offsets: Vec<(usize, usize)> = (0..completion.len()).map(|i| (i, i + 1)).collect();
    let span = CompletionSpan {
        text: completion,
        token_offsets: &offsets,
        prefix: "",
        stops: stop_sequences(&problem.kind),
    };
    let report = sandbox.execute(&rollout, problem).unwrap();
    let masked = CoverageMask::default().explain(&span, &report).unwrap();
    assert_eq!(rollout, eval, "rollout and evaluation cut alike");
    assert_eq!(
        rollout,
        masked.program.text(),
        "rollout and masker cut alike"
    );
    rollout
}

#[test]
fn rollouts_evaluation_and_masker_end_the_code_at_the_same_stop() {
    let problems = stepcoder::data::builtin().problems;
    let sandbox = Sandbox::new(SandboxConfig::default()).unwrap();

    // A function problem: the solution, then test code that would fail if it ran.
    let call = first_of(&problems, |k| matches!(k, ProblemKind::Function { .. }));
    let solution = call.canonical_solution.trim_end();
    let completion = format!("{solution}\nprint(undefined_name)\n```\nDone.");
    let program = programs(call, &completion, &sandbox);
    assert_eq!(program, solution, "cut before the appended print(");
    assert!(sandbox.execute(&program, call).unwrap().passed());
    let uncut = format!("{solution}\nprint(undefined_name)\n");
    assert!(
        !sandbox.execute(&uncut, call).unwrap().passed(),
        "the appended line is what the stop keeps out"
    );
    let completion = format!("{solution}\n\nif __name__ == '__main__':\n    assert False\n");
    assert_eq!(
        programs(call, &completion, &sandbox),
        format!("{solution}\n")
    );

    // A standard-input problem: its top-level print( is the program.
    let stdio = first_of(&problems, |k| matches!(k, ProblemKind::Stdio { .. }));
    let solution = stdio.canonical_solution.trim_end();
    let completion = format!("{solution}\nprint(end='')\n```\nThis prints the answer.");
    let program = programs(stdio, &completion, &sandbox);
    assert_eq!(program, format!("{solution}\nprint(end='')\n"));
    assert!(sandbox.execute(&program, stdio).unwrap().passed());
}
