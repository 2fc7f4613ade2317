//! Whether a piece of generated Python holds any code at all.

/// True when `code` holds at least one line of Python that is neither blank nor a comment.
///
/// A rollout whose own part of the program (what the policy wrote, after the curriculum
/// prefix) has no code never attempted the task: [`crate::RewardFn::no_code_reward`] scores
/// it, not the wrong answer that its empty program runs to.
///
/// ```
/// use stepcoder_core::has_code;
/// assert!(!has_code(""));
/// assert!(!has_code("  \n\t\n# nothing here\n   # still nothing\n"));
/// assert!(has_code("print(7)"));
/// assert!(has_code("\n)\n"));
/// ```
pub fn has_code(code: &str) -> bool {
    code.lines().any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with('#')
    })
}
