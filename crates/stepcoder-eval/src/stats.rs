//! How sure a pass@1 is, and whether a change between two evaluations is real.
//!
//! A pass@1 on 18 or 164 problems moves by several points between two runs of the same
//! model, so a bare number cannot tell a trained checkpoint from its starting model. The
//! unit of independent variation is the *problem* (samples of one problem are correlated),
//! so every interval here resamples problems:
//!
//! - [`EvalReport::pass1_interval`]: the mean over problems of the per-problem pass@1
//!   estimate `c / n` (the unbiased pass@k estimator at k = 1), with a 95% **percentile
//!   bootstrap** interval over problems: [`BOOTSTRAP_RESAMPLES`] resamples of the problems
//!   with replacement, the 2.5% and 97.5% quantiles (linear interpolation between order
//!   statistics) of the resampled means. The bootstrap needs no normality and stays inside
//!   [0, 1], which the normal approximation does not near 0% — where small models live.
//! - [`paired_difference`]: the same problems evaluated twice (before/after), matched by id.
//!   Pairing removes the problem-difficulty variance that dominates two independent
//!   intervals. The interval is the percentile bootstrap of the mean per-problem
//!   difference; the p-value is a two-sided **sign-flip permutation test** of "no effect"
//!   (each problem's difference is as likely to have the opposite sign): exact over all
//!   `2^m` sign patterns of the `m` nonzero differences when `m <=` [`EXACT_PERMUTATION_MAX`],
//!   otherwise Monte-Carlo with [`PERMUTATION_SAMPLES`] random patterns and the `(1 + hits) /
//!   (1 + samples)` estimate, which never reports an impossible p = 0.
//!
//! Everything uses a fixed seed ([`STATS_SEED`]) and a generator defined here (SplitMix64),
//! not a library RNG whose stream may change between versions: the same reports always give
//! the same interval, so a saved report and a recomputed one agree to the bit.
//!
//! [`PairedDifference::significant`] looks at the bootstrap interval, the p-value at the
//! permutation test; on small sets they can disagree at the margin (the bootstrap is known
//! to be slightly anti-conservative with few problems), so report both.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use stepcoder_data::pass_at_k;

use crate::{EvalError, EvalReport, ProblemResult};

/// Confidence level of every interval of this module.
pub const CONFIDENCE_LEVEL: f64 = 0.95;
/// Bootstrap resamples per interval.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;
/// Up to this many nonzero differences the permutation test enumerates every sign pattern
/// (2^20 ~ 1M sums); above it, it samples [`PERMUTATION_SAMPLES`] patterns.
pub const EXACT_PERMUTATION_MAX: usize = 20;
/// Random sign patterns of the Monte-Carlo permutation test.
pub const PERMUTATION_SAMPLES: usize = 10_000;
/// Seed of the bootstrap and the Monte-Carlo permutation test.
pub const STATS_SEED: u64 = 0x5354_4550_434f_4445; // "STEPCODE"

/// A point estimate with a two-sided confidence interval (fractions, not percent).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub estimate: f64,
    pub lo: f64,
    pub hi: f64,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
}

impl Interval {
    /// Whether `x` lies inside the closed interval.
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

impl fmt::Display for Interval {
    /// `38.9% (95% CI 22.2% to 55.6%)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.1}% ({:.0}% CI {:.1}% to {:.1}%)",
            100.0 * self.estimate,
            100.0 * self.level,
            100.0 * self.lo,
            100.0 * self.hi
        )
    }
}

/// The change of pass@1 between two evaluations of the same problems.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedDifference {
    /// Problems in both reports (all of them: mismatched reports are an error).
    pub problems: usize,
    /// pass@1 of the first report.
    pub before: f64,
    /// pass@1 of the second report.
    pub after: f64,
    /// `after - before`, with the paired bootstrap interval.
    pub diff: Interval,
    /// Two-sided p-value of the sign-flip permutation test of "no change".
    pub p_value: f64,
}

