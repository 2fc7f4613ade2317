//! The trainable Llama-family causal LM, its KV cache, and the value head.

use crate::config::Config;
use crate::ops;
use crate::{ModelError, Result};
use candle_core::{DType, Device, Tensor, Var, D};
use candle_nn::VarMap;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;

/// Weights by their Hugging Face names (`model.layers.0.self_attn.q_proj.weight`, ...).
pub type Weights = HashMap<String, Tensor>;

/// Per-layer keys and values of the tokens seen so far, kept outside the model so that one
/// model can serve many concurrent generations (and so a training forward never touches it).
///
/// A cache can also hold a *shared prefix* ([`KvCache::share_prefix`]): the keys and values of
/// a few prompts, kept once per prompt, that several rows attend to. The k samples of one
/// prompt then neither copy its keys and values k times nor re-read k copies at every sampled
/// token; the prompt's attention scores of its k rows are one matrix product.
#[derive(Debug, Clone)]
pub struct KvCache {
    layers: Vec<Option<LayerKv>>,
    seq_len: usize,
    keep_graph: bool,
    prefix: Option<SharedPrefix>,
}

/// One layer's cached keys and values, `[batch, kv_heads, capacity, head_dim]`, of which the
/// first `len` positions are filled.
///
/// Sampling appends one position per step. Concatenating would copy every cached position
/// at every step, quadratic in the length; instead the buffers keep spare capacity and a step
/// writes only its own position. Sampling 8 rows on 2 prompts of about 255 tokens, 128 new
/// tokens, builds before and after alternating on 2 cores: 3% faster with the prompts shared,
/// 15% with every row carrying its own copy of its prompt. A cache that keeps the graph
/// (training) concatenates, so gradients flow through it, and has no spare capacity.
#[derive(Debug)]
struct LayerKv {
    keys: Tensor,
    values: Tensor,
    len: usize,
}

/// A clone owns its positions: appending writes into the buffers in place, so a clone that
/// shared them would have its next positions overwritten by the other's.
impl Clone for LayerKv {
    fn clone(&self) -> Self {
        let (keys, values) = self
            .filled()
            .and_then(|(k, v)| Ok((k.copy()?, v.copy()?)))
            .expect("a layer's filled positions lie within its buffer");
        LayerKv {
            keys,
            values,
            len: self.len,
        }
    }
}

impl LayerKv {
    /// The filled positions.
    fn filled(&self) -> Result<(Tensor, Tensor)> {
        if self.len == self.keys.dim(2)? {
            return Ok((self.keys.clone(), self.values.clone()));
        }
        Ok((
            self.keys.narrow(2, 0, self.len)?,
            self.values.narrow(2, 0, self.len)?,
        ))
    }

    /// Positions `t` more fit without reallocating.
    fn fits(&self, t: usize) -> Result<bool> {
        Ok(self.len + t <= self.keys.dim(2)?)
    }
}

/// Prompts' keys and values, once per prompt (`[prompts, kv_heads, len, head_dim]` per layer,
/// left-padded to one length), and which prompt each row of the batch continues.
#[derive(Debug, Clone)]
struct SharedPrefix {
    layers: Vec<(Tensor, Tensor)>,
    /// Additive bias `[prompts, 1, 1, len]`: `-inf` over each prompt's left padding.
    bias: Tensor,
    /// Each prompt's real length (its next token's position id).
    lens: Vec<usize>,
    /// Each row's prompt, non-decreasing: a prompt's rows are consecutive.
    prompt_of_row: Vec<usize>,
}

impl SharedPrefix {
    /// The runs of consecutive rows that share a prompt.
    fn runs(&self) -> Vec<PromptRun> {
        runs_of(&self.prompt_of_row)
    }
}

/// The runs of consecutive rows with the same prompt in `prompt_of_row`.
fn runs_of(prompt_of_row: &[usize]) -> Vec<PromptRun> {
    let mut runs: Vec<PromptRun> = Vec::new();
    for (row, &prompt) in prompt_of_row.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if run.prompt == prompt => run.rows += 1,
            _ => runs.push(PromptRun {
                prompt,
                first_row: row,
                rows: 1,
            }),
        }
    }
    runs
}

/// Consecutive rows of a batch that continue one shared prompt.
#[derive(Debug, Clone, Copy)]
struct PromptRun {
    prompt: usize,
    first_row: usize,
    rows: usize,
}

/// One layer's view of a shared prefix, for [`attention`].
struct PrefixLayer<'a> {
    runs: &'a [PromptRun],
    /// The prompt of each row (what `runs` groups).
    prompt_of_row: &'a [usize],
    keys: &'a Tensor,
    values: &'a Tensor,
    /// `[prompts, 1, 1, len]`, see [`SharedPrefix::bias`].
    bias: &'a Tensor,
}

impl KvCache {
    /// An empty cache for a model with `num_layers` layers, for sampling: it stores keys and
    /// values detached from the autograd graph.
    pub fn new(num_layers: usize) -> Self {
        KvCache {
            layers: vec![None; num_layers],
            seq_len: 0,
            keep_graph: false,
            prefix: None,
        }
    }

    /// An empty cache that keeps the autograd graph, for a training forward in two parts
    /// (a prompt once, then the completions of several samples that share it): gradients
    /// flow from the completions' loss back through the prompt's keys and values. Use it
    /// for a fixed number of forwards, not for token-by-token sampling (every step would
    /// keep the earlier steps' activations alive).
    pub fn with_graph(num_layers: usize) -> Self {
        KvCache {
            keep_graph: true,
            ..KvCache::new(num_layers)
        }
    }

    /// Number of positions already cached (the same for every row: rows are left-padded),
    /// not counting a shared prefix.
    pub fn seq_len(&self) -> usize {
        self.seq_len
    }

    /// The cached keys and values of `layer` (`[batch, kv_heads, seq_len, head_dim]`), if
    /// any position is cached.
    pub fn layer(&self, layer: usize) -> Option<(Tensor, Tensor)> {
        self.layers.get(layer)?.as_ref()?.filled().ok()
    }

