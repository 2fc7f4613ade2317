#!/usr/bin/env python3
"""PyTorch eager baseline for `stepcoder bench ppo-step`: the same PPO step, the same shapes.

One step = batched sampling (KV cache, temperature 1, `rows` rows of `new_tokens` tokens after
`prompt_len`-token prompts, no early stop), then the training pass: the forward over prompt +
completion, the completion tokens' log-probs, the masked clipped PPO loss against fixed
advantages, the backward and an AdamW step (lr 1e-4, betas 0.9/0.999, eps 1e-8, weight decay
0.01; PyTorch's default implementation). Random weights; f32 master weights; with
--dtype bf16 the forward runs under autocast (bf16), as stepcoder's mixed precision does.
Attention is PyTorch's scaled_dot_product_attention (eager mode, no torch.compile).

Prints one JSON object with the same keys as `stepcoder bench ppo-step --json`'s figures:
generation_s, forward_s, backward_s, optimizer_s, train_s, step_s (means over --steps timed
steps after one warm-up step), sample_tokens_per_s, train_tokens_per_s, loss.
"""
import argparse
import contextlib
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# The shapes of stepcoder_model::bench::PpoStepShape (same configs, same default batch).
SHAPES = {
    "qwen2_5_0_5b": dict(vocab=151936, hidden=896, inter=4864, layers=24, heads=14, kv_heads=2,
                         theta=1e6, eps=1e-6, tied=True, qkv_bias=True,
                         rows=16, prompt_len=256, new_tokens=128),
    "smollm2_135m": dict(vocab=49152, hidden=576, inter=1536, layers=30, heads=9, kv_heads=3,
                         theta=1e5, eps=1e-5, tied=True, qkv_bias=False,
                         rows=8, prompt_len=256, new_tokens=128),
    # Config::tiny_llama(512, 64, 2, 4, 2): intermediate 64 * 8 / 3 / 8 * 8 = 168.
    "tiny": dict(vocab=512, hidden=64, inter=168, layers=2, heads=4, kv_heads=2,
                 theta=1e4, eps=1e-5, tied=False, qkv_bias=False,
                 rows=4, prompt_len=32, new_tokens=16),
}


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * self.weight.float()).to(x.dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def attention(q, k, v, causal, rep):
    try:
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=rep > 1)
    except TypeError:  # torch < 2.5: no enable_gqa
        if rep > 1:
            k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


