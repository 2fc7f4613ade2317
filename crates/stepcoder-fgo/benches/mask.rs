//! Masking 64 completions of 1,024 tokens each (one PPO rollout batch), FGO against the full
//! mask as the baseline. Prints microseconds per completion and the ratio, then runs criterion.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use stepcoder_core::{CompletionSpan, ExecReport, Outcome, TestReport, TokenMasker};
use stepcoder_fgo::{CoverageMask, FullMask, Program};

const COMPLETIONS: usize = 64;
const TOKENS: usize = 1024;

/// A small deterministic generator (no dependency needed for a benchmark fixture).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const BODY: &[&str] = &[
    "    total = sum(values[i] * weight for i in range(n))",
    "    if total > limit:",
    "        best = max(best, total)  # keep the best",
    "    else:",
    "        seen.append((i, total))",
    "    for j in range(i + 1, n):",
    "        counts[key(j)] = counts.get(key(j), 0) + 1",
    "    return best if best is not None else -1",
    "",
    "    # a comment line",
    "    data = [int(x) for x in input().split()]",
];

struct Sample {
    text: String,
    offsets: Vec<(usize, usize)>,
    report: ExecReport,
}

fn sample(rng: &mut Lcg) -> Sample {
    let mut text = String::from("Here is the solution:\n```python\n");
    let mut offsets: Vec<(usize, usize)> = Vec::new();
    let mut f = 0;
    while offsets.len() < TOKENS {
        let line = if text.ends_with("```python\n") || rng.next().is_multiple_of(12) {
            f += 1;
            format!("def helper_{f}(values, n, limit):")
        } else {
            BODY[(rng.next() as usize) % BODY.len()].to_string()
        };
        text.push_str(&line);
        text.push('\n');
        // Re-tokenize the new line: words, space runs, single other characters.
        let start = text.len() - line.len() - 1;
        let mut tok_start = start;
        let bytes = text.as_bytes();
        for i in start..text.len() {
            let c = bytes[i];
            let same = |d: u8| {
                (c.is_ascii_alphanumeric() && d.is_ascii_alphanumeric()) || (c == b' ' && d == b' ')
            };
            if i + 1 == text.len() || !same(bytes[i + 1]) {
                offsets.push((tok_start, i + 1));
                tok_start = i + 1;
            }
        }
    }
    offsets.truncate(TOKENS);
    let program = Program::extract("", &text, Default::default());
    let lines = program.line_count() as u32;
    let executable: Vec<u32> = (1..=lines).collect();
    let executed: Vec<u32> = executable
        .iter()
        .copied()
        .filter(|_| !rng.next().is_multiple_of(3))
        .collect();
    let mut t = TestReport::new(Outcome::Passed);
    t.executed_lines = executed;
    let mut report = ExecReport::from_tests(vec![t]);
    report.executable_lines = executable;
    Sample {
        text,
        offsets,
        report,
    }
}

fn batch() -> Vec<Sample> {
    let mut rng = Lcg(7);
    (0..COMPLETIONS).map(|_| sample(&mut rng)).collect()
}

fn mask_all(masker: &dyn TokenMasker, samples: &[Sample]) -> usize {
    samples
        .iter()
        .map(|s| {
            let span = CompletionSpan {
                text: &s.text,
                token_offsets: &s.offsets,
                prefix: "",
                stops: &[],
            };
            masker.mask(&span, &s.report).len()
        })
        .sum()
}

fn per_completion_us(masker: &dyn TokenMasker, samples: &[Sample]) -> f64 {
    let reps = 50;
    let t = Instant::now();
    for _ in 0..reps {
        black_box(mask_all(masker, black_box(samples)));
    }
    t.elapsed().as_secs_f64() * 1e6 / (reps * samples.len()) as f64
}

fn bench(c: &mut Criterion) {
    let samples = batch();
    assert_eq!(mask_all(&FullMask, &samples), COMPLETIONS * TOKENS);
    let fgo = CoverageMask::default();
    let fgo_us = per_completion_us(&fgo, &samples);
    let full_us = per_completion_us(&FullMask, &samples);
    println!(
        "masking {COMPLETIONS} completions x {TOKENS} tokens: FGO {fgo_us:.1} us/completion, \
         full mask {full_us:.2} us/completion (FGO/full = {:.0}x)",
        fgo_us / full_us
    );

    let mut g = c.benchmark_group("mask_64x1024");
    g.throughput(Throughput::Elements(COMPLETIONS as u64));
    g.bench_function("coverage_mask", |b| {
        b.iter(|| mask_all(&fgo, black_box(&samples)))
    });
    g.bench_function("full_mask", |b| {
        b.iter(|| mask_all(&FullMask, black_box(&samples)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
