//! A fused AdamW: one parallel pass per parameter updates weight, first and second moments in
//! place (candle-nn's AdamW runs about a dozen tensor ops per parameter and keeps its moments
//! private). The moments are exposed ([`FusedAdamW::state`]) so a trainer can checkpoint them.

use candle_core::backprop::GradStore;
use candle_core::{backend::BackendStorage, CpuStorage, InplaceOp2, Layout, Result, Tensor, Var};
use rayon::prelude::*;
use std::sync::Mutex;

/// AdamW hyper-parameters (PyTorch defaults except the learning rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            lr: 1e-4,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        }
    }
}

struct Slot {
    var: Var,
    m: Mutex<Vec<f32>>,
    v: Mutex<Vec<f32>>,
}

/// AdamW over f32 CPU `Var`s, fused; other devices/dtypes fall back to tensor ops.
pub struct FusedAdamW {
    cfg: AdamWConfig,
    step: usize,
    slots: Vec<Slot>,
}

impl std::fmt::Debug for FusedAdamW {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FusedAdamW")
            .field("cfg", &self.cfg)
            .field("step", &self.step)
            .field("params", &self.slots.len())
            .finish()
    }
}

struct Update<'a> {
    slot: &'a Slot,
    lr: f32,
    b1: f32,
    b2: f32,
    eps: f32,
    wd: f32,
    bc1: f32,
    bc2: f32,
}

impl InplaceOp2 for Update<'_> {
    fn name(&self) -> &'static str {
        "stepcoder-adamw"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<()> {
        let (CpuStorage::F32(p), CpuStorage::F32(g)) = (s1, s2) else {
            candle_core::bail!("fused AdamW needs f32 parameters and gradients");
        };
        let (Some((p0, p1)), Some((g0, g1))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            candle_core::bail!("fused AdamW needs contiguous tensors");
        };
        let p = &mut p[p0..p1];
        let g = &g[g0..g1];
        let mut m = self
            .slot
            .m
            .lock()
            .map_err(|_| candle_core::Error::Msg("poisoned".into()))?;
        let mut v = self
            .slot
            .v
            .lock()
            .map_err(|_| candle_core::Error::Msg("poisoned".into()))?;
        let (lr, b1, b2, eps, wd, bc1, bc2) = (
            self.lr, self.b1, self.b2, self.eps, self.wd, self.bc1, self.bc2,
        );
        const CHUNK: usize = 8192;
        p.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(m.par_chunks_mut(CHUNK))
            .zip(v.par_chunks_mut(CHUNK))
            .for_each(|(((p, g), m), v)| {
                for i in 0..p.len() {
                    let gi = g[i];
                    m[i] = b1 * m[i] + (1.0 - b1) * gi;
                    v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
                    let mh = m[i] / bc1;
                    let vh = v[i] / bc2;
                    p[i] = p[i] * (1.0 - lr * wd) - lr * mh / (vh.sqrt() + eps);
                }
            });
        let _ = s2.dtype();
        Ok(())
    }
}

impl FusedAdamW {
    pub fn new(vars: Vec<Var>, cfg: AdamWConfig) -> Self {
        let slots = vars
            .into_iter()
            .map(|var| {
                let n = var.elem_count();
                Slot {
                    var,
                    m: Mutex::new(vec![0.0; n]),
                    v: Mutex::new(vec![0.0; n]),
                }
            })
            .collect();
        FusedAdamW {
            cfg,
            step: 0,
            slots,
        }
    }

    pub fn set_lr(&mut self, lr: f64) {
        self.cfg.lr = lr;
    }

    /// Number of steps taken.
    pub fn steps(&self) -> usize {
        self.step
    }

    /// First and second moments per parameter, in the order given to `new`.
    pub fn state(&self) -> Vec<(Vec<f32>, Vec<f32>)> {
        self.slots
            .iter()
            .map(|s| {
                (
                    s.m.lock().map(|m| m.clone()).unwrap_or_default(),
                    s.v.lock().map(|v| v.clone()).unwrap_or_default(),
                )
            })
            .collect()
    }

