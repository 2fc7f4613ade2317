/// Everything that can go wrong while building a curriculum.
#[derive(Debug, thiserror::Error)]
pub enum CurriculumError {
    /// tree-sitter could not even be set up (a version mismatch between the two crates).
    #[error("tree-sitter-python grammar could not be loaded: {0}")]
    Grammar(String),
    /// The canonical solution does not parse, so no cut points can be extracted from it.
    #[error(
        "problem `{id}`: canonical solution has a syntax error at line {line}, column {column}"
    )]
    Syntax { id: String, line: u32, column: u32 },
    /// A published `scope` entry points outside the canonical solution.
    #[error(
        "problem `{id}`: scope entry {index} ({kind} lines {start_line}-{end_line}) is outside \
         the canonical solution's {lines} lines"
    )]
    BadScope {
        id: String,
        index: usize,
        kind: String,
        start_line: u32,
        end_line: u32,
        lines: usize,
    },
    /// A line number past the end of the text was asked for.
    #[error("line {line} is outside the text ({lines} lines)")]
    LineOutOfRange { line: u32, lines: usize },
    /// A stage that the problem does not have.
    #[error("problem `{id}`: stage {stage} does not exist (the problem has {stages} stages)")]
    NoSuchStage {
        id: String,
        stage: usize,
        stages: usize,
    },
    /// A configuration value outside its meaningful range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Saved state that does not fit this schedule.
    #[error("invalid saved state: {0}")]
    State(String),
}

impl From<CurriculumError> for stepcoder_core::CoreError {
    fn from(e: CurriculumError) -> Self {
        stepcoder_core::CoreError::State(e.to_string())
    }
}
