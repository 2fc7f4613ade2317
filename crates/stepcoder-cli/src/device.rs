//! Where the model runs (`--device cpu|cuda[:N]`, `[run] device`) and in which dtype
//! (`--precision auto|f32|bf16`, `[run] precision`).
//!
//! CUDA is behind the `cuda` feature of this crate (off by default, so a plain build and CI
//! need no CUDA). Asking for `cuda` from a build without it is an error that says how to get
//! it; a CUDA build on a machine without a usable GPU warns and runs on the CPU.
//!
//! ```
//! use stepcoder_cli::device::{DeviceSpec, Precision};
//!
//! assert_eq!("cuda:1".parse::<DeviceSpec>().unwrap(), DeviceSpec::Cuda(1));
//! assert_eq!("cuda".parse::<DeviceSpec>().unwrap().to_string(), "cuda:0");
//! assert!("gpu".parse::<DeviceSpec>().is_err());
//! // The CPU always computes in f32 under `auto`.
//! let cpu = stepcoder_cli::device::Selected::cpu();
//! assert_eq!(Precision::Auto.compute_dtype(&cpu.device).unwrap(), candle_core::DType::F32);
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use anyhow::bail;
use candle_core::{DType, Device};
use serde::{Deserialize, Serialize};

/// What a build without the `cuda` feature answers to `--device cuda`.
pub const NO_CUDA_FEATURE: &str = "this stepcoder was built without the `cuda` feature; rebuild \
     with `--features cuda` (e.g. `cargo build --release -p stepcoder-cli --features cuda`, or \
     scripts/build-cuda.sh on a machine without CUDA installed; see README: Training on a GPU), \
     or use --device cpu";

/// A device as the user names it: `cpu`, `cuda` (= `cuda:0`) or `cuda:N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DeviceSpec {
    #[default]
    Cpu,
    /// A CUDA GPU by ordinal.
    Cuda(usize),
}

impl FromStr for DeviceSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || format!("`{s}` is not a device: expected cpu, cuda or cuda:N (N = 0, 1, ...)");
        match t.as_str() {
            "cpu" => Ok(DeviceSpec::Cpu),
            "cuda" => Ok(DeviceSpec::Cuda(0)),
            _ => t
                .strip_prefix("cuda:")
                .and_then(|n| n.parse::<usize>().ok())
                .map(DeviceSpec::Cuda)
                .ok_or_else(bad),
        }
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Cpu => f.write_str("cpu"),
            DeviceSpec::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

impl TryFrom<String> for DeviceSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<DeviceSpec> for String {
    fn from(d: DeviceSpec) -> String {
        d.to_string()
    }
}

/// The dtype the model computes in. Master weights and optimizer state are f32 in every case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// bf16 on a GPU (mixed precision), f32 on the CPU.
    #[default]
    Auto,
    /// Everything f32.
    F32,
    /// Sampling and the forward in bf16 over f32 master weights (GPU only: candle's CPU
    /// matmul has no bf16).
    Bf16,
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Precision::Auto => "auto",
            Precision::F32 => "f32",
            Precision::Bf16 => "bf16",
        })
    }
}

impl Precision {
    /// The compute dtype on `device`.
    pub fn compute_dtype(self, device: &Device) -> anyhow::Result<DType> {
        Ok(match (self, device.is_cpu()) {
            (Precision::F32, _) | (Precision::Auto, true) => DType::F32,
            (Precision::Auto, false) | (Precision::Bf16, false) => DType::BF16,
            (Precision::Bf16, true) => bail!(
                "precision bf16 needs a GPU (candle's CPU matmul has no bf16); use \
                 precision auto or f32 on the CPU"
            ),
        })
    }
}

/// A resolved device and the dtype the model computes in there.
#[derive(Debug, Clone)]
pub struct Selected {
    pub device: Device,
    /// What was asked for (`cuda:0` that fell back to the CPU says `cuda:0` here).
    pub requested: DeviceSpec,
    pub compute: DType,
}

impl Selected {
    /// The CPU in f32 (the default of every command).
    pub fn cpu() -> Self {
        Selected {
            device: Device::Cpu,
            requested: DeviceSpec::Cpu,
            compute: DType::F32,
        }
    }

    /// Whether the model runs on a GPU.
    pub fn is_cuda(&self) -> bool {
        self.device.is_cuda()
    }

    /// Options to load a model here: f32 master weights (compute dtype set after loading)
    /// when `trainable`; inference-only models are stored in the compute dtype.
    pub fn load_options(&self, trainable: bool) -> stepcoder_model::LoadOptions {
        stepcoder_model::LoadOptions {
            dtype: if trainable { DType::F32 } else { self.compute },
            device: self.device.clone(),
            trainable,
        }
    }

    /// Loads a model here ([`Selected::load_options`]); a trainable one computes in the
    /// compute dtype over its f32 weights.
    pub fn load_model(
        &self,
        spec: &str,
        trainable: bool,
    ) -> anyhow::Result<stepcoder_model::LoadedModel> {
        let mut loaded = stepcoder_model::load(Some(spec), &self.load_options(trainable))?;
        loaded.model.set_compute_dtype(self.compute)?;
        Ok(loaded)
    }

    /// One line for the log: `cuda:0, bf16 forward over f32 master weights`.
    pub fn describe(&self) -> String {
        let place = match (&self.device, self.requested) {
            (Device::Cpu, DeviceSpec::Cuda(n)) => format!("cpu (fallback from cuda:{n})"),
            (Device::Cpu, _) => "cpu".to_string(),
            (_, spec) => spec.to_string(),
        };
        let dtype = match self.compute {
            DType::F32 => "f32".to_string(),
            d => format!("{} forward over f32 master weights", d.as_str()),
        };
        format!("{place}, {dtype}")
    }
}