impl PairedDifference {
    /// Whether the interval of the difference excludes 0.
    pub fn significant(&self) -> bool {
        self.diff.lo > 0.0 || self.diff.hi < 0.0
    }
}

impl fmt::Display for PairedDifference {
    /// `pass@1 11.1% -> 38.9%: +27.8 points, 95% CI [+11.1, +44.4], p = 0.008 (18 problems, paired)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = if self.p_value < 0.001 {
            "p < 0.001".to_string()
        } else {
            format!("p = {:.3}", self.p_value)
        };
        write!(
            f,
            "pass@1 {:.1}% -> {:.1}%: {:+.1} points, {:.0}% CI [{:+.1}, {:+.1}], {p} ({} problems, paired)",
            100.0 * self.before,
            100.0 * self.after,
            100.0 * self.diff.estimate,
            100.0 * self.diff.level,
            100.0 * self.diff.lo,
            100.0 * self.diff.hi,
            self.problems
        )
    }
}

/// The per-problem pass@1 estimate `c / n` (0 for a problem without samples).
fn pass1(r: &ProblemResult) -> f64 {
    pass_at_k(r.outcomes.len(), r.correct(), 1)
}

impl EvalReport {
    /// Mean over problems of the per-problem pass@1, with its 95% percentile-bootstrap
    /// interval over problems (see the [module docs](self)). Computed from `per_problem`, so
    /// it works on reports saved before intervals existed.
    pub fn pass1_interval(&self) -> Interval {
        let values: Vec<f64> = self
            .per_problem
            .iter()
            .filter(|r| r.scored())
            .map(pass1)
            .collect();
        mean_interval(&values)
    }
}

