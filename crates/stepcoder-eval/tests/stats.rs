//! Intervals and paired differences against values computed independently here: exact
//! bootstrap distributions by enumeration or the binomial law, exact permutation p-values
//! by hand.

use stepcoder_core::{Difficulty, OutcomeClass};
use stepcoder_eval::stats::{
    mean_interval, paired_difference, sign_flip_p_value, EXACT_PERMUTATION_MAX, PERMUTATION_SAMPLES,
};
use stepcoder_eval::{EvalError, EvalReport, ProblemResult};

/// A report of problems `p0, p1, ...` where problem `i` passed `correct[i]` of `n` samples.
fn report(correct: &[usize], n: usize) -> EvalReport {
    let results = correct
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let mut outcomes = vec![OutcomeClass::Passed; c];
            outcomes.resize(n, OutcomeClass::WrongAnswer);
            ProblemResult::new(format!("p{i}"), Difficulty::Unknown, outcomes)
        })
        .collect();
    EvalReport::from_results(results, &[1])
}

/// The lower `p` quantile `inf { x : F(x) >= p }` of a discrete distribution given as
/// `(value, probability)` pairs.
fn exact_quantile(dist: &mut [(f64, f64)], p: f64) -> f64 {
    dist.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut cdf = 0.0;
    for &(x, w) in dist.iter() {
        cdf += w;
        if cdf >= p - 1e-12 {
            return x;
        }
    }
    dist.last().map_or(0.0, |d| d.0)
}

/// The bootstrap's 2.5% and 97.5% points from 10,000 resamples sit within about 1.6 per
/// mille of probability of the exact ones; allow six times that.
fn assert_percentile_bounds(lo: f64, hi: f64, dist: &mut [(f64, f64)]) {
    let (lo_min, lo_max) = (exact_quantile(dist, 0.015), exact_quantile(dist, 0.035));
    let (hi_min, hi_max) = (exact_quantile(dist, 0.965), exact_quantile(dist, 0.985));
    assert!(
        lo_min - 1e-12 <= lo && lo <= lo_max + 1e-12,
        "lo {lo} not in [{lo_min}, {lo_max}]"
    );
    assert!(
        hi_min - 1e-12 <= hi && hi <= hi_max + 1e-12,
        "hi {hi} not in [{hi_min}, {hi_max}]"
    );
}

fn binomial_pmf(n: u64, k: u64, p: f64) -> f64 {
    let choose = (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64);
    choose * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32)
}

#[test]
fn identical_problems_give_a_zero_width_interval() {
    let r = report(&[3; 12], 4);
    let ci = r.pass1_interval();
    assert_eq!(ci.estimate, 0.75);
    assert_eq!((ci.lo, ci.hi), (0.75, 0.75));
    assert_eq!(ci.level, 0.95);
    assert_eq!(r.pass1_ci, Some(ci));
}

#[test]
fn interval_matches_the_exact_bootstrap_distribution() {
    // Per-problem pass@1: 0, 0, 0, 1/4, 2/4, 4/4.
    let correct = [0, 0, 0, 1, 2, 4];
    let r = report(&correct, 4);
    let values: Vec<f64> = correct.iter().map(|&c| c as f64 / 4.0).collect();
    let ci = r.pass1_interval();
    assert!((ci.estimate - 7.0 / 24.0).abs() < 1e-12);
    assert!((ci.estimate - r.pass_at_k["pass@1"]).abs() < 1e-12);
    // All 6^6 equally likely resamples, enumerated.
    let n = values.len();
    let total = n.pow(n as u32);
    let mut dist: Vec<(f64, f64)> = (0..total)
        .map(|mut code| {
            let mut sum = 0.0;
            for _ in 0..n {
                sum += values[code % n];
                code /= n;
            }
            (sum / n as f64, 1.0 / total as f64)
        })
        .collect();
    assert_percentile_bounds(ci.lo, ci.hi, &mut dist);
    assert!(ci.lo < ci.estimate && ci.estimate < ci.hi, "{ci:?}");
}

