//! AdamW whose state (moments and step) saves and loads, gradients keyed by parameter name,
//! global-norm clipping and gradient accumulation; and [`tune_allocator`] for training
//! programs.
//!
//! `candle_nn::AdamW` keeps its moments private, so exact resume needs our own, and it runs
//! about a dozen tensor ops per parameter; this update is fused (one in-place, parallel pass
//! per parameter over weight and both moments) for f32 CPU parameters. It is the one
//! optimizer of the workspace: the PPO trainer and SFT (re-exported as `stepcoder_ppo::AdamW`)
//! and the model benchmark ([`crate::bench`]) all step this one, so the benchmark measures
//! what training runs.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use candle_core::{
    backprop::GradStore, CpuStorage, DType, Device, InplaceOp2, Layout, Tensor, Var,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::atomic::{ensure_finite, save_tensors_atomic};
use crate::{ModelError, Result};

/// AdamW hyper-parameters (the learning rate comes from the schedule at each step).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdamWConfig {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Decoupled weight decay (0 is usual for RL fine-tuning).
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            beta1: 0.9,
            beta2: 0.95,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

/// Named parameters that share a learning rate (the policy, the critic).
#[derive(Debug, Clone)]
pub struct ParamGroup {
    pub name: String,
    /// `(name, var)` pairs; sorted by name on construction so the order is stable.
    pub params: Vec<(String, Var)>,
}

impl ParamGroup {
    pub fn new(name: impl Into<String>, mut params: Vec<(String, Var)>) -> Self {
        params.sort_by(|a, b| a.0.cmp(&b.0));
        ParamGroup {
            name: name.into(),
            params,
        }
    }

    /// All `Var`s of a [`candle_nn::VarMap`], by name.
    pub fn from_varmap(name: impl Into<String>, varmap: &candle_nn::VarMap) -> Result<Self> {
        let data = varmap
            .data()
            .lock()
            .map_err(|_| ModelError::state("VarMap", "lock poisoned"))?;
        let params = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        Ok(ParamGroup::new(name, params))
    }
}

fn key(group: &str, param: &str) -> String {
    format!("{group}/{param}")
}

/// Gradients by `group/param` key, detached from the graph (f32).
#[derive(Debug, Clone, Default)]
pub struct Gradients {
    pub grads: BTreeMap<String, Tensor>,
}

impl Gradients {
    /// Picks the gradients of `groups`' parameters out of a backward pass. Parameters the
    /// loss did not reach have no entry.
    pub fn from_store(store: &GradStore, groups: &[ParamGroup]) -> Result<Self> {
        let mut grads = BTreeMap::new();
        for g in groups {
            for (name, var) in &g.params {
                if let Some(t) = store.get(var.as_tensor()) {
                    grads.insert(key(&g.name, name), t.detach().to_dtype(DType::F32)?);
                }
            }
        }
        Ok(Gradients { grads })
    }

    /// Global L2 norm over every gradient.
    pub fn global_norm(&self) -> Result<f64> {
        let mut total = 0f64;
        for t in self.grads.values() {
            total += t.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
        }
        Ok(total.sqrt())
    }

    /// Scales every gradient by `s`.
    pub fn scale(&mut self, s: f64) -> Result<()> {
        for t in self.grads.values_mut() {
            *t = (&*t * s)?;
        }
        Ok(())
    }

    /// An error naming the first parameter whose gradient holds NaN or inf.
    pub fn ensure_finite(&self) -> Result<()> {
        for (k, t) in &self.grads {
            ensure_finite(t, &format!("gradient of {k}"))?;
        }
        Ok(())
    }
}

/// Clips gradients to a global L2 norm of at most `max_norm` (as `clip_grad_norm_`);
/// returns the norm before clipping. A non-finite norm is an error (skip the update).
pub fn clip_grad_norm(grads: &mut Gradients, max_norm: f64) -> Result<f64> {
    let norm = grads.global_norm()?;
    if !norm.is_finite() {
        return Err(ModelError::NonFinite {
            what: "global gradient norm".into(),
        });
    }
    if max_norm > 0.0 && norm > max_norm {
        grads.scale(max_norm / (norm + 1e-6))?;
    }
    Ok(norm)
}

/// Sums gradients over micro-batches; [`GradAccumulator::mean`] gives their average, the
/// gradient of the mean of the micro-batch losses.
#[derive(Debug, Default)]
pub struct GradAccumulator {
    sum: Gradients,
    count: usize,
}