    /// Keeps the rows `rows` (u32 indices into the batch, repeats allowed) of every layer, in
    /// that order: one prefill of a prompt shared by k samples becomes k rows, and rows that
    /// finished sampling leave the batch.
    ///
    /// With a shared prefix, only the rows' own positions are copied, and the selected rows
    /// must keep each prompt's rows consecutive (a subsequence of the rows does).
    pub fn select_rows(&mut self, rows: &Tensor) -> Result<()> {
        if let Some(prefix) = self.prefix.as_mut() {
            let picked = rows
                .to_vec1::<u32>()?
                .into_iter()
                .map(|r| {
                    prefix
                        .prompt_of_row
                        .get(r as usize)
                        .copied()
                        .ok_or_else(|| {
                            ModelError::Input(format!(
                                "select_rows: row {r} of {}",
                                prefix.prompt_of_row.len()
                            ))
                        })
                })
                .collect::<Result<Vec<usize>>>()?;
            if picked.windows(2).any(|w| w[0] > w[1]) {
                return Err(ModelError::Input(
                    "select_rows: the rows of a shared prompt must stay consecutive".into(),
                ));
            }
            prefix.prompt_of_row = picked;
        }
        for kv in self.layers.iter_mut().flatten() {
            // The whole buffers (contiguous), so the spare capacity stays.
            kv.keys = kv.keys.index_select(rows, 0)?;
            kv.values = kv.values.index_select(rows, 0)?;
        }
        Ok(())
    }

    /// Turns what is cached (`prompts` rows, one per prompt, left-padded per `prompt_mask`
    /// `[prompts][len]` of 0/1, or unpadded) into a shared prefix continued by
    /// `prompt_of_row.len()` rows, row `r` continuing prompt `prompt_of_row[r]`
    /// (non-decreasing). Afterwards [`CausalLm::forward_hidden`] takes the rows' own tokens
    /// only: `(rows, t)` ids, and an attention mask (if any) over the rows' own positions.
    /// Exact: the same attention over the same positions as copying the prompt to each row.
    pub fn share_prefix(
        &mut self,
        prompt_of_row: Vec<usize>,
        prompt_mask: Option<&[Vec<u32>]>,
    ) -> Result<()> {
        if self.prefix.is_some() {
            return Err(ModelError::Input(
                "the cache already has a shared prefix".into(),
            ));
        }
        let mut layers = Vec::with_capacity(self.layers.len());
        for slot in self.layers.iter_mut() {
            let kv = slot.take().ok_or_else(|| {
                ModelError::Input("share_prefix: nothing is cached to share".into())
            })?;
            let (k, v) = kv.filled()?;
            layers.push((k.contiguous()?, v.contiguous()?));
        }
        let (prompts, len) = {
            let k = &layers[0].0;
            (k.dim(0)?, k.dim(2)?)
        };
        if prompt_of_row.windows(2).any(|w| w[0] > w[1])
            || prompt_of_row.iter().any(|&p| p >= prompts)
        {
            return Err(ModelError::Input(format!(
                "share_prefix: rows must name prompts 0..{prompts} in non-decreasing order"
            )));
        }
        let mut bias = vec![0f32; prompts * len];
        let mut lens = vec![len; prompts];
        if let Some(mask) = prompt_mask {
            if mask.len() != prompts || mask.iter().any(|m| m.len() != len) {
                return Err(ModelError::Input(format!(
                    "share_prefix: the prompt mask must be {prompts} x {len}"
                )));
            }
            for (p, m) in mask.iter().enumerate() {
                lens[p] = m.iter().filter(|&&x| x != 0).count();
                for (j, &x) in m.iter().enumerate() {
                    if x == 0 {
                        bias[p * len + j] = f32::NEG_INFINITY;
                    }
                }
            }
        }
        let k0 = &layers[0].0;
        let bias =
            Tensor::from_vec(bias, (prompts, 1, 1, len), k0.device())?.to_dtype(k0.dtype())?;
        self.prefix = Some(SharedPrefix {
            layers,
            bias,
            lens,
            prompt_of_row,
        });
        self.seq_len = 0;
        Ok(())
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        self.layers.iter_mut().for_each(|l| *l = None);
        self.seq_len = 0;
        self.prefix = None;
    }

    fn append(&mut self, layer: usize, k: Tensor, v: Tensor) -> Result<(Tensor, Tensor)> {
        let slot = self
            .layers
            .get_mut(layer)
            .ok_or_else(|| ModelError::Input(format!("KV cache has no layer {layer}")))?;
        let t = k.dim(2)?;
        if self.keep_graph {
            let (k, v) = match slot.take() {
                None => (k, v),
                Some(p) => (
                    Tensor::cat(&[&p.keys, &k], 2)?,
                    Tensor::cat(&[&p.values, &v], 2)?,
                ),
            };
            let len = k.dim(2)?;
            *slot = Some(LayerKv {
                keys: k.clone(),
                values: v.clone(),
                len,
            });
            return Ok((k, v));
        }
        // Sampling only from here. Stored with its graph, each step's keys would keep every
        // earlier step's activations alive: sampling from a trainable policy grew by
        // gigabytes per hundred tokens. Detaching shares the storage.
        let (k, v) = (k.detach().contiguous()?, v.detach().contiguous()?);
        let kv = match slot.take() {
            // The first positions (a prefill) are stored as they are: a prompt that becomes
            // a shared prefix is never appended to.
            None => LayerKv {
                keys: k,
                values: v,
                len: t,
            },
            Some(kv) if kv.fits(t)? => {
                kv.keys.slice_set(&k, 2, kv.len)?;
                kv.values.slice_set(&v, 2, kv.len)?;
                LayerKv {
                    len: kv.len + t,
                    ..kv
                }
            }
            Some(kv) => {
                // Grow by a quarter, at least 64 positions: a copy at most every 64 steps,
                // and no more than a fifth of the buffer (or 64 positions) unused.
                let len = kv.len + t;
                let capacity = len + (len / 4).max(64);
                let (b, heads, _, hd) = kv.keys.dims4()?;
                let grown = |old: Tensor, new: &Tensor| -> Result<Tensor> {
                    let buf = Tensor::zeros((b, heads, capacity, hd), old.dtype(), old.device())?;
                    buf.slice_set(&old.contiguous()?, 2, 0)?;
                    buf.slice_set(new, 2, kv.len)?;
                    Ok(buf)
                };
                let (old_k, old_v) = kv.filled()?;
                LayerKv {
                    keys: grown(old_k, &k)?,
                    values: grown(old_v, &v)?,
                    len,
                }
            }
        };
        let filled = kv.filled()?;
        *slot = Some(kv);
        Ok(filled)
    }
}

