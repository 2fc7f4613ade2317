//! Scoring: pass@k overall and by difficulty, and the outcome mix.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use stepcoder_core::{Difficulty, OutcomeClass};
use stepcoder_data::pass_at_k;

use crate::stats::Interval;
use crate::EvalError;

/// The samples of one problem and how each ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemResult {
    pub id: String,
    pub difficulty: Difficulty,
    /// One outcome per sample, in sampling order.
    pub outcomes: Vec<OutcomeClass>,
    /// What each sample was and why it failed, in sampling order (empty when not kept), so
    /// that a surprising score can be checked by reading the programs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<SampleRecord>,
    /// Samples whose program failed to execute twice (an executor error: a full instance
    /// pool, the engine, a remote endpoint, the wall-clock safety net of a fuel budget, a
    /// panic). They are not outcomes: left out of `outcomes`, pass@k and the interval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<DroppedSample>,
}

/// A sample left out of the evaluation because the executor failed on it twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedSample {
    /// The sample's place among the problem's samples, in sampling order.
    pub index: usize,
    /// The program the executor failed to run.
    pub program: String,
    /// The executor's last error.
    pub error: String,
}

/// One evaluated sample: the program that ran and, when it failed, the first failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleRecord {
    pub outcome: OutcomeClass,
    /// The program the executor ran (prefix + extracted code).
    pub program: String,
    /// The compile error or first failing test in words; empty when it passed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub failure: String,
}

impl ProblemResult {
    pub fn new(id: impl Into<String>, difficulty: Difficulty, outcomes: Vec<OutcomeClass>) -> Self {
        ProblemResult {
            id: id.into(),
            difficulty,
            outcomes,
            samples: Vec::new(),
            dropped: Vec::new(),
        }
    }

    /// Attaches the per-sample records (their outcomes replace `outcomes`).
    pub fn with_samples(mut self, samples: Vec<SampleRecord>) -> Self {
        self.outcomes = samples.iter().map(|s| s.outcome).collect();
        self.samples = samples;
        self
    }

    /// Attaches the samples the executor failed on (see [`ProblemResult::dropped`]).
    pub fn with_dropped(mut self, dropped: Vec<DroppedSample>) -> Self {
        self.dropped = dropped;
        self
    }

    /// Whether any sample of the problem was executed (a problem whose every sample was
    /// dropped after executor errors has no pass@k and is left out of the means).
    pub fn scored(&self) -> bool {
        !self.outcomes.is_empty()
    }

    pub fn correct(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| **o == OutcomeClass::Passed)
            .count()
    }
}

/// pass@k for the problems of one difficulty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DifficultyReport {
    pub problems: usize,
    pub pass_at_k: BTreeMap<String, f64>,
}

/// What `stepcoder eval` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub problems: usize,
    pub samples_per_problem: usize,
    /// `"pass@k"` -> mean over problems of the unbiased estimate.
    pub pass_at_k: BTreeMap<String, f64>,
    pub by_difficulty: BTreeMap<String, DifficultyReport>,
    /// Outcome counts over all samples: passed, wrong_answer, runtime_error, compile_error.
    pub outcomes: BTreeMap<String, usize>,
    /// Samples whose program holds no code ([`stepcoder_core::has_code`]): the model stopped at
    /// once, closed the fence, or wrote only blank lines and comments. Counted among
    /// `outcomes` as what they ran to (a wrong answer); 0 when samples were not kept.
    #[serde(default)]
    pub no_code: usize,
    /// Program executions that failed in the executor, first tries and re-executions
    /// together (each failed program is run once more).
    #[serde(default)]
    pub executor_errors: usize,
    /// Samples left out because their program failed to execute twice (see
    /// [`ProblemResult::dropped`]): not failures, not in `outcomes` or pass@k. A problem with
    /// no executed sample left is left out of pass@k's mean and the interval.
    #[serde(default)]
    pub samples_dropped: usize,
    /// pass@1 with its 95% bootstrap interval over problems ([`EvalReport::pass1_interval`]),
    /// stored so a saved report carries its uncertainty; absent in reports written before it
    /// existed (they still load, and `pass1_interval()` recomputes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass1_ci: Option<Interval>,
    pub per_problem: Vec<ProblemResult>,
}

