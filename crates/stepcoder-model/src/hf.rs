//! Hugging Face folders: loading (config.json, safetensors single or sharded, tokenizer files,
//! generation_config.json) and saving in a layout `transformers` loads.

use crate::config::Config;
use crate::model::{CausalLm, Weights};
use crate::tokenizer::ModelTokenizer;
use crate::{ModelError, Result};
use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Sampling defaults from `generation_config.json` (all optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerationDefaults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_new_tokens: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub do_sample: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eos_token_id: Option<crate::config::TokenIds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bos_token_id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pad_token_id: Option<u32>,
}

/// Read every weight of a folder: `model.safetensors`, a sharded
/// `model.safetensors.index.json`, or else all `*.safetensors` files in it.
pub fn load_safetensors_dir(dir: &Path) -> Result<Weights> {
    let single = dir.join("model.safetensors");
    let index = dir.join("model.safetensors.index.json");
    let files: Vec<PathBuf> = if single.is_file() {
        vec![single]
    } else if index.is_file() {
        let text = std::fs::read_to_string(&index).map_err(|e| ModelError::io(&index, e))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| ModelError::format(&index, format!("bad JSON: {e}")))?;
        let map = v
            .get("weight_map")
            .and_then(|m| m.as_object())
            .ok_or_else(|| ModelError::format(&index, "no `weight_map` object"))?;
        let names: BTreeSet<String> = map
            .values()
            .filter_map(|f| f.as_str().map(String::from))
            .collect();
        names.into_iter().map(|n| dir.join(n)).collect()
    } else {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| ModelError::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
            .collect();
        v.sort();
        v
    };
    if files.is_empty() {
        return Err(ModelError::format(
            dir,
            "no model.safetensors, model.safetensors.index.json or *.safetensors file",
        ));
    }
    let mut out = Weights::new();
    for f in files {
        let w = candle_core::safetensors::load(&f, &Device::Cpu)
            .map_err(|e| ModelError::format(&f, format!("cannot read safetensors: {e}")))?;
        out.extend(w);
    }
    Ok(out)
}

/// Everything a model folder holds: the network, its tokenizer and its sampling defaults.
#[derive(Debug)]
pub struct LoadedModel {
    pub model: CausalLm,
    pub tokenizer: ModelTokenizer,
    pub generation: GenerationDefaults,
    /// Where it came from (folder or GGUF file).
    pub source: PathBuf,
}

/// Options for loading.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub dtype: DType,
    pub device: Device,
    /// Register weights as trainable `Var`s (false: frozen tensors, for inference only).
    pub trainable: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            dtype: DType::F32,
            device: Device::Cpu,
            trainable: true,
        }
    }
}

/// Load a Hugging Face model folder.
pub fn load_hf_dir(dir: &Path, opts: &LoadOptions) -> Result<LoadedModel> {
    if !dir.is_dir() {
        return Err(ModelError::format(dir, "not a directory"));
    }
    let config = Config::from_file(dir.join("config.json"))?;
    let mut weights = load_safetensors_dir(dir)?;
    // Some tied checkpoints also carry lm_head.weight; ignore it. Some store names without
    // the `model.` prefix (bare LlamaModel): accept those too.
    if config.tie_word_embeddings {
        weights.remove("lm_head.weight");
    }
    let weights: Weights = weights
        .into_iter()
        .map(|(k, v)| {
            if k.starts_with("model.") || k.starts_with("lm_head.") {
                (k, v)
            } else {
                (format!("model.{k}"), v)
            }
        })
        .collect();
    let model = CausalLm::from_weights(
        config.clone(),
        weights,
        opts.dtype,
        &opts.device,
        opts.trainable,
    )
    .map_err(|e| match e {
        ModelError::MissingWeight { name, .. } => ModelError::MissingWeight {
            path: dir.to_path_buf(),
            name,
        },
        e => e,
    })?;
    let tokenizer = ModelTokenizer::from_hf_dir(dir, &config)?;
    let gen_path = dir.join("generation_config.json");
    let generation = if gen_path.is_file() {
        let text = std::fs::read_to_string(&gen_path).map_err(|e| ModelError::io(&gen_path, e))?;
        serde_json::from_str(&text)
            .map_err(|e| ModelError::format(&gen_path, format!("bad JSON: {e}")))?
    } else {
        GenerationDefaults::default()
    };
    Ok(LoadedModel {
        model,
        tokenizer,
        generation,
        source: dir.to_path_buf(),
    })
}

