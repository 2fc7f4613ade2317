#!/usr/bin/env python3
"""PyTorch baseline for `stepcoder bench model`: the same Llama shapes, the same work.

Train: forward + next-token cross-entropy + backward + AdamW step on a (batch, seq) token batch.
Sample: KV-cache decoding of `new_tokens` tokens (temperature 1) after a (seq - new_tokens)
prompt, all rows together. Prints one JSON object: {shape: {torch_train_tokens_per_s, ...}}.
On the CPU by default; --device cuda --dtype bf16 runs on a GPU with the forward under bf16
autocast over f32 weights (stepcoder's mixed precision).
"""
import contextlib
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    "llama_7m": dict(vocab=8192, hidden=256, layers=4, heads=8, kv_heads=8, inter=688,
                     tied=False, theta=10000.0, batch=8, seq=256),
    "smollm2_135m": dict(vocab=49152, hidden=576, layers=30, heads=9, kv_heads=3, inter=1536,
                         tied=True, theta=100000.0, batch=4, seq=256),
}


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Block(nn.Module):
    def __init__(self, s):
        super().__init__()
        h, hd = s["hidden"], s["hidden"] // s["heads"]
        self.nh, self.nkv, self.hd = s["heads"], s["kv_heads"], hd
        self.q = nn.Linear(h, self.nh * hd, bias=False)
        self.k = nn.Linear(h, self.nkv * hd, bias=False)
        self.v = nn.Linear(h, self.nkv * hd, bias=False)
        self.o = nn.Linear(self.nh * hd, h, bias=False)
        self.gate = nn.Linear(h, s["inter"], bias=False)
        self.up = nn.Linear(h, s["inter"], bias=False)
        self.down = nn.Linear(s["inter"], h, bias=False)
        self.n1, self.n2 = RMSNorm(h), RMSNorm(h)

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
        rep = self.nh // self.nkv
        if rep > 1:
            k = k.repeat_interleave(rep, 1)
            v = v.repeat_interleave(rep, 1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)
        s = k.shape[2]
        if t > 1:
            mask = torch.full((t, s), float("-inf"), device=x.device, dtype=att.dtype)
            mask = mask.triu(s - t + 1)
            att = att + mask
        att = att.softmax(-1)
        x = x + self.o((att @ v).transpose(1, 2).reshape(b, t, -1))
        y = self.n2(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class Llama(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s
        self.embed = nn.Embedding(s["vocab"], s["hidden"])
        self.blocks = nn.ModuleList(Block(s) for _ in range(s["layers"]))
        self.norm = RMSNorm(s["hidden"])
        self.head = nn.Linear(s["hidden"], s["vocab"], bias=False)
        if s["tied"]:
            self.head.weight = self.embed.weight
        hd = s["hidden"] // s["heads"]
        self.register_buffer(
            "inv", 1.0 / (s["theta"] ** (torch.arange(0, hd, 2).float() / hd)), persistent=False)

    def forward(self, ids, past=0, caches=None):
        t = ids.shape[1]
        pos = torch.arange(past, past + t, device=ids.device).float()
        f = torch.outer(pos, self.inv)
        emb = torch.cat([f, f], -1)
        x = self.embed(ids)
        dt = torch.bfloat16 if torch.is_autocast_enabled(ids.device.type) else x.dtype
        cos, sin = emb.cos().to(dt), emb.sin().to(dt)
        for i, blk in enumerate(self.blocks):
            x = blk(x, cos, sin, None if caches is None else caches[i])
        return self.head(self.norm(x))


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def autocast(dev, dtype):
    if dtype == "bf16":
        return torch.autocast(dev.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def bench_train(s, steps, dev, dtype):
    torch.manual_seed(0)
    m = Llama(s).to(dev)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4)
    ids = torch.randint(0, s["vocab"], (s["batch"], s["seq"]), device=dev)

    def step():
        with autocast(dev, dtype):
            logits = m(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, s["vocab"]).float(),
                               ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    sync(dev)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync(dev)
    dt = (time.perf_counter() - t0) / steps
    return s["batch"] * s["seq"] / dt


@torch.no_grad()
def bench_sample(s, new_tokens, dev, dtype):
    torch.manual_seed(1)
    m = Llama(s).eval().to(dev)
    if dtype == "bf16":
        m = m.to(torch.bfloat16)
    b, plen = s["batch"], max(1, s["seq"] - new_tokens)
    ids = torch.randint(0, s["vocab"], (b, plen), device=dev)
    g = torch.Generator(device=dev).manual_seed(7)
    sync(dev)
    t0 = time.perf_counter()
    caches = [[] for _ in m.blocks]
    logits = m(ids, 0, caches)[:, -1]
    past, n = plen, 0
    for _ in range(new_tokens):
        tok = torch.multinomial(logits.float().softmax(-1), 1, generator=g)
        n += b
        logits = m(tok, past, caches)[:, -1]
        past += 1
    sync(dev)
    return n / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", default="llama_7m,smollm2_135m")
    ap.add_argument("--train-steps", type=int, default=3)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    out = {"torch_version": torch.__version__, "threads": a.threads, "device": dev.type,
           "dtype": a.dtype}
    for name in a.shapes.split(","):
        s = SHAPES[name]
        out[name] = {
            "torch_train_tokens_per_s": bench_train(s, a.train_steps, dev, a.dtype),
            "torch_sample_tokens_per_s": bench_sample(s, a.new_tokens, dev, a.dtype),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
