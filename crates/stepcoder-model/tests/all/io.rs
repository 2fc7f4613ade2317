//! Loading and saving: HF folders (single and sharded), dtypes, GGUF helpers, the default model.

use crate::common::*;
use stepcoder_model::candle::{DType, Device, Tensor};
use stepcoder_model::{generate, load_hf_dir, LoadOptions, SamplingConfig};

#[test]
fn hf_folder_round_trip_f32_and_bf16() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_tiny_checkpoint(dir.path(), tiny_config(), 21, DType::F32);
    let loaded = load_hf_dir(dir.path(), &LoadOptions::default()).unwrap();
    assert_eq!(loaded.model.config().vocab_size, VOCAB);
    assert_eq!(loaded.generation.temperature, Some(0.7));
    assert!(loaded.tokenizer.chat_template.is_some());
    assert_eq!(loaded.tokenizer.eos_ids, vec![259]);
    let ids = Tensor::new(&[[3u32, 5, 7, 9]], &Device::Cpu).unwrap();
    let a = written.forward(&ids, None, None).unwrap().logits;
    let b = loaded.model.forward(&ids, None, None).unwrap().logits;
    assert!(max_diff(&a, &b) < 1e-6);

    let dir16 = tempfile::tempdir().unwrap();
    stepcoder_model::save_hf_dir(
        dir16.path(),
        &loaded.model,
        Some(&loaded.tokenizer),
        None,
        DType::BF16,
    )
    .unwrap();
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir16.path().join("config.json")).unwrap())
            .unwrap();
    assert_eq!(cfg["torch_dtype"], "bfloat16");
    assert_eq!(cfg["architectures"][0], "LlamaForCausalLM");
    let opts = LoadOptions {
        dtype: DType::BF16,
        ..Default::default()
    };
    let l16 = load_hf_dir(dir16.path(), &opts).unwrap();
    assert_eq!(l16.model.dtype(), DType::BF16);
    let c = l16.model.forward(&ids, None, None).unwrap().logits;
    assert_eq!(c.dtype(), DType::BF16);
    assert!(max_diff(&a, &c) < 0.05, "bf16 logits close to f32");
}

#[test]
fn sharded_index_and_missing_weight_error() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_tiny_checkpoint(dir.path(), tiny_config(), 22, DType::F32);
    // Split the single file into two shards plus an index, as `transformers` does.
    let all = stepcoder_model::candle::safetensors::load(
        dir.path().join("model.safetensors"),
        &Device::Cpu,
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("model.safetensors")).unwrap();
    let mut names: Vec<_> = all.keys().cloned().collect();
    names.sort();
    let (a, b) = names.split_at(names.len() / 2);
    let mut map = serde_json::Map::new();
    for (part, file) in [
        (a, "model-00001-of-00002.safetensors"),
        (b, "model-00002-of-00002.safetensors"),
    ] {
        let shard: std::collections::HashMap<String, Tensor> =
            part.iter().map(|n| (n.clone(), all[n].clone())).collect();
        stepcoder_model::candle::safetensors::save(&shard, dir.path().join(file)).unwrap();
        for n in part {
            map.insert(n.clone(), serde_json::json!(file));
        }
    }
    std::fs::write(
        dir.path().join("model.safetensors.index.json"),
        serde_json::json!({"metadata": {}, "weight_map": map}).to_string(),
    )
    .unwrap();
    let loaded = load_hf_dir(dir.path(), &LoadOptions::default()).unwrap();
    let ids = Tensor::new(&[[1u32, 2, 3]], &Device::Cpu).unwrap();
    let d = max_diff(
        &written.forward(&ids, None, None).unwrap().logits,
        &loaded.model.forward(&ids, None, None).unwrap().logits,
    );
    assert!(d < 1e-6);
    std::fs::remove_file(dir.path().join("model-00002-of-00002.safetensors")).unwrap();
    std::fs::remove_file(dir.path().join("model.safetensors.index.json")).unwrap();
    let err = load_hf_dir(dir.path(), &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing weight"), "{err}");
}

#[test]
fn gguf_qk_unpermute_inverts_llama_cpp_permutation() {
    // llama.cpp: w.reshape(heads, 2, hd/2, in).swapaxes(1, 2).reshape(out, in)
    let (heads, hd, inp) = (3, 4, 2);
    let w = Tensor::arange(0f32, (heads * hd * inp) as f32, &Device::Cpu)
        .unwrap()
        .reshape((heads * hd, inp))
        .unwrap();
    let permuted = w
        .reshape((heads, 2, hd / 2, inp))
        .unwrap()
        .transpose(1, 2)
        .unwrap()
        .contiguous()
        .unwrap()
        .reshape((heads * hd, inp))
        .unwrap();
    assert!(max_diff(&w, &permuted) > 0.0);
    let back = stepcoder_model::gguf::unpermute_qk(&permuted, heads).unwrap();
    assert_eq!(max_diff(&w, &back), 0.0);
}

#[test]
fn explicit_missing_path_is_a_clear_error() {
    let err = stepcoder_model::resolve_model(Some("/nonexistent/model"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not exist") && err.contains("default"),
        "{err}"
    );
}

/// Runs only when the default model is already cached (`stepcoder generate --model default`
/// fetches it); never downloads in tests.
#[test]
fn default_model_answers_coherently_when_cached() {
    let Some(path) = stepcoder_model::default_model::cached_default_model() else {
        eprintln!("skipping: default model not in the cache (run `stepcoder generate --model default --prompt hi` once)");
        return;
    };
    let opts = LoadOptions {
        trainable: false,
        ..Default::default()
    };
    let lm = stepcoder_model::load_model(&path, &opts).unwrap();
    let prompt = lm
        .tokenizer
        .encode_chat_prompt("What is the capital of France?")
        .unwrap();
    let out = generate(
        &lm.model,
        Some(&lm.tokenizer),
        &[prompt],
        &SamplingConfig::greedy(8),
    )
    .unwrap();
    eprintln!("default model answered: {:?}", out[0].text);
    assert!(
        out[0].text.starts_with("The capital of France is Paris"),
        "{:?}",
        out[0].text
    );
}