#[test]
fn interval_on_many_problems_agrees_with_the_normal_approximation() {
    // 100 problems, half solved: mean 0.5, standard error 0.05.
    let correct: Vec<usize> = (0..100).map(|i| i % 2).collect();
    let ci = report(&correct, 1).pass1_interval();
    assert_eq!(ci.estimate, 0.5);
    assert!((ci.lo - (0.5 - 1.96 * 0.05)).abs() < 0.012, "{ci:?}");
    assert!((ci.hi - (0.5 + 1.96 * 0.05)).abs() < 0.012, "{ci:?}");
}

#[test]
fn paired_difference_finds_a_known_shift() {
    // 18 problems, 4 samples each; problems 0..6 gain 2 correct samples (+0.5 each).
    let before: Vec<usize> = (0..18).map(|i| i % 3).collect();
    let after: Vec<usize> = before
        .iter()
        .enumerate()
        .map(|(i, &c)| if i < 6 { c + 2 } else { c })
        .collect();
    let (b, a) = (report(&before, 4), report(&after, 4));
    let d = paired_difference(&b, &a).unwrap();
    assert_eq!(d.problems, 18);
    assert!((d.before - b.pass_at_k["pass@1"]).abs() < 1e-12);
    assert!((d.after - a.pass_at_k["pass@1"]).abs() < 1e-12);
    assert!((d.diff.estimate - 0.5 * 6.0 / 18.0).abs() < 1e-12);
    // Six equal nonzero differences: only all-plus and all-minus are as extreme.
    assert_eq!(d.p_value, 2.0 / 64.0);
    // The resampled mean is 0.5 * K / 18 with K ~ Binomial(18, 1/3) shifted problems.
    let mut dist: Vec<(f64, f64)> = (0..=18)
        .map(|k| (0.5 * k as f64 / 18.0, binomial_pmf(18, k, 1.0 / 3.0)))
        .collect();
    assert_percentile_bounds(d.diff.lo, d.diff.hi, &mut dist);
    assert!(d.significant(), "{d}");
    let line = d.to_string();
    assert!(
        line.starts_with("pass@1 25.0% -> 41.7%: +16.7 points, 95% CI [+"),
        "{line}"
    );
    assert!(line.ends_with("p = 0.031 (18 problems, paired)"), "{line}");

    // Reversed, everything flips sign; the test is two-sided.
    let back = paired_difference(&a, &b).unwrap();
    assert!((back.diff.estimate + d.diff.estimate).abs() < 1e-12);
    assert_eq!(back.p_value, d.p_value);
    assert!(back.diff.hi < 0.0 && back.significant());
}

#[test]
fn paired_difference_matches_problems_by_id_not_position() {
    let b = report(&[0, 1, 2, 3, 4, 0, 1], 4);
    let a = report(&[4, 1, 2, 3, 4, 1, 1], 4);
    let expected = paired_difference(&b, &a).unwrap();
    let mut shuffled = a.clone();
    shuffled.per_problem.reverse();
    assert_eq!(paired_difference(&b, &shuffled).unwrap(), expected);
    // Differences: +1 (p0) and +0.25 (p5); exactly 1 of the 4 sign patterns of the two
    // nonzero ones has a smaller |sum| (-1 + 0.25 or 1 - 0.25), so p = 2/4.
    assert_eq!(expected.p_value, 0.5);
}

#[test]
fn no_change_is_not_significant() {
    let b = report(&[1, 2, 3, 0], 4);
    let d = paired_difference(&b, &b).unwrap();
    assert_eq!(d.diff.estimate, 0.0);
    assert_eq!((d.diff.lo, d.diff.hi), (0.0, 0.0));
    assert_eq!(d.p_value, 1.0);
    assert!(!d.significant());
}