fn dtype_name(d: DType) -> &'static str {
    match d {
        DType::BF16 => "bfloat16",
        DType::F16 => "float16",
        _ => "float32",
    }
}

/// Save weights (in `dtype`), config.json, and (when given) the tokenizer files and
/// generation_config.json, in the Hugging Face layout.
pub fn save_hf_dir(
    dir: &Path,
    model: &CausalLm,
    tokenizer: Option<&ModelTokenizer>,
    generation: Option<&GenerationDefaults>,
    dtype: DType,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
    let mut weights: HashMap<String, Tensor> = HashMap::new();
    for (k, v) in model.weights() {
        weights.insert(
            k,
            v.detach()
                .to_dtype(dtype)?
                .to_device(&Device::Cpu)?
                .contiguous()?,
        );
    }
    let path = dir.join("model.safetensors");
    let meta: HashMap<String, String> = [("format".to_string(), "pt".to_string())].into();
    write_safetensors(&path, &weights, &meta)?;
    let mut cfg = model.config().clone();
    cfg.extra.insert(
        "architectures".into(),
        serde_json::json!([cfg.architecture()]),
    );
    cfg.extra
        .insert("torch_dtype".into(), serde_json::json!(dtype_name(dtype)));
    write_json(&dir.join("config.json"), &cfg)?;
    if let Some(t) = tokenizer {
        t.save_to_dir(dir)?;
    }
    if let Some(g) = generation {
        write_json(&dir.join("generation_config.json"), g)?;
    }
    Ok(())
}

pub(crate) fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(v)
        .map_err(|e| ModelError::format(path, format!("cannot serialize: {e}")))?;
    std::fs::write(path, text).map_err(|e| ModelError::io(path, e))
}

/// Write a safetensors file (with `{"format": "pt"}` metadata, which `transformers` checks).
/// Written by hand: the format is a JSON header and raw little-endian data, and this keeps the
/// crate off a second `safetensors` version.
pub fn write_safetensors(
    path: &Path,
    tensors: &HashMap<String, Tensor>,
    metadata: &HashMap<String, String>,
) -> Result<()> {
    let mut names: Vec<&String> = tensors.keys().collect();
    names.sort();
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), serde_json::json!(metadata));
    let mut data: Vec<u8> = Vec::new();
    for name in names {
        let t = &tensors[name];
        let flat = t.flatten_all()?;
        let (dt, bytes): (&str, Vec<u8>) = match t.dtype() {
            DType::F32 => (
                "F32",
                flat.to_vec1::<f32>()?
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect(),
            ),
            DType::BF16 => (
                "BF16",
                // A bf16 value widened to f32 keeps its 16 bits in the upper half, exactly.
                flat.to_dtype(DType::F32)?
                    .to_vec1::<f32>()?
                    .iter()
                    .flat_map(|v| ((v.to_bits() >> 16) as u16).to_le_bytes())
                    .collect(),
            ),
            d => {
                return Err(ModelError::Input(format!(
                    "saving {name}: dtype {d:?} not supported (f32, bf16)"
                )))
            }
        };
        let start = data.len();
        data.extend_from_slice(&bytes);
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": dt, "shape": t.dims(), "data_offsets": [start, data.len()]}),
        );
    }
    let mut h = serde_json::to_vec(&serde_json::Value::Object(header))
        .map_err(|e| ModelError::format(path, format!("header: {e}")))?;
    while h.len() % 8 != 0 {
        h.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + h.len() + data.len());
    out.extend_from_slice(&(h.len() as u64).to_le_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(&data);
    std::fs::write(path, out).map_err(|e| ModelError::io(path, e))
}