impl GradAccumulator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, g: Gradients) -> Result<()> {
        for (k, t) in g.grads {
            let entry = match self.sum.grads.remove(&k) {
                Some(prev) => (prev + t)?,
                None => t,
            };
            self.sum.grads.insert(k, entry);
        }
        self.count += 1;
        Ok(())
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// The sum over the micro-batches added so far (the gradient of the summed losses: for
    /// micro-batch losses already divided by the whole batch's size), and a reset accumulator.
    pub fn sum(&mut self) -> Gradients {
        self.count = 0;
        std::mem::take(&mut self.sum)
    }

    /// The average over the micro-batches added so far, and a reset accumulator.
    pub fn mean(&mut self) -> Result<Gradients> {
        let mut g = std::mem::take(&mut self.sum);
        if self.count > 1 {
            g.scale(1.0 / self.count as f64)?;
        }
        self.count = 0;
        Ok(g)
    }
}

/// One parameter's first and second moments (f32, the parameter's shape).
#[derive(Debug)]
enum Moments {
    /// f32 CPU parameters: host buffers, updated in place with the weight in one pass.
    Host {
        m: Mutex<Vec<f32>>,
        v: Mutex<Vec<f32>>,
    },
    /// Other devices or dtypes: tensors on the parameter's device, updated with tensor ops.
    Tensor { m: Tensor, v: Tensor },
}

impl Moments {
    fn zeros(var: &Var) -> Result<Self> {
        Ok(if fused(var) {
            let n = var.elem_count();
            Moments::Host {
                m: Mutex::new(vec![0.0; n]),
                v: Mutex::new(vec![0.0; n]),
            }
        } else {
            let z = Tensor::zeros(var.shape(), DType::F32, var.device())?;
            Moments::Tensor { m: z.clone(), v: z }
        })
    }

    /// `(m, v)` as CPU tensors of `shape` (for saving).
    fn to_tensors(&self, shape: &candle_core::Shape) -> Result<(Tensor, Tensor)> {
        Ok(match self {
            Moments::Host { m, v } => (
                Tensor::from_slice(&lock(m)?, shape, &Device::Cpu)?,
                Tensor::from_slice(&lock(v)?, shape, &Device::Cpu)?,
            ),
            Moments::Tensor { m, v } => (m.to_device(&Device::Cpu)?, v.to_device(&Device::Cpu)?),
        })
    }

    /// Replaces the first (`first`) or second moment with `t` (same shape, checked by the
    /// caller).
    fn set(&mut self, first: bool, t: &Tensor) -> Result<()> {
        let t = t.to_dtype(DType::F32)?;
        match self {
            Moments::Host { m, v } => {
                let data: Vec<f32> = t.flatten_all()?.to_vec1()?;
                *lock(if first { m } else { v })? = data;
            }
            Moments::Tensor { m, v } => {
                let slot = if first { m } else { v };
                *slot = t.to_device(slot.device())?;
            }
        }
        Ok(())
    }
}

/// A moment buffer's lock (a panic mid-update poisons it: the state is then unusable).
fn lock(x: &Mutex<Vec<f32>>) -> candle_core::Result<MutexGuard<'_, Vec<f32>>> {
    x.lock()
        .map_err(|_| candle_core::Error::Msg("AdamW moment lock poisoned".into()))
}

/// Whether `var` takes the fused in-place update (f32, contiguous, on the CPU).
fn fused(var: &Var) -> bool {
    var.device().is_cpu() && var.dtype() == DType::F32 && var.is_contiguous()
}

/// The fused update of one parameter: weight, first and second moment in one pass over
/// memory, in place (the tensor-op version makes about a dozen full-size temporaries).
struct FusedUpdate<'a> {
    m: &'a Mutex<Vec<f32>>,
    v: &'a Mutex<Vec<f32>>,
    lr: f32,
    b1: f32,
    b2: f32,
    eps: f32,
    /// `1 - lr * weight_decay`.
    decay: f32,
    bc1: f32,
    bc2: f32,
}

