//! The stages of one problem (paper Algorithm 1, the per-sample part that needs no state).

use serde::{Deserialize, Serialize};
use stepcoder_core::{Problem, Scope};

use crate::{cut_points, split, CurriculumError};

/// `ceil(sqrt(e))`, exactly, in integers: the number of curriculum stages of a problem with
/// `e` cut points (stage 0, no prefix, included). 0 for `e = 0`, such a problem has stage 0
/// alone (see [`ProblemCurriculum::num_stages`]).
pub fn ceil_sqrt(e: usize) -> usize {
    if e == 0 {
        return 0;
    }
    // Integer square root by Newton's method, then round up.
    let mut x = e;
    let mut y = x.div_ceil(2);
    while y < x {
        x = y;
        y = (x + e / x) / 2;
    }
    // x = floor(sqrt(e))
    if x * x == e {
        x
    } else {
        x + 1
    }
}

/// The stride between the cut points of consecutive stages: `ceil(e / ceil(sqrt(e)))`
/// (0 for `e = 0`).
pub fn stride(e: usize) -> usize {
    match ceil_sqrt(e) {
        0 => 0,
        k => e.div_ceil(k),
    }
}

/// One stage of a problem, as a user reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageInfo {
    /// 0 = no prefix; the highest stage is the easiest (longest prefix).
    pub stage: usize,
    /// 1-based line of the canonical solution where the completion starts; `None` at stage 0.
    pub cut_line: Option<u32>,
    /// Lines of the canonical solution given as prefix (`cut_line - 1`, 0 at stage 0).
    pub prefix_lines: usize,
}

/// A problem's cut points and the prefixes of its stages.
///
/// Stage `c > 0` cuts at the start line of cut point number `stride * c`, counting from 0 in
/// start-line order, so the easiest stage `ceil(sqrt(E)) - 1` gives the longest prefix, and
/// the prefix is the canonical solution before that line (the block header is the first
/// line the policy writes). Stage 0 gives no prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemCurriculum {
    id: String,
    canonical: String,
    cuts: Vec<Scope>,
}

impl ProblemCurriculum {
    /// Builds it from a problem: published scope when present, else extracted.
    pub fn new(problem: &Problem) -> Result<Self, CurriculumError> {
        Ok(ProblemCurriculum {
            id: problem.id.clone(),
            canonical: problem.canonical_solution.clone(),
            cuts: cut_points(problem)?,
        })
    }

    /// Builds it from a program and its cut points (validated against the program).
    pub fn from_parts(
        id: impl Into<String>,
        canonical: impl Into<String>,
        cuts: Vec<Scope>,
    ) -> Result<Self, CurriculumError> {
        let problem = Problem {
            id: id.into(),
            source: String::new(),
            difficulty: stepcoder_core::Difficulty::Unknown,
            statement: String::new(),
            starter_code: String::new(),
            canonical_solution: canonical.into(),
            kind: stepcoder_core::ProblemKind::Assert { entry_point: None },
            tests: Vec::new(),
            setup_code: String::new(),
            atol: None,
            scope: Some(cuts),
        };
        Self::new(&problem)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The cut points, sorted by start line (the paper's `e`).
    pub fn cuts(&self) -> &[Scope] {
        &self.cuts
    }

    /// `E`: the number of cut points.
    pub fn num_cuts(&self) -> usize {
        self.cuts.len()
    }

    /// Number of stages, stage 0 included: `ceil(sqrt(E))`, and 1 (stage 0 alone) for `E = 0`.
    pub fn num_stages(&self) -> usize {
        ceil_sqrt(self.cuts.len()).max(1)
    }

    /// `ceil(E / ceil(sqrt(E)))`.
    pub fn stride(&self) -> usize {
        stride(self.cuts.len())
    }

    /// Where Algorithm 1 starts: the easiest stage, `ceil(sqrt(E)) - 1` (0 when `E = 0`).
    pub fn start_stage(&self) -> usize {
        self.num_stages() - 1
    }

    /// The cut point of `stage` (`None` for stage 0).
    pub fn cut(&self, stage: usize) -> Result<Option<&Scope>, CurriculumError> {
        self.check_stage(stage)?;
        if stage == 0 {
            return Ok(None);
        }
        // In range for every stage: stride * (ceil(sqrt E) - 1) < E (proved in the tests).
        Ok(self.cuts.get(self.stride() * stage))
    }

    /// `(prefix, rest)` of the canonical solution at `stage`; `prefix + rest` is the
    /// canonical solution byte for byte, and the prefix is empty at stage 0.
    pub fn split(&self, stage: usize) -> Result<(&str, &str), CurriculumError> {
        match self.cut(stage)? {
            None => Ok(("", self.canonical.as_str())),
            Some(c) => split::split_at_line(&self.canonical, c.start_line),
        }
    }

    /// The prefix given to the policy at `stage`.
    pub fn prefix(&self, stage: usize) -> Result<&str, CurriculumError> {
        Ok(self.split(stage)?.0)
    }

    /// The indentation the completion must start with at `stage` (that of the cut line).
    pub fn indentation(&self, stage: usize) -> Result<&str, CurriculumError> {
        match self.cut(stage)? {
            None => Ok(""),
            Some(c) => split::indentation_of(&self.canonical, c.start_line),
        }
    }

    /// Every stage, from 0 (hardest) to the easiest.
    pub fn stages(&self) -> Vec<StageInfo> {
        (0..self.num_stages())
            .map(|stage| {
                let cut_line = self.cut(stage).ok().flatten().map(|c| c.start_line);
                StageInfo {
                    stage,
                    cut_line,
                    prefix_lines: cut_line.map_or(0, |l| l as usize - 1),
                }
            })
            .collect()
    }

    fn check_stage(&self, stage: usize) -> Result<(), CurriculumError> {
        if stage < self.num_stages() {
            Ok(())
        } else {
            Err(CurriculumError::NoSuchStage {
                id: self.id.clone(),
                stage,
                stages: self.num_stages(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_sqrt_is_exact_for_large_values() {
        for k in [1usize, 2, 3, 1000, 65_535, 65_536, 4_294_967_295] {
            assert_eq!(ceil_sqrt(k * k), k);
            assert_eq!(ceil_sqrt(k * k + 1), k + 1);
            if k > 1 {
                assert_eq!(ceil_sqrt(k * k - 1), k);
            }
        }
        assert_eq!(ceil_sqrt(usize::MAX), 1usize << (usize::BITS / 2));
    }
}