struct Layer {
    q: Tensor,
    q_b: Option<Tensor>,
    k: Tensor,
    k_b: Option<Tensor>,
    v: Tensor,
    v_b: Option<Tensor>,
    o: Tensor,
    o_b: Option<Tensor>,
    gate: Tensor,
    up: Tensor,
    down: Tensor,
    in_norm: Tensor,
    post_norm: Tensor,
}

/// Up to this many rows, [`linear`] computes `(w @ x^T)^T`.
const FEW_ROWS: usize = 16;

/// `x @ w^T (+ b)` for x of any rank.
///
/// Sampling multiplies one token per row: from 2 to 8 rows in f32 on the CPU, by
/// [`crate::few_rows`]'s register-blocked product. Otherwise, with few rows, as
/// `(w @ x^T)^T`: gemm then takes the weight as its left operand instead of packing it as the
/// right one at every call. The criterion bench `product_order` (2 cores, the default model's
/// shapes): 1.26x faster for an MLP weight and 1.17x for the LM head at 8 rows, 1.27x and
/// 1.08x at 16; at 24 rows and more the plain order wins (by 1.3x for the LM head, in a probe).
fn linear(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    let dims = x.dims().to_vec();
    let inner = *dims.last().unwrap_or(&1);
    let rows = x.elem_count() / inner.max(1);
    let x = x.reshape((rows, inner))?;
    let y = if crate::few_rows::applies(&x, w) {
        crate::few_rows::matmul_t(&x, w)?
    } else if rows <= FEW_ROWS {
        w.matmul(&x.t()?)?.t()?.contiguous()?
    } else {
        x.matmul(&w.t()?)?
    };
    let y = match b {
        Some(b) => y.broadcast_add(b)?,
        None => y,
    };
    let mut out = dims;
    if let Some(last) = out.last_mut() {
        *last = w.dim(0)?;
    }
    Ok(y.reshape(out)?)
}

/// [`composed_attention`], or for one new token per row on a sampling cache (the CPU, f32)
/// the fused [`crate::decode_attention`]: the same numbers up to float rounding.
fn attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    bias: &Tensor,
    shared: Option<PrefixLayer<'_>>,
    rep: usize,
) -> Result<Tensor> {
    if !crate::decode_attention::applies(q, k, v) {
        return composed_attention(q, k, v, bias, shared, rep);
    }
    let shared = shared.map(|p| crate::decode_attention::SharedKeys {
        keys: p.keys,
        values: p.values,
        bias: p.bias,
        prompt_of_row: p.prompt_of_row,
    });
    Ok(crate::decode_attention::attend(q, k, v, bias, shared)?)
}

/// One layer's attention of a decoding step as tensor operations, on
/// [`crate::decode_attention::attend`]'s arguments: what sampling ran before the fused
/// kernel, the baseline the criterion bench `decode_attention` measures it against (also
/// [`crate::bench::composed_decode_attention`]).
pub fn composed_decode_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    bias: &Tensor,
    shared: Option<crate::decode_attention::SharedKeys<'_>>,
) -> Result<Tensor> {
    let rep = q.dim(1)? / k.dim(1)?.max(1);
    let runs = shared
        .as_ref()
        .map(|s| runs_of(s.prompt_of_row))
        .unwrap_or_default();
    let prefix = shared.map(|s| PrefixLayer {
        runs: &runs,
        prompt_of_row: s.prompt_of_row,
        keys: s.keys,
        values: s.values,
        bias: s.bias,
    });
    composed_attention(q, k, v, bias, prefix, rep)
}

/// Causal self-attention of `q` (`[b, heads, t, hd]`, scaled) over `k`, `v`
/// (`[b, kv_heads, s, hd]`) with the additive `bias`, and, with `shared`, jointly over a shared
/// prefix's keys and values (one softmax over prefix and own positions). Returns
/// `[b, t, heads, hd]`.
///
/// Grouped-query attention without copying K/V: the query heads that share a KV head fold
/// into the row dimension; for the prefix, so do the rows that share a prompt.
fn composed_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    bias: &Tensor,
    shared: Option<PrefixLayer<'_>>,
    rep: usize,
) -> Result<Tensor> {
    let (b, nh, t, hd) = q.dims4()?;
    let nkv = nh / rep;
    let s = k.dim(2)?;
    let qg = q.reshape((b, nkv, rep * t, hd))?;
    let own = qg
        .matmul(&k.t()?)?
        .reshape((b, nh, t, s))?
        .broadcast_add(bias)?;
    let Some(PrefixLayer {
        runs,
        keys: pk,
        values: pv,
        bias: pbias,
        ..
    }) = shared
    else {
        let att = ops::softmax_last_dim(&own)?;
        let y = att.reshape((b, nkv, rep * t, s))?.matmul(v)?;
        return Ok(y.reshape((b, nh, t, hd))?.transpose(1, 2)?);
    };
    let plen = pk.dim(2)?;
    // `[n, nkv, rep * t, x]` <-> `[nkv, n * rep * t, x]`: one product per KV head for all
    // the rows of a prompt.
    let fold = |x: &Tensor, n: usize, last: usize| -> Result<Tensor> {
        Ok(x.reshape((n, nkv, rep * t, last))?
            .transpose(0, 1)?
            .contiguous()?
            .reshape((nkv, n * rep * t, last))?)
    };
    let unfold = |x: &Tensor, n: usize, last: usize| -> Result<Tensor> {
        Ok(x.reshape((nkv, n, rep * t, last))?
            .transpose(0, 1)?
            .contiguous()?)
    };
    // Per run of rows that share a prompt: those rows of `x` (`[b, nh, t, last]`) times the
    // prompt's `[nkv, last, out]` matrix from `of_prompt`, as `[n, nkv, rep * t, out]`.
    let per_prompt = |x: &Tensor,
                      last: usize,
                      out: usize,
                      of_prompt: &dyn Fn(usize) -> Result<Tensor>|
     -> Result<Vec<Tensor>> {
        runs.iter()
            .map(|r| {
                let y = fold(&x.narrow(0, r.first_row, r.rows)?, r.rows, last)?
                    .matmul(&of_prompt(r.prompt)?)?;
                unfold(&y, r.rows, out)
            })
            .collect()
    };
    let scores = per_prompt(q, hd, plen, &|p| Ok(pk.narrow(0, p, 1)?.squeeze(0)?.t()?))?
        .into_iter()
        .zip(runs)
        .map(|(sc, r)| {
            Ok(sc
                .reshape((r.rows, nh, t, plen))?
                .broadcast_add(&pbias.narrow(0, r.prompt, 1)?)?)
        })
        .collect::<Result<Vec<_>>>()?;
    let prefix_scores = Tensor::cat(&scores, 0)?;
    let att = ops::softmax_last_dim(&Tensor::cat(&[&prefix_scores, &own], 3)?)?;
    let (att_p, att_own) = (att.narrow(3, 0, plen)?, att.narrow(3, plen, s)?);
    let y_own = att_own
        .contiguous()?
        .reshape((b, nkv, rep * t, s))?
        .matmul(v)?;
    let y_prefix = per_prompt(&att_p, plen, hd, &|p| Ok(pv.narrow(0, p, 1)?.squeeze(0)?))?;
    let y = (Tensor::cat(&y_prefix, 0)? + y_own)?;
    Ok(y.reshape((b, nh, t, hd))?.transpose(1, 2)?)
}