fn mean_pass_at_k<'a>(results: impl Iterator<Item = &'a ProblemResult>, k: usize) -> f64 {
    let (sum, n) = results
        .filter(|r| r.scored())
        .fold((0.0, 0usize), |(s, n), r| {
            (s + pass_at_k(r.outcomes.len(), r.correct(), k), n + 1)
        });
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

impl EvalReport {
    /// Scores the results. A k larger than a problem's sample count uses all its samples
    /// (see [`pass_at_k`]); ask for k <= samples for meaningful numbers.
    pub fn from_results(per_problem: Vec<ProblemResult>, ks: &[usize]) -> Self {
        let samples = per_problem
            .iter()
            .map(|r| r.outcomes.len())
            .max()
            .unwrap_or(0);
        let table = |filter: &dyn Fn(&ProblemResult) -> bool| {
            ks.iter()
                .map(|&k| {
                    (
                        format!("pass@{k}"),
                        mean_pass_at_k(per_problem.iter().filter(|r| filter(r)), k),
                    )
                })
                .collect::<BTreeMap<_, _>>()
        };
        let pass = table(&|_| true);
        let mut difficulties: Vec<Difficulty> = per_problem.iter().map(|r| r.difficulty).collect();
        difficulties.sort();
        difficulties.dedup();
        let by_difficulty = difficulties
            .into_iter()
            .map(|d| {
                (
                    d.to_string(),
                    DifficultyReport {
                        problems: per_problem.iter().filter(|r| r.difficulty == d).count(),
                        pass_at_k: table(&|r| r.difficulty == d),
                    },
                )
            })
            .collect();
        let mut outcomes: BTreeMap<String, usize> = OutcomeClass::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), 0))
            .collect();
        for o in per_problem.iter().flat_map(|r| &r.outcomes) {
            *outcomes.entry(o.as_str().to_string()).or_default() += 1;
        }
        let no_code = per_problem
            .iter()
            .flat_map(|r| &r.samples)
            .filter(|s| !stepcoder_core::has_code(&s.program))
            .count();
        let samples_dropped = per_problem.iter().map(|r| r.dropped.len()).sum();
        let mut report = EvalReport {
            problems: per_problem.len(),
            samples_per_problem: samples,
            pass_at_k: pass,
            by_difficulty,
            outcomes,
            no_code,
            executor_errors: 0,
            samples_dropped,
            pass1_ci: None,
            per_problem,
        };
        report.pass1_ci = Some(report.pass1_interval());
        report
    }

    /// Several evaluations of the same problems (e.g. one per training seed) as one report:
    /// each problem's samples are the samples of all reports, in report order. With the same
    /// samples per report, its pass@1 is the mean over reports, and its bootstrap interval
    /// over problems covers both the problem draw and the spread between reports. The pass@k
    /// of the first report are recomputed; per-sample programs are dropped.
    pub fn pooled(reports: &[EvalReport]) -> Result<EvalReport, EvalError> {
        let Some(first) = reports.first() else {
            return Err(EvalError::NoProblems);
        };
        let mut per_problem: Vec<ProblemResult> = first
            .per_problem
            .iter()
            .map(|r| ProblemResult::new(r.id.clone(), r.difficulty, r.outcomes.clone()))
            .collect();
        for (i, report) in reports.iter().enumerate().skip(1) {
            let by_id: std::collections::HashMap<&str, &ProblemResult> = report
                .per_problem
                .iter()
                .map(|r| (r.id.as_str(), r))
                .collect();
            if let Some(extra) = report
                .per_problem
                .iter()
                .find(|r| !first.per_problem.iter().any(|f| f.id == r.id))
            {
                return Err(EvalError::PoolMismatch {
                    id: extra.id.clone(),
                    present: i + 1,
                    missing: 1,
                });
            }
            for pooled in &mut per_problem {
                let r = by_id
                    .get(pooled.id.as_str())
                    .ok_or_else(|| EvalError::PoolMismatch {
                        id: pooled.id.clone(),
                        present: 1,
                        missing: i + 1,
                    })?;
                pooled.outcomes.extend_from_slice(&r.outcomes);
            }
        }
        let ks: Vec<usize> = first
            .pass_at_k
            .keys()
            .filter_map(|k| k.strip_prefix("pass@")?.parse().ok())
            .collect();
        let mut pooled = EvalReport::from_results(per_problem, &ks);
        pooled.executor_errors = reports.iter().map(|r| r.executor_errors).sum();
        pooled.samples_dropped = reports.iter().map(|r| r.samples_dropped).sum();
        Ok(pooled)
    }

    /// The report without the per-sample programs: the summary to print on a terminal.
    pub fn without_samples(&self) -> Self {
        let mut r = self.clone();
        for p in &mut r.per_problem {
            p.samples.clear();
        }
        r
    }

    /// A plain-text table: pass@k (in %) by difficulty and overall, then the outcome mix.
    pub fn table(&self) -> String {
        let ks: Vec<&String> = self.pass_at_k.keys().collect();
        let mut s = String::new();
        let _ = write!(s, "{:<14}{:>9}", "difficulty", "problems");
        for k in &ks {
            let _ = write!(s, "{k:>10}");
        }
        s.push('\n');
        let mut row = |name: &str, n: usize, table: &BTreeMap<String, f64>| {
            let _ = write!(s, "{name:<14}{n:>9}");
            for k in &ks {
                let _ = write!(s, "{:>9.1}%", 100.0 * table.get(*k).copied().unwrap_or(0.0));
            }
            s.push('\n');
        };
        for (d, r) in &self.by_difficulty {
            row(d, r.problems, &r.pass_at_k);
        }
        row("overall", self.problems, &self.pass_at_k);
        let ci = self.pass1_ci.unwrap_or_else(|| self.pass1_interval());
        let _ = writeln!(
            s,
            "\npass@1 {ci} over {} problems (bootstrap over problems)",
            self.problems
        );
        let total: usize = self.outcomes.values().sum();
        let _ = writeln!(s, "\noutcomes over {total} samples:");
        for class in OutcomeClass::ALL {
            let n = self.outcomes.get(class.as_str()).copied().unwrap_or(0);
            let pct = if total == 0 {
                0.0
            } else {
                100.0 * n as f64 / total as f64
            };
            let _ = writeln!(s, "  {:<14}{n:>7}  ({pct:.1}%)", class.as_str());
        }
        if self.no_code > 0 {
            let _ = writeln!(s, "  {} of them wrote no code", self.no_code);
        }
        if self.samples_dropped > 0 || self.executor_errors > 0 {
            let _ = writeln!(
                s,
                "  {} sample(s) left out: the executor failed on them twice (not failures; {} executor error(s) in all)",
                self.samples_dropped, self.executor_errors
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_difficulty_and_outcomes_add_up() {
        use OutcomeClass::*;
        let results = vec![
            ProblemResult::new(
                "a",
                Difficulty::Introductory,
                vec![Passed, Passed, WrongAnswer, CompileError],
            ),
            ProblemResult::new("b", Difficulty::Introductory, vec![WrongAnswer; 4]),
            ProblemResult::new(
                "c",
                Difficulty::Competition,
                vec![RuntimeError, Passed, RuntimeError, RuntimeError],
            ),
        ];
        let r = EvalReport::from_results(results, &[1, 4]);
        assert_eq!(r.samples_per_problem, 4);
        assert!((r.pass_at_k["pass@1"] - (0.5 + 0.0 + 0.25) / 3.0).abs() < 1e-12);
        assert_eq!(r.pass_at_k["pass@4"], 2.0 / 3.0);
        assert_eq!(r.by_difficulty["introductory"].problems, 2);
        assert_eq!(r.by_difficulty["competition"].pass_at_k["pass@1"], 0.25);
        assert_eq!(r.outcomes["passed"], 3);
        assert_eq!(r.outcomes["wrong_answer"], 5);
        assert_eq!(r.outcomes["runtime_error"], 3);
        assert_eq!(r.outcomes["compile_error"], 1);
        let table = r.table();
        assert!(table.contains("overall"), "{table}");
        assert!(table.contains("25.0%"), "{table}");
        assert!(table.contains("pass@1 25.0% (95% CI"), "{table}");
        let ci = r.pass1_ci.expect("from_results stores the interval");
        assert_eq!(ci, r.pass1_interval());
        assert!(ci.lo <= 0.25 && 0.25 <= ci.hi, "{ci:?}");
    }

    #[test]
    fn pooling_concatenates_samples_by_id_and_averages_pass1() {
        use OutcomeClass::*;
        let seed0 = EvalReport::from_results(
            vec![
                ProblemResult::new("a", Difficulty::Interview, vec![Passed, Passed]),
                ProblemResult::new("b", Difficulty::Interview, vec![WrongAnswer, Passed]),
            ],
            &[1],
        );
        // Same problems in another order: matched by id, not position.
        let seed1 = EvalReport::from_results(
            vec![
                ProblemResult::new("b", Difficulty::Interview, vec![CompileError; 2]),
                ProblemResult::new("a", Difficulty::Interview, vec![Passed, WrongAnswer]),
            ],
            &[1],
        );
        let pooled = EvalReport::pooled(&[seed0.clone(), seed1.clone()]).unwrap();
        assert_eq!(pooled.problems, 2);
        assert_eq!(pooled.samples_per_problem, 4);
        assert_eq!(
            pooled.per_problem[0].outcomes,
            vec![Passed, Passed, Passed, WrongAnswer]
        );
        let mean = (seed0.pass_at_k["pass@1"] + seed1.pass_at_k["pass@1"]) / 2.0;
        assert!((pooled.pass_at_k["pass@1"] - mean).abs() < 1e-12);
        assert_eq!(pooled.outcomes["compile_error"], 2);

        let other = EvalReport::from_results(
            vec![ProblemResult::new("a", Difficulty::Interview, vec![Passed])],
            &[1],
        );
        let err = EvalReport::pooled(&[seed0.clone(), other.clone()]).unwrap_err();
        assert!(
            err.to_string()
                .contains("`b` is in report 1 but not in report 2"),
            "{err}"
        );
        let err = EvalReport::pooled(&[other, seed0]).unwrap_err();
        assert!(
            err.to_string()
                .contains("`b` is in report 2 but not in report 1"),
            "{err}"
        );
        assert!(EvalReport::pooled(&[]).is_err());
    }
}