impl InplaceOp2 for FusedUpdate<'_> {
    fn name(&self) -> &'static str {
        "stepcoder-adamw"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<()> {
        let (CpuStorage::F32(p), CpuStorage::F32(g)) = (s1, s2) else {
            candle_core::bail!("fused AdamW needs f32 parameters and gradients");
        };
        let (Some((p0, p1)), Some((g0, g1))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            candle_core::bail!("fused AdamW needs contiguous tensors");
        };
        let (p, g) = (&mut p[p0..p1], &g[g0..g1]);
        let (mut m, mut v) = (lock(self.m)?, lock(self.v)?);
        if p.len() != g.len() || p.len() != m.len() || p.len() != v.len() {
            candle_core::bail!(
                "fused AdamW: {} weights, {} gradients, {} and {} moments",
                p.len(),
                g.len(),
                m.len(),
                v.len()
            );
        }
        let (lr, b1, b2, eps, decay, bc1, bc2) = (
            self.lr, self.b1, self.b2, self.eps, self.decay, self.bc1, self.bc2,
        );
        const CHUNK: usize = 1 << 14;
        p.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(m.par_chunks_mut(CHUNK))
            .zip(v.par_chunks_mut(CHUNK))
            .for_each(|(((p, g), m), v)| {
                for i in 0..p.len() {
                    let gi = g[i];
                    m[i] = b1 * m[i] + (1.0 - b1) * gi;
                    v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
                    let update = (m[i] / bc1) / ((v[i] / bc2).sqrt() + eps);
                    p[i] = p[i] * decay - lr * update;
                }
            });
        Ok(())
    }
}

/// AdamW (decoupled weight decay, bias-corrected moments) over parameter groups with one
/// learning rate per group. Moments are kept in f32 whatever the parameters' dtype.
///
/// f32 CPU parameters are updated in place by one fused, parallel pass per parameter
/// (weight and both moments together); other parameters (GPU, half precision) fall back
/// to tensor ops. Either way the state saves and loads the same way ([`AdamW::save`]).
#[derive(Debug)]
pub struct AdamW {
    cfg: AdamWConfig,
    groups: Vec<ParamGroup>,
    moments: HashMap<String, Moments>,
    step: u64,
}

impl AdamW {
    pub fn new(groups: Vec<ParamGroup>, cfg: AdamWConfig) -> Result<Self> {
        if !(0.0..1.0).contains(&cfg.beta1) || !(0.0..1.0).contains(&cfg.beta2) || cfg.eps <= 0.0 {
            return Err(ModelError::Optimizer(format!(
                "AdamW needs 0 <= beta < 1 and eps > 0, got {cfg:?}"
            )));
        }
        let mut moments = HashMap::new();
        for g in &groups {
            for (name, var) in &g.params {
                if moments
                    .insert(key(&g.name, name), Moments::zeros(var)?)
                    .is_some()
                {
                    return Err(ModelError::Optimizer(format!(
                        "parameter {name} appears twice in group {}",
                        g.name
                    )));
                }
            }
        }
        Ok(AdamW {
            cfg,
            groups,
            moments,
            step: 0,
        })
    }

    pub fn config(&self) -> &AdamWConfig {
        &self.cfg
    }

    /// Number of updates taken so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }

    pub fn groups(&self) -> &[ParamGroup] {
        &self.groups
    }