/// Where the tokens of a forward sit: their position ids and what each may attend to.
struct Layout {
    /// `(b * t)` position ids.
    pos: Vec<f32>,
    /// Additive attention bias `(bias_rows, t, keys)` (one row serves every row when 1).
    bias: Vec<f32>,
    bias_rows: usize,
    /// Positions attended over: cached plus new.
    keys: usize,
    /// The longest sequence a row sees (for dynamic RoPE scaling).
    longest: usize,
}

/// One weight the architecture needs: name, shape, and how a fresh model initializes it.
#[derive(Debug, Clone)]
pub struct WeightSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub init: Init,
}

/// Initialization of a fresh weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    Normal(f32),
    Ones,
    Zeros,
}

/// The list of weights a config implies, with HF names.
pub fn weight_specs(cfg: &Config) -> Vec<WeightSpec> {
    let h = cfg.hidden_size;
    let hd = cfg.head_dim();
    let q = cfg.num_attention_heads * hd;
    let kv = cfg.num_kv_heads() * hd;
    let i = cfg.intermediate_size;
    let mut v = Vec::new();
    let mut push = |name: String, shape: Vec<usize>, init| v.push(WeightSpec { name, shape, init });
    let std = 0.02;
    push(
        "model.embed_tokens.weight".into(),
        vec![cfg.vocab_size, h],
        Init::Normal(std),
    );
    for l in 0..cfg.num_hidden_layers {
        let p = format!("model.layers.{l}");
        push(
            format!("{p}.self_attn.q_proj.weight"),
            vec![q, h],
            Init::Normal(std),
        );
        push(
            format!("{p}.self_attn.k_proj.weight"),
            vec![kv, h],
            Init::Normal(std),
        );
        push(
            format!("{p}.self_attn.v_proj.weight"),
            vec![kv, h],
            Init::Normal(std),
        );
        push(
            format!("{p}.self_attn.o_proj.weight"),
            vec![h, q],
            Init::Normal(std),
        );
        if cfg.qkv_bias() {
            push(format!("{p}.self_attn.q_proj.bias"), vec![q], Init::Zeros);
            push(format!("{p}.self_attn.k_proj.bias"), vec![kv], Init::Zeros);
            push(format!("{p}.self_attn.v_proj.bias"), vec![kv], Init::Zeros);
        }
        if cfg.o_bias() {
            push(format!("{p}.self_attn.o_proj.bias"), vec![h], Init::Zeros);
        }
        push(
            format!("{p}.mlp.gate_proj.weight"),
            vec![i, h],
            Init::Normal(std),
        );
        push(
            format!("{p}.mlp.up_proj.weight"),
            vec![i, h],
            Init::Normal(std),
        );
        push(
            format!("{p}.mlp.down_proj.weight"),
            vec![h, i],
            Init::Normal(std),
        );
        push(format!("{p}.input_layernorm.weight"), vec![h], Init::Ones);
        push(
            format!("{p}.post_attention_layernorm.weight"),
            vec![h],
            Init::Ones,
        );
    }
    push("model.norm.weight".into(), vec![h], Init::Ones);
    if !cfg.tie_word_embeddings {
        push(
            "lm_head.weight".into(),
            vec![cfg.vocab_size, h],
            Init::Normal(std),
        );
    }
    v
}

/// Seeded random weights for a config (normal(0, 0.02) matrices, unit norms, zero biases).
pub fn random_weights(cfg: &Config, seed: u64) -> Result<Weights> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = Weights::new();
    for spec in weight_specs(cfg) {
        let n: usize = spec.shape.iter().product();
        let data: Vec<f32> = match spec.init {
            Init::Ones => vec![1.0; n],
            Init::Zeros => vec![0.0; n],
            Init::Normal(std) => (0..n)
                .map(|_| {
                    // Box-Muller: rand 0.9 without rand_distr.
                    let u1: f32 = rng.random::<f32>().max(1e-12);
                    let u2: f32 = rng.random::<f32>();
                    std * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos()
                })
                .collect(),
        };
        out.insert(
            spec.name.clone(),
            Tensor::from_vec(data, spec.shape.clone(), &Device::Cpu)?,
        );
    }
    Ok(out)
}

/// Output of a forward pass.
#[derive(Debug, Clone)]
pub struct ForwardOutput {
    /// `(batch, seq, vocab)` logits.
    pub logits: Tensor,
    /// `(batch, seq, hidden)` final hidden states (after the last norm): the value head's input.
    pub hidden: Tensor,
}

/// A Llama-family causal LM whose every op is differentiable.
///
/// Weights are candle `Var`s registered in a [`VarMap`] under their HF names (for a trainable
/// model), so an optimizer can update them in place and the model sees the update at once.
///
/// Mixed precision: the weights are stored in [`CausalLm::dtype`] (f32 master weights for
/// training) and the forward computes in [`CausalLm::compute_dtype`] (bf16 on a GPU): each
/// weight is cast as it is used, a differentiable cast, so gradients reach the f32 `Var`s
/// in f32. Set it with [`CausalLm::set_compute_dtype`]; by default it is the storage dtype.
pub struct CausalLm {
    config: Config,
    device: Device,
    dtype: DType,
    compute_dtype: DType,
    varmap: VarMap,
    trainable: bool,
    embed: Tensor,
    layers: Vec<Layer>,
    norm: Tensor,
    lm_head: Tensor,
    inv_freq: Vec<f32>,
}