    /// One update from `grads` (parameters without a gradient are left alone).
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let c = self.cfg;
        for slot in &self.slots {
            let Some(g) = grads.get(slot.var.as_tensor()) else {
                continue;
            };
            let p = slot.var.as_tensor();
            if p.device().is_cpu() && p.dtype() == candle_core::DType::F32 && p.is_contiguous() {
                let g = g.contiguous()?;
                p.inplace_op2(
                    &g,
                    &Update {
                        slot,
                        lr: c.lr as f32,
                        b1: c.beta1 as f32,
                        b2: c.beta2 as f32,
                        eps: c.eps as f32,
                        wd: c.weight_decay as f32,
                        bc1: 1.0 - (c.beta1 as f32).powi(t),
                        bc2: 1.0 - (c.beta2 as f32).powi(t),
                    },
                )?;
            } else {
                // Plain SGD-free fallback: the same rule with tensor ops.
                let dev = p.device();
                let m0 = Tensor::from_slice(
                    &slot
                        .m
                        .lock()
                        .map_err(|_| candle_core::Error::Msg("poisoned".into()))?,
                    p.shape(),
                    dev,
                )?
                .to_dtype(p.dtype())?;
                let v0 = Tensor::from_slice(
                    &slot
                        .v
                        .lock()
                        .map_err(|_| candle_core::Error::Msg("poisoned".into()))?,
                    p.shape(),
                    dev,
                )?
                .to_dtype(p.dtype())?;
                let m = ((m0 * c.beta1)? + (g * (1.0 - c.beta1))?)?;
                let v = ((v0 * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?;
                let mh = (&m / (1.0 - c.beta1.powi(t)))?;
                let vh = (&v / (1.0 - c.beta2.powi(t)))?;
                let upd = (mh / (vh.sqrt()? + c.eps)?)?;
                let newp = ((p * (1.0 - c.lr * c.weight_decay))? - (upd * c.lr)?)?;
                slot.var.set(&newp)?;
                *slot
                    .m
                    .lock()
                    .map_err(|_| candle_core::Error::Msg("poisoned".into()))? = m
                    .to_dtype(candle_core::DType::F32)?
                    .flatten_all()?
                    .to_vec1()?;
                *slot
                    .v
                    .lock()
                    .map_err(|_| candle_core::Error::Msg("poisoned".into()))? = v
                    .to_dtype(candle_core::DType::F32)?
                    .flatten_all()?
                    .to_vec1()?;
            }
        }
        Ok(())
    }

    /// Backward from `loss`, then one step.
    pub fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
        let grads = loss.backward()?;
        self.step(&grads)
    }
}

/// glibc: keep freed tensor buffers in the heap for reuse instead of returning them to the OS
/// (`mmap`/`munmap` per large tensor means a page fault per 4 KiB on every op). Process-wide;
/// call once at start in training programs. No-op on other platforms.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_TOP_PAD: i32 = -2;
        const M_MMAP_MAX: i32 = -4;
        // SAFETY: mallopt only changes allocator tuning parameters.
        unsafe {
            mallopt(M_MMAP_MAX, 0);
            mallopt(M_TRIM_THRESHOLD, i32::MAX);
            mallopt(M_TOP_PAD, 256 << 20);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use candle_nn::Optimizer;

    #[test]
    fn matches_candle_adamw_and_exposes_state() {
        let init: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin()).collect();
        let target = Tensor::from_vec(
            (0..37).map(|i| i as f32 / 37.0).collect::<Vec<_>>(),
            37,
            &Device::Cpu,
        )
        .unwrap();
        let a = Var::from_slice(&init, 37, &Device::Cpu).unwrap();
        let b = Var::from_slice(&init, 37, &Device::Cpu).unwrap();
        let cfg = AdamWConfig {
            lr: 0.05,
            ..Default::default()
        };
        let mut ours = FusedAdamW::new(vec![a.clone()], cfg);
        let params = candle_nn::ParamsAdamW {
            lr: 0.05,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        };
        let mut theirs = candle_nn::AdamW::new(vec![b.clone()], params).unwrap();
        for _ in 0..4 {
            let la = (a.as_tensor() - &target)
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap();
            ours.backward_step(&la).unwrap();
            let lb = (b.as_tensor() - &target)
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap();
            theirs.backward_step(&lb).unwrap();
        }
        let d = (a.as_tensor() - b.as_tensor())
            .unwrap()
            .abs()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(d < 1e-5, "fused vs candle AdamW differ by {d}");
        assert_eq!(ours.steps(), 4);
        let st = ours.state();
        assert_eq!(st.len(), 1);
        assert!(st[0].0.iter().any(|m| *m != 0.0) && st[0].1.iter().all(|v| *v >= 0.0));
    }
}