class Block(nn.Module):
    def __init__(self, s):
        super().__init__()
        h, hd = s["hidden"], s["hidden"] // s["heads"]
        self.nh, self.nkv, self.hd = s["heads"], s["kv_heads"], hd
        b = s["qkv_bias"]
        self.q = nn.Linear(h, self.nh * hd, bias=b)
        self.k = nn.Linear(h, self.nkv * hd, bias=b)
        self.v = nn.Linear(h, self.nkv * hd, bias=b)
        self.o = nn.Linear(self.nh * hd, h, bias=False)
        self.gate = nn.Linear(h, s["inter"], bias=False)
        self.up = nn.Linear(h, s["inter"], bias=False)
        self.down = nn.Linear(s["inter"], h, bias=False)
        self.n1, self.n2 = RMSNorm(h, s["eps"]), RMSNorm(h, s["eps"])

    def forward(self, x, cos, sin, cache=None):
        b, t, _ = x.shape
        y = self.n1(x)
        q = self.q(y).view(b, t, self.nh, self.hd).transpose(1, 2)
        k = self.k(y).view(b, t, self.nkv, self.hd).transpose(1, 2)
        v = self.v(y).view(b, t, self.nkv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            if cache:
                k = torch.cat([cache[0], k], 2)
                v = torch.cat([cache[1], v], 2)
            cache[:] = [k, v]
        # A single new token attends to everything cached: no mask needed.
        a = attention(q, k, v, causal=t > 1, rep=self.nh // self.nkv)
        x = x + self.o(a.transpose(1, 2).reshape(b, t, -1))
        y = self.n2(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class Lm(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.embed = nn.Embedding(s["vocab"], s["hidden"])
        self.blocks = nn.ModuleList(Block(s) for _ in range(s["layers"]))
        self.norm = RMSNorm(s["hidden"], s["eps"])
        self.head = nn.Linear(s["hidden"], s["vocab"], bias=False)
        if s["tied"]:
            self.head.weight = self.embed.weight
        hd = s["hidden"] // s["heads"]
        self.register_buffer(
            "inv", 1.0 / (s["theta"] ** (torch.arange(0, hd, 2).float() / hd)), persistent=False)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def hidden(self, ids, past=0, caches=None):
        t = ids.shape[1]
        pos = torch.arange(past, past + t, device=ids.device).float()
        f = torch.outer(pos, self.inv)
        emb = torch.cat([f, f], -1)
        x = self.embed(ids)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        for i, blk in enumerate(self.blocks):
            x = blk(x, cos, sin, None if caches is None else caches[i])
        return self.norm(x)


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="qwen2_5_0_5b", choices=sorted(SHAPES))
    ap.add_argument("--rows", type=int)
    ap.add_argument("--prompt-len", type=int)
    ap.add_argument("--new-tokens", type=int)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--dtype", choices=["bf16", "f32"], default=None,
                    help="forward dtype (default: bf16 on a GPU, f32 on the CPU)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    s = dict(SHAPES[a.shape])
    rows = a.rows or s["rows"]
    p = a.prompt_len or s["prompt_len"]
    n = a.new_tokens or s["new_tokens"]
    dev = torch.device(a.device)
    torch.set_num_threads(a.threads)
    dtype = a.dtype or ("bf16" if dev.type == "cuda" else "f32")
    autocast = (torch.autocast(dev.type, dtype=torch.bfloat16) if dtype == "bf16"
                else contextlib.nullcontext())

    torch.manual_seed(3)
    model = Lm(s).to(dev)
    params = sum(x.numel() for x in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=0.01)
    prompts = torch.tensor([[(i * 31 + r * 17 + 3) % s["vocab"] for i in range(p)]
                            for r in range(rows)], device=dev)
    adv = torch.tensor([((i * 7919 % 1000) / 500.0) - 1.0 for i in range(rows * n)],
                       device=dev).view(rows, n)
    mask = torch.ones(rows, n, device=dev)
    gen_t = fwd_t = bwd_t = opt_t = 0.0
    loss_v = float("nan")
    g = torch.Generator(device=dev).manual_seed(11)
    for step in range(a.steps + 1):
        sync(dev)
        t0 = time.perf_counter()
        with torch.no_grad(), autocast:
            caches = [[] for _ in model.blocks]
            h = model.hidden(prompts, 0, caches)[:, -1]
            toks = []
            past = p
            for j in range(n):
                logits = model.head(h).float()
                tok = torch.multinomial(logits.softmax(-1), 1, generator=g)
                toks.append(tok)
                if j + 1 == n:
                    break
                h = model.hidden(tok, past, caches)[:, -1]
                past += 1
            completion = torch.cat(toks, 1)
        del caches
        sync(dev)
        t1 = time.perf_counter()
        ids = torch.cat([prompts, completion], 1)
        with autocast:
            hid = model.hidden(ids[:, :-1])[:, p - 1:p - 1 + n]
            logits = model.head(hid)
        logp = torch.log_softmax(logits.float(), -1).gather(-1, ids[:, p:].unsqueeze(-1))
        logp = logp.squeeze(-1)
        old = logp.detach() - 0.05
        ratio = torch.exp(logp - old)
        surr = torch.minimum(ratio * adv, ratio.clamp(0.8, 1.2) * adv)
        loss = -(surr * mask).sum() / mask.sum()
        sync(dev)
        t2 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        sync(dev)
        t3 = time.perf_counter()
        opt.step()
        sync(dev)
        t4 = time.perf_counter()
        loss_v = loss.item()
        if step > 0:
            gen_t += t1 - t0
            fwd_t += t2 - t1
            bwd_t += t3 - t2
            opt_t += t4 - t3
    k = max(a.steps, 1)
    gen_t, fwd_t, bwd_t, opt_t = gen_t / k, fwd_t / k, bwd_t / k, opt_t / k
    train = fwd_t + bwd_t + opt_t
    out = {
        "torch_version": torch.__version__,
        "shape": a.shape, "params": params, "rows": rows, "prompt_len": p, "new_tokens": n,
        "device": dev.type, "compute_dtype": dtype, "steps": k,
        "generation_s": gen_t, "forward_s": fwd_t, "backward_s": bwd_t, "optimizer_s": opt_t,
        "train_s": train, "step_s": gen_t + train,
        "sample_tokens_per_s": rows * n / max(gen_t, 1e-12),
        "train_tokens_per_s": rows * (p + n) / max(train, 1e-12),
        "loss": loss_v,
    }
    if dev.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(dev)
        out["max_memory_gb"] = torch.cuda.max_memory_allocated(dev) / 2**30
    print(json.dumps(out))


if __name__ == "__main__":
    main()