impl std::fmt::Debug for CausalLm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CausalLm")
            .field("model_type", &self.config.model_type)
            .field("layers", &self.layers.len())
            .field("hidden", &self.config.hidden_size)
            .field("dtype", &self.dtype)
            .field("compute_dtype", &self.compute_dtype)
            .field("trainable", &self.trainable)
            .finish()
    }
}

impl CausalLm {
    /// Build a model from named weights. `trainable` registers every weight as a `Var` in the
    /// model's [`VarMap`]; otherwise the weights are plain (frozen) tensors.
    pub fn from_weights(
        config: Config,
        mut weights: Weights,
        dtype: DType,
        device: &Device,
        trainable: bool,
    ) -> Result<Self> {
        config.validate()?;
        let varmap = VarMap::new();
        let mut take = |spec: &WeightSpec| -> Result<Tensor> {
            let t = weights
                .remove(&spec.name)
                .ok_or_else(|| ModelError::MissingWeight {
                    path: "<weights>".into(),
                    name: spec.name.clone(),
                })?;
            if t.dims() != spec.shape.as_slice() {
                return Err(ModelError::Shape {
                    name: spec.name.clone(),
                    expected: spec.shape.clone(),
                    found: t.dims().to_vec(),
                });
            }
            let t = t.to_dtype(dtype)?.to_device(device)?;
            if trainable {
                let var = Var::from_tensor(&t)?;
                let tensor = var.as_tensor().clone();
                varmap
                    .data()
                    .lock()
                    .map_err(|_| ModelError::Input("VarMap lock poisoned".into()))?
                    .insert(spec.name.clone(), var);
                Ok(tensor)
            } else {
                Ok(t.detach())
            }
        };
        let specs: HashMap<String, WeightSpec> = weight_specs(&config)
            .into_iter()
            .map(|s| (s.name.clone(), s))
            .collect();
        let mut get = |name: String| -> Result<Tensor> {
            let spec = specs
                .get(&name)
                .ok_or_else(|| ModelError::Config(format!("no weight spec named {name}")))?;
            take(spec)
        };
        let embed = get("model.embed_tokens.weight".into())?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for l in 0..config.num_hidden_layers {
            let p = format!("model.layers.{l}");
            let qkv_b = config.qkv_bias();
            layers.push(Layer {
                q: get(format!("{p}.self_attn.q_proj.weight"))?,
                q_b: if qkv_b {
                    Some(get(format!("{p}.self_attn.q_proj.bias"))?)
                } else {
                    None
                },
                k: get(format!("{p}.self_attn.k_proj.weight"))?,
                k_b: if qkv_b {
                    Some(get(format!("{p}.self_attn.k_proj.bias"))?)
                } else {
                    None
                },
                v: get(format!("{p}.self_attn.v_proj.weight"))?,
                v_b: if qkv_b {
                    Some(get(format!("{p}.self_attn.v_proj.bias"))?)
                } else {
                    None
                },
                o: get(format!("{p}.self_attn.o_proj.weight"))?,
                o_b: if config.o_bias() {
                    Some(get(format!("{p}.self_attn.o_proj.bias"))?)
                } else {
                    None
                },
                gate: get(format!("{p}.mlp.gate_proj.weight"))?,
                up: get(format!("{p}.mlp.up_proj.weight"))?,
                down: get(format!("{p}.mlp.down_proj.weight"))?,
                in_norm: get(format!("{p}.input_layernorm.weight"))?,
                post_norm: get(format!("{p}.post_attention_layernorm.weight"))?,
            });
        }
        let norm = get("model.norm.weight".into())?;
        let lm_head = if config.tie_word_embeddings {
            embed.clone()
        } else {
            get("lm_head.weight".into())?
        };
        let inv_freq = config.rope_inv_freq(0);
        Ok(CausalLm {
            config,
            device: device.clone(),
            dtype,
            compute_dtype: dtype,
            varmap,
            trainable,
            embed,
            layers,
            norm,
            lm_head,
            inv_freq,
        })
    }

