//! Running reward normalization and clipping.

use serde::{Deserialize, Serialize};

/// Running mean and variance over every value seen (Chan et al.'s batch update).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RunningMoments {
    pub count: f64,
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl RunningMoments {
    pub fn update(&mut self, xs: &[f32]) {
        let n = xs.len() as f64;
        if n == 0.0 {
            return;
        }
        let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / n;
        let m2 = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>();
        let total = self.count + n;
        let delta = mean - self.mean;
        self.mean += delta * n / total;
        self.m2 += m2 + delta * delta * self.count * n / total;
        self.count = total;
    }

    /// Population standard deviation (1 before two values were seen).
    pub fn std(&self) -> f64 {
        if self.count < 2.0 {
            1.0
        } else {
            (self.m2 / self.count).sqrt()
        }
    }
}

/// Scales rewards by the running standard deviation (and optionally centers them), then
/// clips them to `[-clip, clip]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RewardNormalizer {
    pub enabled: bool,
    pub center: bool,
    /// `None`: no clipping.
    pub clip: Option<f64>,
    pub moments: RunningMoments,
}

impl Default for RewardNormalizer {
    fn default() -> Self {
        RewardNormalizer {
            enabled: true,
            center: false,
            clip: Some(10.0),
            moments: RunningMoments::default(),
        }
    }
}

impl RewardNormalizer {
    /// Updates the running moments with `rewards`, then returns them normalized.
    pub fn normalize(&mut self, rewards: &[f32]) -> Vec<f32> {
        if !self.enabled {
            return rewards.to_vec();
        }
        self.moments.update(rewards);
        let std = self.moments.std().max(1e-8);
        let mean = if self.center { self.moments.mean } else { 0.0 };
        rewards
            .iter()
            .map(|&r| {
                let x = (r as f64 - mean) / std;
                let x = match self.clip {
                    Some(c) => x.clamp(-c, c),
                    None => x,
                };
                x as f32
            })
            .collect()
    }
}
