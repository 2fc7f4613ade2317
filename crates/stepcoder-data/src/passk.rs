//! The unbiased pass@k estimator of Chen et al. (2021).

/// Probability that at least one of `k` samples drawn without replacement from `n`
/// generated samples, `c` of them correct, is correct: `1 - C(n-c, k) / C(n, k)`,
/// computed as a product so it never overflows.
///
/// ```
/// use stepcoder_data::pass_at_k;
/// assert_eq!(pass_at_k(10, 0, 1), 0.0);
/// assert!((pass_at_k(10, 3, 1) - 0.3).abs() < 1e-12);
/// assert_eq!(pass_at_k(10, 8, 5), 1.0);
/// ```
///
/// `k` greater than `n` is clamped to `n` (the estimate with every sample).
pub fn pass_at_k(n: usize, c: usize, k: usize) -> f64 {
    assert!(c <= n, "pass_at_k: {c} correct out of {n} samples");
    if n == 0 || k == 0 {
        return 0.0;
    }
    let k = k.min(n);
    if n - c < k {
        return 1.0;
    }
    let mut all_wrong = 1.0f64;
    for i in (n - c + 1)..=n {
        all_wrong *= 1.0 - k as f64 / i as f64;
    }
    1.0 - all_wrong
}

#[cfg(test)]
mod tests {
    use super::pass_at_k;

    fn binom(n: u64, k: u64) -> f64 {
        if k > n {
            return 0.0;
        }
        (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
    }

    #[test]
    fn matches_the_closed_form() {
        for n in 1..=20u64 {
            for c in 0..=n {
                for k in 1..=n {
                    let exact = 1.0 - binom(n - c, k) / binom(n, k);
                    let got = pass_at_k(n as usize, c as usize, k as usize);
                    assert!(
                        (exact - got).abs() < 1e-9,
                        "n={n} c={c} k={k}: {exact} vs {got}"
                    );
                }
            }
        }
    }

    #[test]
    fn pass_at_1_is_the_fraction_correct() {
        assert!((pass_at_k(16, 4, 1) - 0.25).abs() < 1e-12);
    }
}