    /// A fresh randomly initialized trainable model (seeded).
    pub fn random(config: Config, dtype: DType, device: &Device, seed: u64) -> Result<Self> {
        let w = random_weights(&config, seed)?;
        Self::from_weights(config, w, dtype, device, true)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
    pub fn device(&self) -> &Device {
        &self.device
    }
    /// The dtype the weights are stored in (the optimizer's master weights when trainable).
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    /// The dtype the forward computes in (activations, logits, the KV cache).
    pub fn compute_dtype(&self) -> DType {
        self.compute_dtype
    }

    /// Computes the forward in `dtype` (a float dtype) while the weights stay in
    /// [`CausalLm::dtype`]: bf16 compute over f32 master weights is mixed-precision
    /// training. Note that candle's CPU matmul has no bf16 (f16 and f32 only).
    pub fn set_compute_dtype(&mut self, dtype: DType) -> Result<()> {
        if !dtype.is_float() {
            return Err(ModelError::Input(format!(
                "compute dtype must be a float dtype, got {dtype:?}"
            )));
        }
        self.compute_dtype = dtype;
        Ok(())
    }

    /// A weight (or activation) in the compute dtype (the same tensor when no cast is needed).
    fn cw(&self, w: &Tensor) -> Result<Tensor> {
        if w.dtype() == self.compute_dtype {
            Ok(w.clone())
        } else {
            Ok(w.to_dtype(self.compute_dtype)?)
        }
    }

    fn cw_opt(&self, w: Option<&Tensor>) -> Result<Option<Tensor>> {
        w.map(|w| self.cw(w)).transpose()
    }
    /// Whether the weights are `Var`s in [`CausalLm::varmap`].
    pub fn is_trainable(&self) -> bool {
        self.trainable
    }

    /// The trainable parameters (empty for a frozen model). Pass `varmap.all_vars()` to an
    /// optimizer; `Var::set` updates the model in place.
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// All weights by HF name (tied models list only the embedding).
    pub fn weights(&self) -> Weights {
        let mut out = Weights::new();
        out.insert("model.embed_tokens.weight".into(), self.embed.clone());
        for (l, layer) in self.layers.iter().enumerate() {
            let p = format!("model.layers.{l}");
            let mut put = |n: &str, t: &Tensor| {
                out.insert(format!("{p}.{n}"), t.clone());
            };
            put("self_attn.q_proj.weight", &layer.q);
            put("self_attn.k_proj.weight", &layer.k);
            put("self_attn.v_proj.weight", &layer.v);
            put("self_attn.o_proj.weight", &layer.o);
            if let Some(b) = &layer.q_b {
                put("self_attn.q_proj.bias", b);
            }
            if let Some(b) = &layer.k_b {
                put("self_attn.k_proj.bias", b);
            }
            if let Some(b) = &layer.v_b {
                put("self_attn.v_proj.bias", b);
            }
            if let Some(b) = &layer.o_b {
                put("self_attn.o_proj.bias", b);
            }
            put("mlp.gate_proj.weight", &layer.gate);
            put("mlp.up_proj.weight", &layer.up);
            put("mlp.down_proj.weight", &layer.down);
            put("input_layernorm.weight", &layer.in_norm);
            put("post_attention_layernorm.weight", &layer.post_norm);
        }
        out.insert("model.norm.weight".into(), self.norm.clone());
        if !self.config.tie_word_embeddings {
            out.insert("lm_head.weight".into(), self.lm_head.clone());
        }
        out
    }

    /// A copy whose weights are detached plain tensors: the PPO reference policy. Later
    /// optimizer steps on `self` do not change it, and its forward builds no graph.
    pub fn frozen_copy(&self) -> Result<Self> {
        self.copy_with(false, self.dtype)
    }

    /// An independent trainable copy (e.g. to initialize a separate critic from the policy).
    pub fn trainable_copy(&self) -> Result<Self> {
        self.copy_with(true, self.dtype)
    }

    /// A copy in another dtype (`trainable` as requested). It computes in `self`'s compute
    /// dtype when that differs from `self`'s storage dtype (a mixed-precision model's copies
    /// stay mixed; `copy_with(false, model.compute_dtype())` is its sampling copy), else in
    /// `dtype`.
    pub fn copy_with(&self, trainable: bool, dtype: DType) -> Result<Self> {
        let mut w = Weights::new();
        for (k, v) in self.weights() {
            let v = v.detach();
            // A cast makes new storage already; the same dtype needs an explicit copy, or
            // the copy would share the `Var`'s storage and see the optimizer's updates.
            let v = if v.dtype() == dtype { v.copy()? } else { v };
            w.insert(k, v);
        }
        let mut copy = Self::from_weights(self.config.clone(), w, dtype, &self.device, trainable)?;
        if self.compute_dtype != self.dtype {
            copy.compute_dtype = self.compute_dtype;
        }
        Ok(copy)
    }

    /// Logits and final hidden states for every position.
    ///
    /// * `input_ids`: `(batch, seq)` u32.
    /// * `attention_mask`: `(batch, past + seq)`, 1 for real tokens and 0 for padding, over the
    ///   cached positions and the new ones (HF convention). `None` means no padding. Position ids
    ///   are `cumsum(mask) - 1`, so left-padded rows start at position 0.
    /// * `cache`: when given, keys/values of the new tokens are appended to it and attention
    ///   covers the cached positions too.
    pub fn forward(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
        cache: Option<&mut KvCache>,
    ) -> Result<ForwardOutput> {
        let hidden = self.forward_hidden(input_ids, attention_mask, cache)?;
        let logits = self.logits(&hidden)?;
        Ok(ForwardOutput { logits, hidden })
    }

    /// The LM head: `(.., hidden) -> (.., vocab)`.
    pub fn logits(&self, hidden: &Tensor) -> Result<Tensor> {
        linear(&self.cw(hidden)?, &self.cw(&self.lm_head)?, None)
    }

    /// Final hidden states `(batch, seq, hidden)` without the LM head (a separate critic needs
    /// only these).
    pub fn forward_hidden(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
        cache: Option<&mut KvCache>,
    ) -> Result<Tensor> {
        let (b, t) = input_ids.dims2()?;
        if t == 0 {
            return Err(ModelError::Input("forward with an empty sequence".into()));
        }
        let past = cache.as_ref().map(|c| c.seq_len()).unwrap_or(0);
        let total = past + t;
        let mask: Option<Vec<Vec<f32>>> = match attention_mask {
            None => None,
            Some(m) => {
                if m.dims() != [b, total] {
                    return Err(ModelError::Input(format!(
                        "attention_mask has shape {:?}, expected ({b}, {total}) = (batch, cached + new)",
                        m.dims()
                    )));
                }
                Some(m.to_dtype(DType::F32)?.to_vec2::<f32>()?)
            }
        };
        // Position ids and the additive attention bias, built on the host (small).
        let mut pos = vec![0f32; b * t];
        let bias_rows = if mask.is_some() { b } else { 1 };
        let mut bias = vec![0f32; bias_rows * t * total];
        for r in 0..bias_rows {
            let row_mask = mask.as_ref().map(|m| &m[r]);
            let mut count = 0usize;
            let mut cum = Vec::with_capacity(total);
            for k in 0..total {
                if row_mask.map(|m| m[k] > 0.5).unwrap_or(true) {
                    count += 1;
                }
                cum.push(count);
            }
            for j in 0..t {
                let qpos = past + j;
                pos[r * t + j] = cum[qpos].saturating_sub(1) as f32;
                let brow = &mut bias[(r * t + j) * total..(r * t + j + 1) * total];
                for (k, bv) in brow.iter_mut().enumerate() {
                    let visible =
                        k == qpos || (k < qpos && row_mask.map(|m| m[k] > 0.5).unwrap_or(true));
                    if !visible {
                        *bv = f32::NEG_INFINITY;
                    }
                }
            }
        }
        if mask.is_none() {
            for (i, p) in pos.iter_mut().enumerate() {
                *p = (past + i % t) as f32;
            }
        }
        // Rows that continue a shared prefix start after their prompt's real length.
        let prefix = cache.as_ref().and_then(|c| c.prefix.as_ref());
        if let Some(prefix) = prefix {
            if prefix.prompt_of_row.len() != b {
                return Err(ModelError::Input(format!(
                    "the cache's shared prefix is continued by {} rows, the input has {b}",
                    prefix.prompt_of_row.len()
                )));
            }
            for (i, p) in pos.iter_mut().enumerate() {
                *p += prefix.lens[prefix.prompt_of_row[i / t]] as f32;
            }
        }
        let prefix_runs = prefix.map(|p| p.runs());
        let layout = Layout {
            pos,
            bias,
            bias_rows,
            keys: total,
            longest: total,
        };
        self.run_layers(input_ids, layout, prefix_runs.as_deref(), cache)
    }

    /// Several sequences that continue the same cached prefix, packed into one row without
    /// padding: `input_ids` is `(1, S)`, the segments' tokens one after another
    /// (`segment_lens` sums to `S`). Each segment attends to every cached position and to its
    /// own earlier tokens only, at positions that continue the prefix, so its hidden states
    /// are those of running it as its own row on a copy of the cache, up to float rounding.
    /// Returns `(1, S, hidden)`.
    ///
    /// Why: the k completions of one prompt have different lengths; as rows they are padded
    /// to the longest and every padded position costs a full forward. Packed, a forward costs
    /// the real tokens, plus attention scores between segments that the mask discards. The
    /// cache (without a shared prefix) afterwards also holds the packed positions: it is for
    /// this one forward (or its backward, with [`KvCache::with_graph`]), not for continuing.
    pub fn forward_hidden_packed(
        &self,
        input_ids: &Tensor,
        segment_lens: &[usize],
        cache: Option<&mut KvCache>,
    ) -> Result<Tensor> {
        let (b, t) = input_ids.dims2()?;
        if b != 1 || t == 0 || segment_lens.iter().sum::<usize>() != t || segment_lens.contains(&0)
        {
            return Err(ModelError::Input(format!(
                "packed forward: input ({b}, {t}) must be one row of the segments {segment_lens:?} \
                 (none empty)"
            )));
        }
        if cache.as_ref().is_some_and(|c| c.prefix.is_some()) {
            return Err(ModelError::Input(
                "packed forward: the cache has a shared prefix; pack over a plain cache".into(),
            ));
        }
        let past = cache.as_ref().map(|c| c.seq_len()).unwrap_or(0);
        let total = past + t;
        let mut pos = Vec::with_capacity(t);
        let mut bias = vec![f32::NEG_INFINITY; t * total];
        let mut start = 0;
        for &len in segment_lens {
            for j in 0..len {
                pos.push((past + j) as f32);
                let row = &mut bias[(start + j) * total..(start + j + 1) * total];
                row[..past].fill(0.0);
                row[past + start..=past + start + j].fill(0.0);
            }
            start += len;
        }
        let longest = segment_lens.iter().copied().max().unwrap_or(0);
        let layout = Layout {
            pos,
            bias,
            bias_rows: 1,
            keys: total,
            longest: past + longest,
        };
        self.run_layers(input_ids, layout, None, cache)
    }

    /// The layer stack over `input_ids` `(b, t)` with positions and attention bias laid out.
    fn run_layers(
        &self,
        input_ids: &Tensor,
        layout: Layout,
        prefix_runs: Option<&[PromptRun]>,
        mut cache: Option<&mut KvCache>,
    ) -> Result<Tensor> {
        let cfg = &self.config;
        let (b, t) = input_ids.dims2()?;
        if let Some(c) = cache.as_ref() {
            if c.layers.len() != cfg.num_hidden_layers {
                return Err(ModelError::Input(format!(
                    "KV cache has {} layers, model has {}",
                    c.layers.len(),
                    cfg.num_hidden_layers
                )));
            }
        }
        let Layout {
            pos,
            bias,
            bias_rows,
            keys,
            longest,
        } = layout;
        let inv_freq = if cfg
            .rope_scaling
            .as_ref()
            .is_some_and(|r| r.rope_type == "dynamic")
        {
            cfg.rope_inv_freq(longest)
        } else {
            self.inv_freq.clone()
        };
        let half = inv_freq.len();
        let mut cos = vec![0f32; b * t * half];
        let mut sin = vec![0f32; b * t * half];
        for (i, p) in pos.iter().enumerate() {
            for (f, fr) in inv_freq.iter().enumerate() {
                let a = p * fr;
                cos[i * half + f] = a.cos();
                sin[i * half + f] = a.sin();
            }
        }
        let dev = &self.device;
        let cd = self.compute_dtype;
        let cos = Tensor::from_vec(cos, (b, t, half), dev)?.to_dtype(cd)?;
        let sin = Tensor::from_vec(sin, (b, t, half), dev)?.to_dtype(cd)?;
        let bias = Tensor::from_vec(bias, (bias_rows, 1, t, keys), dev)?.to_dtype(cd)?;

        let nh = cfg.num_attention_heads;
        let nkv = cfg.num_kv_heads();
        let rep = nh / nkv;
        let hd = cfg.head_dim();
        let scale = 1.0 / (hd as f64).sqrt();
        let eps = cfg.rms_norm_eps;

        let ids = input_ids.flatten_all()?;
        // Gather the rows first, then cast: the embedding's gradient is a scatter into the
        // master weights either way, and only `b * t` rows are converted.
        let mut h =
            self.embed
                .index_select(&ids, 0)?
                .to_dtype(cd)?
                .reshape((b, t, cfg.hidden_size))?;
        for (li, layer) in self.layers.iter().enumerate() {
            let x = ops::rms_norm(&h, &self.cw(&layer.in_norm)?, eps)?;
            let q = linear(
                &x,
                &self.cw(&layer.q)?,
                self.cw_opt(layer.q_b.as_ref())?.as_ref(),
            )?
            .reshape((b, t, nh, hd))?
            .transpose(1, 2)?;
            let k = linear(
                &x,
                &self.cw(&layer.k)?,
                self.cw_opt(layer.k_b.as_ref())?.as_ref(),
            )?
            .reshape((b, t, nkv, hd))?
            .transpose(1, 2)?;
            let v = linear(
                &x,
                &self.cw(&layer.v)?,
                self.cw_opt(layer.v_b.as_ref())?.as_ref(),
            )?
            .reshape((b, t, nkv, hd))?
            .transpose(1, 2)?
            .contiguous()?;
            let q = (ops::rope(&q, &cos, &sin)? * scale)?;
            let k = ops::rope(&k, &cos, &sin)?;
            let (k, v) = match cache.as_deref_mut() {
                Some(c) => c.append(li, k, v)?,
                None => (k, v),
            };
            let shared = match (&prefix_runs, cache.as_deref()) {
                (Some(runs), Some(c)) => c.prefix.as_ref().map(|p| PrefixLayer {
                    runs,
                    prompt_of_row: &p.prompt_of_row,
                    keys: &p.layers[li].0,
                    values: &p.layers[li].1,
                    bias: &p.bias,
                }),
                _ => None,
            };
            let y = attention(&q, &k, &v, &bias, shared, rep)?.reshape((b, t, nh * hd))?;
            let y = linear(
                &y,
                &self.cw(&layer.o)?,
                self.cw_opt(layer.o_b.as_ref())?.as_ref(),
            )?;
            h = (h + y)?;
            let x = ops::rms_norm(&h, &self.cw(&layer.post_norm)?, eps)?;
            let g = candle_nn::ops::silu(&linear(&x, &self.cw(&layer.gate)?, None)?)?;
            let u = linear(&x, &self.cw(&layer.up)?, None)?;
            let m = linear(&(g * u)?, &self.cw(&layer.down)?, None)?;
            h = (h + m)?;
        }
        if let Some(c) = cache {
            c.seq_len += t;
        }
        Ok(ops::rms_norm(&h, &self.cw(&self.norm)?, eps)?)
    }

    /// A new empty KV cache sized for this model.
    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.config.num_hidden_layers)
    }

    /// Per-token log-probabilities of `targets` under `logits` (`(b, t, vocab)`, `(b, t)`),
    /// differentiable: the PPO ratio's numerator. The result is f32 whatever the logits'
    /// dtype.
    ///
    /// This is [`stepcoder_kernels::token_log_probs`], the workspace's one log-softmax +
    /// gather (CPU reference, CUDA kernels with its `cuda` feature): it never builds the
    /// `(b, t, vocab)` log-softmax, and the trainer's ratio and this method cannot drift apart.
    pub fn token_log_probs(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
        Ok(stepcoder_kernels::token_log_probs(logits, targets)?)
    }
}