/// The device for `spec`: the CPU; a CUDA GPU; on a CUDA build without a usable GPU, the CPU
/// after a warning on stderr. A build without the `cuda` feature refuses `cuda` (an error
/// that says how to rebuild): falling back there would hide a wrong binary.
pub fn resolve(spec: DeviceSpec) -> anyhow::Result<Device> {
    match spec {
        DeviceSpec::Cpu => Ok(Device::Cpu),
        DeviceSpec::Cuda(n) if !cfg!(feature = "cuda") => {
            bail!("--device cuda:{n}: {NO_CUDA_FEATURE}")
        }
        DeviceSpec::Cuda(n) => match Device::new_cuda(n) {
            Ok(d) => Ok(d),
            Err(e) => {
                let msg = format!(
                    "warning: --device cuda:{n}: no usable CUDA GPU ({}); falling back to the \
                     CPU (f32). Check `nvidia-smi`, the driver (libcuda.so.1) and the CUDA 13 \
                     runtime libraries on LD_LIBRARY_PATH.",
                    first_line(&e.to_string())
                );
                eprintln!("{msg}");
                Ok(Device::Cpu)
            }
        },
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim()
}

/// [`resolve`], then the compute dtype there. A GPU that fell back to the CPU computes in
/// f32 whatever `precision` says (bf16 is for GPUs), so one config runs on both.
pub fn select(spec: DeviceSpec, precision: Precision) -> anyhow::Result<Selected> {
    let device = resolve(spec)?;
    let precision = if device.is_cpu() && spec != DeviceSpec::Cpu {
        Precision::F32
    } else {
        precision
    };
    let compute = precision.compute_dtype(&device)?;
    Ok(Selected {
        device,
        requested: spec,
        compute,
    })
}

/// `--device` and `--precision` as given on the command line (global flags): they override
/// `[run] device` and `[run] precision` of any config, including a resumed run's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    pub device: Option<DeviceSpec>,
    pub precision: Option<Precision>,
}

static OVERRIDES: OnceLock<Overrides> = OnceLock::new();

/// Records the command line's flags (once, at startup).
pub fn set_overrides(o: Overrides) {
    let _ = OVERRIDES.set(o);
}

/// The command line's flags (none when not set, e.g. in library use).
pub fn overrides() -> Overrides {
    OVERRIDES.get().copied().unwrap_or_default()
}

/// The device and precision of a command without a config file (`eval`, `generate`,
/// `bench`): the command line's flags, else the CPU in f32.
pub fn select_from_flags() -> anyhow::Result<Selected> {
    let o = overrides();
    let spec = o.device.unwrap_or_default();
    if spec == DeviceSpec::Cpu && o.precision.is_none_or(|p| p != Precision::Bf16) {
        return Ok(Selected::cpu());
    }
    let s = select(spec, o.precision.unwrap_or_default())?;
    eprintln!("device: {}", s.describe());
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print() {
        for (text, spec) in [
            ("cpu", DeviceSpec::Cpu),
            ("CPU", DeviceSpec::Cpu),
            ("cuda", DeviceSpec::Cuda(0)),
            ("cuda:0", DeviceSpec::Cuda(0)),
            (" cuda:3 ", DeviceSpec::Cuda(3)),
        ] {
            assert_eq!(text.parse::<DeviceSpec>().unwrap(), spec, "{text}");
        }
        for bad in ["", "gpu", "cuda:", "cuda:x", "cuda:-1", "metal"] {
            let e = bad.parse::<DeviceSpec>().unwrap_err();
            assert!(e.contains("cpu, cuda or cuda:N"), "{bad}: {e}");
        }
        assert_eq!(DeviceSpec::Cuda(2).to_string(), "cuda:2");
        let json = serde_json::to_string(&DeviceSpec::Cuda(1)).unwrap();
        assert_eq!(json, "\"cuda:1\"");
        assert_eq!(
            serde_json::from_str::<DeviceSpec>(&json).unwrap(),
            DeviceSpec::Cuda(1)
        );
        assert!(serde_json::from_str::<DeviceSpec>("\"tpu\"").is_err());
    }

    #[test]
    fn precision_on_the_cpu() {
        let cpu = Device::Cpu;
        assert_eq!(Precision::Auto.compute_dtype(&cpu).unwrap(), DType::F32);
        assert_eq!(Precision::F32.compute_dtype(&cpu).unwrap(), DType::F32);
        let e = Precision::Bf16.compute_dtype(&cpu).unwrap_err().to_string();
        assert!(e.contains("needs a GPU"), "{e}");
        let s = select(DeviceSpec::Cpu, Precision::Auto).unwrap();
        assert!(s.device.is_cpu() && s.compute == DType::F32);
        assert_eq!(s.describe(), "cpu, f32");
        let o = s.load_options(false);
        assert_eq!((o.dtype, o.trainable), (DType::F32, false));
    }

    /// Without the `cuda` feature, `cuda` is refused with the way to get it; with it and no
    /// GPU (this machine), the CPU after a warning, in f32 whatever the precision.
    #[test]
    fn cuda_without_the_feature_or_a_gpu() {
        let r = select(DeviceSpec::Cuda(0), Precision::Bf16);
        if cfg!(feature = "cuda") {
            if let Ok(s) = r {
                if s.device.is_cpu() {
                    assert_eq!(s.compute, DType::F32);
                    assert!(s.describe().contains("fallback from cuda:0"));
                }
            }
        } else {
            let e = format!("{:#}", r.unwrap_err());
            assert!(e.contains("without the `cuda` feature"), "{e}");
            assert!(e.contains("--features cuda"), "{e}");
            assert!(e.contains("Training on a GPU"), "{e}");
        }
    }
}