    /// One update with `lrs[i]` the learning rate of group `i`. Parameters without a
    /// gradient are left alone (their moments too).
    pub fn step(&mut self, grads: &Gradients, lrs: &[f64]) -> Result<()> {
        if lrs.len() != self.groups.len() {
            return Err(ModelError::Optimizer(format!(
                "{} learning rates for {} parameter groups",
                lrs.len(),
                self.groups.len()
            )));
        }
        self.step += 1;
        let (b1, b2) = (self.cfg.beta1, self.cfg.beta2);
        let bc1 = 1.0 - b1.powi(self.step as i32);
        let bc2 = 1.0 - b2.powi(self.step as i32);
        for (g, &lr) in self.groups.iter().zip(lrs) {
            for (name, var) in &g.params {
                let k = key(&g.name, name);
                let Some(grad) = grads.grads.get(&k) else {
                    continue;
                };
                let moments = self
                    .moments
                    .get_mut(&k)
                    .ok_or_else(|| ModelError::state("AdamW", format!("no moment for {k}")))?;
                match moments {
                    Moments::Host { m, v } => {
                        let grad = grad.to_dtype(DType::F32)?.contiguous()?;
                        var.as_tensor().inplace_op2(
                            &grad,
                            &FusedUpdate {
                                m,
                                v,
                                lr: lr as f32,
                                b1: b1 as f32,
                                b2: b2 as f32,
                                eps: self.cfg.eps as f32,
                                decay: (1.0 - lr * self.cfg.weight_decay) as f32,
                                bc1: bc1 as f32,
                                bc2: bc2 as f32,
                            },
                        )?;
                    }
                    Moments::Tensor { m, v } => {
                        *m = ((&*m * b1)? + (grad * (1.0 - b1))?)?;
                        *v = ((&*v * b2)? + (grad.sqr()? * (1.0 - b2))?)?;
                        let m_hat = (&*m / bc1)?;
                        let v_hat = (&*v / bc2)?;
                        let p = var.as_tensor().to_dtype(DType::F32)?;
                        let p = (&p * (1.0 - lr * self.cfg.weight_decay))?;
                        let upd = (m_hat / (v_hat.sqrt()? + self.cfg.eps)?)?;
                        let p = (p - (upd * lr)?)?;
                        var.set(&p.to_dtype(var.dtype())?)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes moments and step as safetensors (`m/<group>/<param>`, `v/...`, `step`),
    /// atomically, refusing a state with NaN or inf.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut out: HashMap<String, Tensor> = HashMap::new();
        for g in &self.groups {
            for (name, var) in &g.params {
                let k = key(&g.name, name);
                let (m, v) = self
                    .moments
                    .get(&k)
                    .ok_or_else(|| ModelError::state("AdamW", format!("no moment for {k}")))?
                    .to_tensors(var.shape())?;
                out.insert(format!("m/{k}"), m);
                out.insert(format!("v/{k}"), v);
            }
        }
        out.insert(
            "step".into(),
            Tensor::new(&[self.step as i64], &Device::Cpu)?,
        );
        save_tensors_atomic(&out, path)
    }

    /// Restores what [`AdamW::save`] wrote; every parameter must be there with its shape.
    pub fn load(&mut self, path: &Path) -> Result<()> {
        let what = path.display().to_string();
        let mut t = candle_core::safetensors::load(path, &Device::Cpu)?;
        let step = t
            .remove("step")
            .ok_or_else(|| ModelError::state(&what, "no `step` tensor"))?
            .to_vec1::<i64>()?;
        let step = *step
            .first()
            .ok_or_else(|| ModelError::state(&what, "empty `step`"))?;
        for g in &self.groups {
            for (name, var) in &g.params {
                let k = key(&g.name, name);
                let moments = self
                    .moments
                    .get_mut(&k)
                    .ok_or_else(|| ModelError::state(&what, format!("no moment for {k}")))?;
                for (prefix, first) in [("m", true), ("v", false)] {
                    let saved = t.remove(&format!("{prefix}/{k}")).ok_or_else(|| {
                        ModelError::state(&what, format!("no moment {prefix}/{k}"))
                    })?;
                    if saved.dims() != var.dims() {
                        return Err(ModelError::state(
                            &what,
                            format!(
                                "{prefix}/{k} has shape {:?}, expected {:?}",
                                saved.dims(),
                                var.dims()
                            ),
                        ));
                    }
                    moments.set(first, &saved)?;
                }
            }
        }
        if let Some(extra) = t.keys().next() {
            return Err(ModelError::state(&what, format!("unknown tensor {extra}")));
        }
        self.step = u64::try_from(step).map_err(|_| ModelError::state(&what, "negative step"))?;
        Ok(())
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
    use candle_nn::Optimizer;

    /// PyTorch-default hyper-parameters (beta2 0.999, weight decay 0.01) on a length that is
    /// not a multiple of the fused update's chunk; the saved moments are the ones stepped.
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
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        };
        let group = ParamGroup::new("p", vec![("a".into(), a.clone())]);
        let mut ours = AdamW::new(vec![group.clone()], cfg).unwrap();
        let params = candle_nn::ParamsAdamW {
            lr: 0.05,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        };
        let mut theirs = candle_nn::AdamW::new(vec![b.clone()], params).unwrap();
        let loss = |w: &Var| {
            (w.as_tensor() - &target)
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
        };
        for _ in 0..4 {
            let store = loss(&a).backward().unwrap();
            let g = Gradients::from_store(&store, std::slice::from_ref(&group)).unwrap();
            ours.step(&g, &[0.05]).unwrap();
            theirs.backward_step(&loss(&b)).unwrap();
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
        assert_eq!(ours.step_count(), 4);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.safetensors");
        ours.save(&path).unwrap();
        let saved = candle_core::safetensors::load(&path, &Device::Cpu).unwrap();
        let m: Vec<f32> = saved["m/p/a"].to_vec1().unwrap();
        let v: Vec<f32> = saved["v/p/a"].to_vec1().unwrap();
        assert!(m.iter().any(|m| *m != 0.0) && v.iter().all(|v| *v >= 0.0));
        assert_eq!(saved["step"].to_vec1::<i64>().unwrap(), vec![4]);
    }
}