/// A value head `hidden -> 1`: put it on the policy trunk (feed [`ForwardOutput::hidden`]) or
/// on a separate critic [`CausalLm`] (feed its [`CausalLm::forward_hidden`]).
pub struct ValueHead {
    varmap: VarMap,
    weight: Tensor,
    bias: Tensor,
}

impl std::fmt::Debug for ValueHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValueHead")
            .field("hidden", &self.weight.dims())
            .finish()
    }
}

impl ValueHead {
    /// A fresh head (zero weights: initial values are 0, the usual PPO start).
    pub fn new(hidden: usize, dtype: DType, device: &Device) -> Result<Self> {
        let w = Tensor::zeros((1, hidden), dtype, device)?;
        let b = Tensor::zeros(1, dtype, device)?;
        Self::from_tensors(w, b)
    }

    /// A head from given weight `(1, hidden)` and bias `(1)` (e.g. loaded from a checkpoint).
    pub fn from_tensors(weight: Tensor, bias: Tensor) -> Result<Self> {
        let varmap = VarMap::new();
        let wv = Var::from_tensor(&weight)?;
        let bv = Var::from_tensor(&bias)?;
        let weight = wv.as_tensor().clone();
        let bias = bv.as_tensor().clone();
        {
            let mut d = varmap
                .data()
                .lock()
                .map_err(|_| ModelError::Input("VarMap lock poisoned".into()))?;
            d.insert("v_head.weight".into(), wv);
            d.insert("v_head.bias".into(), bv);
        }
        Ok(ValueHead {
            varmap,
            weight,
            bias,
        })
    }