/// The mean of `values` with the 95% percentile-bootstrap interval ([`BOOTSTRAP_RESAMPLES`]
/// resamples, seed [`STATS_SEED`]). An empty slice gives a zero interval at 0.
pub fn mean_interval(values: &[f64]) -> Interval {
    let estimate = mean(values);
    if values.is_empty() {
        return Interval {
            estimate,
            lo: estimate,
            hi: estimate,
            level: CONFIDENCE_LEVEL,
        };
    }
    let mut rng = SplitMix64(STATS_SEED);
    let n = values.len();
    let mut means: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| (0..n).map(|_| values[rng.below(n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE_LEVEL) / 2.0;
    Interval {
        estimate,
        lo: quantile(&means, tail),
        hi: quantile(&means, 1.0 - tail),
        level: CONFIDENCE_LEVEL,
    }
}

/// Two-sided p-value of the sign-flip permutation test for "the differences are symmetric
/// around 0": the share of sign patterns whose `|sum|` is at least the observed one. Zero
/// differences do not change under a flip and are left out. Exact up to
/// [`EXACT_PERMUTATION_MAX`] nonzero differences, Monte-Carlo above. No difference at all
/// gives 1.
pub fn sign_flip_p_value(diffs: &[f64]) -> f64 {
    let nonzero: Vec<f64> = diffs.iter().copied().filter(|d| *d != 0.0).collect();
    let m = nonzero.len();
    if m == 0 {
        return 1.0;
    }
    let observed = nonzero.iter().sum::<f64>().abs();
    // Sums of the same magnitudes in another order may differ in the last bits; a pattern
    // as extreme as the observed one must count as such. Differences are in [-1, 1] and at
    // most a few thousand, so the slack is far below any real gap between sums.
    let threshold = observed - 1e-9;
    if m <= EXACT_PERMUTATION_MAX {
        let patterns = 1u64 << m;
        let hits = (0..patterns)
            .filter(|mask| {
                let s: f64 = nonzero
                    .iter()
                    .enumerate()
                    .map(|(j, d)| if (mask >> j) & 1 == 1 { -d } else { *d })
                    .sum();
                s.abs() >= threshold
            })
            .count();
        hits as f64 / patterns as f64
    } else {
        let mut rng = SplitMix64(STATS_SEED ^ 0x9e37_79b9_7f4a_7c15);
        let hits = (0..PERMUTATION_SAMPLES)
            .filter(|_| {
                let s: f64 = nonzero
                    .iter()
                    .map(|d| if rng.next_u64() >> 63 == 1 { -d } else { *d })
                    .sum();
                s.abs() >= threshold
            })
            .count();
        (1 + hits) as f64 / (1 + PERMUTATION_SAMPLES) as f64
    }
}

/// Index of each problem id, refusing a duplicate (problems are matched by id).
fn index_by_id<'a>(
    report: &'a EvalReport,
    name: &'static str,
) -> Result<HashMap<&'a str, &'a ProblemResult>, EvalError> {
    let mut map = HashMap::with_capacity(report.per_problem.len());
    for r in &report.per_problem {
        if map.insert(r.id.as_str(), r).is_some() {
            return Err(EvalError::DuplicateProblem {
                id: r.id.clone(),
                report: name,
            });
        }
    }
    Ok(map)
}

/// The change of pass@1 from `before` to `after` on the same problems, matched by id.
///
/// Fails when a problem is in one report and not the other (naming the first such id,
/// `before`'s order first), when an id repeats, or when there is no problem. The interval
/// is the paired percentile bootstrap over problems; the p-value the sign-flip permutation
/// test (see the [module docs](self)). A problem whose samples were all dropped after
/// executor errors in either report is left out of the pairs (`problems` counts the pairs).
pub fn paired_difference(
    before: &EvalReport,
    after: &EvalReport,
) -> Result<PairedDifference, EvalError> {
    let b = index_by_id(before, "before")?;
    let a = index_by_id(after, "after")?;
    let missing = |from: &EvalReport, other: &HashMap<&str, &ProblemResult>| {
        from.per_problem
            .iter()
            .find(|r| !other.contains_key(r.id.as_str()))
            .map(|r| r.id.clone())
    };
    if let Some(id) = missing(before, &a) {
        return Err(EvalError::ProblemMismatch {
            id,
            present: "before",
            missing: "after",
        });
    }
    if let Some(id) = missing(after, &b) {
        return Err(EvalError::ProblemMismatch {
            id,
            present: "after",
            missing: "before",
        });
    }
    if before.per_problem.is_empty() {
        return Err(EvalError::NoProblems);
    }
    let (mut bs, mut as_) = (Vec::new(), Vec::new());
    for r in &before.per_problem {
        // Present: checked above.
        let Some(x) = a.get(r.id.as_str()) else {
            continue;
        };
        // A problem with no executed sample on either side (every one dropped after
        // executor errors) has no pass@1 to compare: left out of the pairs.
        if r.scored() && x.scored() {
            bs.push(pass1(r));
            as_.push(pass1(x));
        }
    }
    if bs.is_empty() {
        return Err(EvalError::NoProblems);
    }
    let diffs: Vec<f64> = as_.iter().zip(&bs).map(|(a, b)| a - b).collect();
    Ok(PairedDifference {
        problems: diffs.len(),
        before: mean(&bs),
        after: mean(&as_),
        diff: mean_interval(&diffs),
        p_value: sign_flip_p_value(&diffs),
    })
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// The `q` quantile of sorted, non-empty `xs`, interpolating linearly between order
/// statistics (Hyndman & Fan type 7, numpy's default).
fn quantile(xs: &[f64], q: f64) -> f64 {
    let h = (xs.len() - 1) as f64 * q;
    let i = h.floor() as usize;
    let j = (i + 1).min(xs.len() - 1);
    xs[i] + (h - i as f64) * (xs[j] - xs[i])
}

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and fixed forever, so the intervals
/// of a report never change with a dependency update.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` by the multiply-shift map; its bias is below `n / 2^64`.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_interpolates_like_numpy() {
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&xs, 0.0), 0.0);
        assert_eq!(quantile(&xs, 1.0), 4.0);
        assert_eq!(quantile(&xs, 0.5), 2.0);
        assert!((quantile(&xs, 0.1) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn below_is_roughly_uniform() {
        let mut rng = SplitMix64(1);
        let mut counts = [0usize; 7];
        for _ in 0..70_000 {
            counts[rng.below(7)] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
    }
}
