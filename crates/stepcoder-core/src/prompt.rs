//! The task prompt shared by rollouts, evaluation and SFT, so that a model is trained and
//! evaluated on exactly the same text.
//!
//! The user turn holds the instruction and the statement; the assistant turn is opened with
//! a ```` ```python ```` fence followed by the curriculum prefix (CCCS's `x_p`, less its last
//! line break: [`prompt_prefix`]), so the model continues code directly and ends it by closing
//! the fence (a stop string) or with EOS.

use serde::{Deserialize, Serialize};

use crate::{Problem, ProblemKind};

/// The fence that opens the assistant's answer; generation stops at the closing fence.
pub const CODE_FENCE_OPEN: &str = "```python\n";
/// Stop string for sampling: the closing fence.
pub const CODE_FENCE_CLOSE: &str = "```";

/// Every string that ends generated code for `kind`: the closing fence, and for call-based
/// problems (function, method, assert checks) a new top-level `if __name__`, `print(` or
/// `assert` line. HumanEval's Codex evaluation stops at such test code appended after the
/// function; the executor calls the entry point itself, so those lines can only fail or print.
///
/// Rollouts and evaluation stop sampling at these strings, and the program extraction
/// (`stepcoder_fgo::Program::extract_until`) cuts at the first one, so the trainer, the
/// evaluator and the FGO masker see the code end at the same byte.
///
/// Codex also stops at a new top-level `def` or `class`; that convention assumes the prompt
/// holds the signature and the model writes one body. Here the model writes the whole
/// program (helpers may follow the entry point, imports precede it), so those are not stops.
/// Standard-input programs get no extra stops: their top-level `print(` and
/// `if __name__ == "__main__":` are the program.
///
/// ```
/// use stepcoder_core::{prompt::stop_sequences, ProblemKind};
/// assert_eq!(stop_sequences(&ProblemKind::Stdio { entry: None }), &["```"]);
/// let f = ProblemKind::Function { name: "f".into() };
/// assert!(stop_sequences(&f).contains(&"\nprint("));
/// ```
pub fn stop_sequences(kind: &ProblemKind) -> &'static [&'static str] {
    const STDIO: &[&str] = &[CODE_FENCE_CLOSE];
    const CALL: &[&str] = &[CODE_FENCE_CLOSE, "\nif __name__", "\nprint(", "\nassert "];
    match kind {
        ProblemKind::Stdio { .. } => STDIO,
        ProblemKind::Function { .. } | ProblemKind::Method { .. } | ProblemKind::Assert { .. } => {
            CALL
        }
    }
}

/// A prompt in chat form: apply the model's chat template to `system` + `user`, open the
/// assistant turn, then append `assistant_start` verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodePrompt {
    pub system: Option<String>,
    pub user: String,
    /// Text the assistant's answer starts with: the opening fence and the given prefix.
    pub assistant_start: String,
}

/// How the program must behave, in words, for the kind of problem.
fn io_instruction(problem: &Problem) -> String {
    match &problem.kind {
        ProblemKind::Stdio { entry: Some(name) } => format!(
            "Read the input from standard input and print the answer to standard output. \
             Put the solution inside the function `{name}()`, which is called with no arguments."
        ),
        ProblemKind::Stdio { entry: None } => {
            "Read the input from standard input and print the answer to standard output.".into()
        }
        ProblemKind::Function { name } => {
            format!("Write the function `{name}`; it is called with the arguments of each test and must return the answer.")
        }
        ProblemKind::Method { class, name } => format!(
            "Write the class `{class}` with the method `{name}`; it is called as `{class}().{name}(...)` and must return the answer."
        ),
        ProblemKind::Assert {
            entry_point: Some(name),
        } => format!("Write the function `{name}`."),
        ProblemKind::Assert { entry_point: None } => "Write the code.".into(),
    }
}

/// The curriculum prefix as a prompt should end with it: without its final line break.
///
/// Code tokenizers merge a line break with the next line's indentation (SmolLM2 writes
/// `"x\n    return x"` as `x`, `\n   `, ` return`, ` x`). A prompt that ends in `"\n"` asks the
/// model to go on after a token boundary it has almost never seen. On the 40 built-in problems
/// with a CCCS prefix, SmolLM2-135M's greedy completions went on inside the prefix's block in
/// none of 40 cases with the `"\n"` in the prompt (it closed the fence or started new
/// top-level code), and in all 40 with the line break left to it (the `prefix_boundary`
/// example of `stepcoder-cli`). `prompt_prefix(prefix) + completion` is still the program.
///
/// ```
/// use stepcoder_core::prompt::prompt_prefix;
/// assert_eq!(prompt_prefix("for i in r:\n"), "for i in r:");
/// assert_eq!(prompt_prefix("x = 1\r\n\n"), "x = 1\r\n");
/// assert_eq!(prompt_prefix(""), "");
/// ```
pub fn prompt_prefix(prefix: &str) -> &str {
    prefix
        .strip_suffix("\r\n")
        .or_else(|| prefix.strip_suffix('\n'))
        .unwrap_or(prefix)
}

/// Builds the prompt for `problem` with the curriculum `prefix` (empty for none).
///
/// ```
/// use stepcoder_core::{prompt::code_prompt, Difficulty, Problem, ProblemKind, TestCase};
/// let p = Problem {
///     id: "sum".into(), source: "doc".into(), difficulty: Difficulty::Introductory,
///     statement: "Print the sum of two integers.".into(), starter_code: String::new(),
///     canonical_solution: "a, b = map(int, input().split())\nprint(a + b)\n".into(),
///     kind: ProblemKind::Stdio { entry: None },
///     tests: vec![TestCase::Stdio { input: "1 2\n".into(), expected: "3\n".into() }],
///     setup_code: String::new(), atol: None, scope: None,
/// };
/// let prompt = code_prompt(&p, "a, b = map(int, input().split())\n");
/// assert!(prompt.user.contains("Print the sum"));
/// assert_eq!(prompt.assistant_start, "```python\na, b = map(int, input().split())\n");
/// ```
pub fn code_prompt(problem: &Problem, prefix: &str) -> CodePrompt {
    let mut user = String::from("Solve the following programming task in Python 3. ");
    user.push_str(&io_instruction(problem));
    user.push_str(" Answer with one complete program in a ```python code block.\n\n");
    user.push_str(problem.statement.trim_matches('\n'));
    user.push('\n');
    CodePrompt {
        system: None,
        user,
        assistant_start: format!("{CODE_FENCE_OPEN}{prefix}"),
    }
}