#[test]
fn mismatched_problems_are_refused_naming_the_id() {
    let b = report(&[1, 1, 1], 2);
    let mut a = report(&[1, 1, 1], 2);
    a.per_problem[1].id = "extra".into();
    let err = paired_difference(&b, &a).unwrap_err();
    assert!(
        matches!(&err, EvalError::ProblemMismatch { id, present: "before", missing: "after" } if id == "p1"),
        "{err:?}"
    );
    assert!(err.to_string().contains("`p1`"), "{err}");

    // Every problem of `before` is in `after`, which has one more.
    let small = report(&[1, 1], 2);
    let err = paired_difference(&small, &b).unwrap_err();
    assert!(
        err.to_string().contains("`p2` is in the after report"),
        "{err}"
    );

    let mut dup = b.clone();
    dup.per_problem[2].id = "p0".into();
    let err = paired_difference(&dup, &b).unwrap_err();
    assert!(
        matches!(&err, EvalError::DuplicateProblem { id, .. } if id == "p0"),
        "{err:?}"
    );

    let empty = report(&[], 1);
    assert!(matches!(
        paired_difference(&empty, &empty),
        Err(EvalError::NoProblems)
    ));
}

#[test]
fn exact_permutation_p_values() {
    // Five problems all improving by one: 2 of 32 sign patterns reach |sum| = 5.
    let b = report(&[0; 5], 1);
    let a = report(&[1; 5], 1);
    assert_eq!(paired_difference(&b, &a).unwrap().p_value, 0.0625);
    // +1 +1 +1 -1: |sum| >= 2 for 10 of the 16 patterns (sums -4, -2 x4, 0 x6, 2 x4, 4).
    assert_eq!(sign_flip_p_value(&[1.0, 1.0, 1.0, -1.0]), 10.0 / 16.0);
    // Zeros do not count as patterns: same as three differences of +1, -1, +1 (p = 1).
    assert_eq!(sign_flip_p_value(&[1.0, 0.0, -1.0, 0.0, 1.0]), 1.0);
    assert_eq!(sign_flip_p_value(&[]), 1.0);
    // The largest exact case still enumerates (2 of 2^20 patterns).
    let ones = vec![1.0; EXACT_PERMUTATION_MAX];
    assert_eq!(
        sign_flip_p_value(&ones),
        2.0 / (1u64 << EXACT_PERMUTATION_MAX) as f64
    );
}

#[test]
fn monte_carlo_p_value_approximates_the_exact_one() {
    // 25 nonzero differences, 17 up and 8 down: |sum| = 9. Under the null the number of
    // plus signs K ~ Binomial(25, 1/2) and |2K - 25| >= 9 iff K >= 17 or K <= 8.
    let mut diffs = vec![1.0; 17];
    diffs.extend([-1.0; 8]);
    let exact: f64 = (0..=25u64)
        .filter(|k| *k >= 17 || *k <= 8)
        .map(|k| binomial_pmf(25, k, 0.5))
        .sum();
    let p = sign_flip_p_value(&diffs);
    assert!((p - exact).abs() < 0.01, "Monte-Carlo {p} vs exact {exact}");
    assert_eq!(sign_flip_p_value(&diffs), p, "fixed seed");
    // Far beyond anything sampled: the estimate is 1 / (samples + 1), never 0.
    let p = sign_flip_p_value(&[1.0; 40]);
    assert_eq!(p, 1.0 / (PERMUTATION_SAMPLES + 1) as f64);
}

#[test]
fn mean_interval_of_nothing_is_zero() {
    let ci = mean_interval(&[]);
    assert_eq!((ci.estimate, ci.lo, ci.hi), (0.0, 0.0, 0.0));
}

#[test]
fn reports_without_an_interval_still_load() {
    let r = report(&[0, 1, 2, 1], 2);
    let mut json = serde_json::to_value(&r).unwrap();
    assert!(json["pass1_ci"]["hi"].is_number(), "stored: {json}");
    json.as_object_mut().unwrap().remove("pass1_ci");
    let old: EvalReport = serde_json::from_value(json).unwrap();
    assert_eq!(old.pass1_ci, None);
    assert_eq!(Some(old.pass1_interval()), r.pass1_ci);
    assert!(
        old.table().contains("pass@1 50.0% (95% CI"),
        "{}",
        old.table()
    );
}
