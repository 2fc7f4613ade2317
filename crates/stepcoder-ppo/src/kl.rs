//! KL penalty coefficient controllers (Ziegler et al. 2019): fixed, or adapted toward a
//! target KL.

use serde::{Deserialize, Serialize};

/// The per-token KL penalty coefficient `beta` and how it changes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum KlController {
    /// A constant `beta` (0.05 in StepCoder).
    Fixed { beta: f64 },
    /// `beta *= 1 + clip(kl / target - 1, -0.2, 0.2) * n_steps / horizon` after each batch.
    Adaptive {
        beta: f64,
        target: f64,
        horizon: f64,
    },
}

impl Default for KlController {
    fn default() -> Self {
        KlController::Fixed { beta: 0.05 }
    }
}

impl KlController {
    pub fn beta(&self) -> f64 {
        match *self {
            KlController::Fixed { beta } | KlController::Adaptive { beta, .. } => beta,
        }
    }

    /// Feeds back the mean KL observed over a batch of `n_steps` samples.
    pub fn update(&mut self, observed_kl: f64, n_steps: u64) {
        if let KlController::Adaptive {
            beta,
            target,
            horizon,
        } = self
        {
            if !observed_kl.is_finite() || *target <= 0.0 || *horizon <= 0.0 {
                return;
            }
            let err = (observed_kl / *target - 1.0).clamp(-0.2, 0.2);
            *beta *= 1.0 + err * n_steps as f64 / *horizon;
        }
    }
}
