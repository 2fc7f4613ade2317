//! Learning-rate schedules: linear warmup, then constant, linear or cosine decay.

use serde::{Deserialize, Serialize};

/// What follows the warmup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decay {
    Constant,
    Linear,
    Cosine,
}

/// `lr(step)` for the update with 0-based index `step`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LrSchedule {
    pub peak_lr: f64,
    /// Updates of linear warmup from `peak_lr / warmup_steps` to `peak_lr`.
    #[serde(default)]
    pub warmup_steps: u64,
    /// Updates after which the decay has reached `min_lr_ratio * peak_lr` (and stays).
    pub total_steps: u64,
    pub decay: Decay,
    #[serde(default)]
    pub min_lr_ratio: f64,
}

impl LrSchedule {
    pub fn constant(lr: f64) -> Self {
        LrSchedule {
            peak_lr: lr,
            warmup_steps: 0,
            total_steps: 1,
            decay: Decay::Constant,
            min_lr_ratio: 1.0,
        }
    }

    pub fn lr(&self, step: u64) -> f64 {
        if step < self.warmup_steps {
            return self.peak_lr * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let span = self.total_steps.saturating_sub(self.warmup_steps).max(1);
        let progress = ((step - self.warmup_steps) as f64 / span as f64).min(1.0);
        let min = self.peak_lr * self.min_lr_ratio;
        let shape = match self.decay {
            Decay::Constant => 1.0,
            Decay::Linear => 1.0 - progress,
            Decay::Cosine => 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
        };
        match self.decay {
            Decay::Constant => self.peak_lr,
            _ => min + (self.peak_lr - min) * shape,
        }
    }
}