    /// Values `(batch, seq)` from hidden states `(batch, seq, hidden)`.
    pub fn forward(&self, hidden: &Tensor) -> Result<Tensor> {
        let h = hidden.to_dtype(self.weight.dtype())?;
        Ok(linear(&h, &self.weight, Some(&self.bias))?.squeeze(D::Minus1)?)
    }

    /// Its parameters (`v_head.weight`, `v_head.bias`).
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each way of [`linear`] (the few-rows product, the swapped order, the plain one) gives
    /// `x @ w^T + b` and its gradients.
    #[test]
    fn linear_matches_the_plain_product_in_each_way() {
        let dev = Device::Cpu;
        let w = Var::from_tensor(&Tensor::randn(0f32, 1.0, (7, 5), &dev).unwrap()).unwrap();
        let bias = Var::from_tensor(&Tensor::randn(0f32, 1.0, 7, &dev).unwrap()).unwrap();
        for rows in [3, FEW_ROWS, FEW_ROWS + 9] {
            // 3 rows take the few-rows product, FEW_ROWS the swapped order.
            let x =
                Var::from_tensor(&Tensor::randn(0f32, 1.0, (1, rows, 5), &dev).unwrap()).unwrap();
            let fast = linear(&x, &w, Some(&bias)).unwrap();
            let plain = x
                .squeeze(0)
                .unwrap()
                .matmul(&w.t().unwrap())
                .unwrap()
                .broadcast_add(&bias)
                .unwrap()
                .unsqueeze(0)
                .unwrap();
            assert_eq!(fast.dims(), &[1, rows, 7]);
            let d = crate::testing::max_abs(&(&fast - &plain).unwrap()).unwrap();
            assert!(d < 1e-5, "{rows} rows: {d}");
            let probe = Tensor::randn(0f32, 1.0, (1, rows, 7), &dev).unwrap();
            let gf = crate::testing::projected_grads(&fast, &probe).unwrap();
            let gp = crate::testing::projected_grads(&plain, &probe).unwrap();
            for v in [&w, &bias, &x] {
                let (a, b) = (gf.get(v).unwrap(), gp.get(v).unwrap());
                let d = crate::testing::max_abs(&(a - b).unwrap()).unwrap();
                assert!(d < 1e-4, "{rows} rows: gradient differs by {d}");
            }
        }
    }
}
