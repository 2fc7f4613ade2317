//! A simulated learner, to see how [`StepSchedule`] moves problems through their stages.

use serde::{Deserialize, Serialize};
use stepcoder_core::{CurriculumSchedule, Problem};

use crate::{split, CurriculumError, StepSchedule};

/// SplitMix64: a tiny, fixed generator, so a seed gives the same run on every platform and
/// every version of this crate (no dependency on `rand`'s stream stability).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0), by rejection (no modulo bias).
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// Pass probability of the simulated learner: `pass_prob` with no prefix, rising linearly
/// to 1 as the prefix covers the whole canonical solution (`f` = fraction of its lines
/// given): `1 - (1 - pass_prob) * (1 - f)`.
pub fn simulated_pass_probability(pass_prob: f64, prefix_lines: usize, total_lines: usize) -> f64 {
    let f = if total_lines == 0 {
        0.0
    } else {
        prefix_lines as f64 / total_lines as f64
    };
    1.0 - (1.0 - pass_prob) * (1.0 - f.clamp(0.0, 1.0))
}

/// The stage histogram at one step of a simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Rollouts simulated so far.
    pub step: u64,
    /// Number of problems at each stage (index = stage).
    pub histogram: Vec<usize>,
    /// Stage changes so far (all problems together).
    pub advances: u64,
    /// Fraction of the rollouts so far that passed.
    pub pass_rate: f64,
}

/// Runs `steps` rollouts: each picks a problem uniformly at random, asks the schedule for
/// its plan, passes with [`simulated_pass_probability`], and records the outcome. Returns
/// the histogram at step 0 and every `max(1, steps / 10)` steps (and at the last step).
pub fn simulate(
    schedule: &mut StepSchedule,
    problems: &[Problem],
    pass_prob: f64,
    steps: u64,
    seed: u64,
) -> Result<Vec<Snapshot>, CurriculumError> {
    if !(0.0..=1.0).contains(&pass_prob) {
        return Err(CurriculumError::Config(format!(
            "pass probability must be in [0, 1], got {pass_prob}"
        )));
    }
    if problems.is_empty() {
        return Err(CurriculumError::Config("no problems to simulate".into()));
    }
    let every = (steps / 10).max(1);
    let mut rng = SplitMix64::new(seed);
    let mut advances = 0u64;
    let mut passes = 0u64;
    let snap = |s: &StepSchedule, step: u64, advances: u64, passes: u64| Snapshot {
        step,
        histogram: s.stage_histogram(),
        advances,
        pass_rate: if step == 0 {
            0.0
        } else {
            passes as f64 / step as f64
        },
    };
    let mut out = vec![snap(schedule, 0, 0, 0)];
    for step in 1..=steps {
        let p = &problems[rng.below(problems.len() as u64) as usize];
        let plan = schedule.plan(p);
        let total = split::line_count(&p.canonical_solution);
        let prob = simulated_pass_probability(pass_prob, split::line_count(&plan.prefix), total);
        let passed = rng.next_f64() < prob;
        passes += u64::from(passed);
        let before = schedule.stage_of(&p.id);
        schedule.record(p, passed);
        if schedule.stage_of(&p.id) != before {
            advances += 1;
        }
        if step % every == 0 || step == steps {
            out.push(snap(schedule, step, advances, passes));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_known_answers() {
        // Reference values of SplitMix64 from seed 0 (Vigna's C implementation).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let mut r = SplitMix64::new(42);
        for _ in 0..1000 {
            let x = r.next_f64();
            assert!((0.0..1.0).contains(&x));
            assert!(r.below(7) < 7);
        }
    }

    #[test]
    fn a_longer_prefix_makes_the_simulated_learner_pass_more_often() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(simulated_pass_probability(0.3, 0, 10), 0.3));
        assert!(close(simulated_pass_probability(0.3, 10, 10), 1.0));
        assert!(close(simulated_pass_probability(0.2, 5, 10), 0.6));
        assert!(close(simulated_pass_probability(0.3, 0, 0), 0.3));
    }
}
