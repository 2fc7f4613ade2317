//! PPO written out by hand, on a constructed batch, against what the trainer computes in
//! each way it can lay out and score a batch.

use super::fixtures::sampled_rollout;
use super::*;
use stepcoder_model::testing::tiny_config;

/// `log p(token)` of each row's completion tokens under `model`, each row run alone on
/// its whole sequence (prompt, then completion) and the log-softmax taken in f64.
fn log_probs(model: &CausalLm, roll: &Rollout) -> Vec<Vec<f64>> {
    (0..roll.rows)
        .map(|r| {
            let prompt = &roll.prompts[roll.prompt_of[r]];
            let seq: Vec<u32> = prompt.iter().chain(&roll.completions[r]).copied().collect();
            let input = Tensor::from_vec(seq.clone(), (1, seq.len()), model.device()).unwrap();
            let hidden = model.forward_hidden(&input, None, None).unwrap();
            let logits: Vec<Vec<f32>> = model
                .logits(&hidden)
                .unwrap()
                .squeeze(0)
                .unwrap()
                .to_vec2()
                .unwrap();
            roll.completions[r]
                .iter()
                .enumerate()
                .map(|(j, &tok)| {
                    let l = &logits[prompt.len() - 1 + j];
                    let max = l.iter().fold(f32::MIN, |a, &b| a.max(b)) as f64;
                    let lse = max + l.iter().map(|&x| (x as f64 - max).exp()).sum::<f64>().ln();
                    l[tok as usize] as f64 - lse
                })
                .collect()
        })
        .collect()
}

fn rows_of(t: &Tensor) -> Vec<Vec<f32>> {
    t.to_vec2().unwrap()
}

/// The ratio, the KL, the group advantages, the masks, the clipped loss and its gradient
/// computed by the trainer (shared prompt, packed, per row; old log-probs from the
/// sampling states or from scoring again) equal the same quantities written out here from
/// plain per-row forwards: `r = exp(logp - old)`, `kl = old - ref`, the outcome reward
/// against its group's mean over the group's standard deviation plus the KL return
/// against its group's mean, and
/// `L = -(1 / sum m) sum_t m_t min(r_t A_t, clip(r_t, 1 - eps, 1 + eps) A_t)` over
/// `m = response mask x FGO mask`, whose gradient is `-(m_t / sum m) A_t r_t grad logp_t`
/// where the unclipped term is the smaller one and 0 where the clipped one is.
#[test]
fn the_trainer_computes_ppo_as_written_out_by_hand() {
    let dev = Device::Cpu;
    let policy = CausalLm::random(tiny_config(), DType::F32, &dev, 3)
        .unwrap()
        .trainable_copy()
        .unwrap();
    let reference = CausalLm::random(tiny_config(), DType::F32, &dev, 4).unwrap();
    let head = ValueHead::new(tiny_config().hidden_size, DType::F32, &dev).unwrap();
    // FGO: a few tokens of every row out of the policy loss.
    let mut roll = sampled_rollout(&policy, |r, j| if (r + j) % 3 == 1 { 0.0 } else { 1.0 });
    let states = roll.sampled_states.take();
    let lens: Vec<usize> = roll.completions.iter().map(Vec::len).collect();
    let (rows, r_len) = roll.targets.dims2().unwrap();
    let all: Vec<usize> = (0..rows).collect();
    let fgo = rows_of(&roll.fgo_mask);

    // By hand: log-probs, KL, advantages.
    let beta = 0.1;
    let outcome = [1.0f32, -0.3, -1.0, -0.3, -0.3];
    let logp = log_probs(&policy, &roll);
    let ref_logp = log_probs(&reference, &roll);
    let kl_return: Vec<f64> = (0..rows)
        .map(|r| {
            -beta
                * (0..lens[r])
                    .map(|j| logp[r][j] - ref_logp[r][j])
                    .sum::<f64>()
        })
        .collect();
    let eps = GroupBaseline::default().eps as f64;
    let mut adv = vec![0f64; rows];
    for group in [&all[..3], &all[3..]] {
        let n = group.len() as f64;
        let mean_o = group.iter().map(|&r| outcome[r] as f64).sum::<f64>() / n;
        let std_o = (group
            .iter()
            .map(|&r| (outcome[r] as f64 - mean_o).powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        let mean_k = group.iter().map(|&r| kl_return[r]).sum::<f64>() / n;
        for &r in group {
            let a = outcome[r] as f64 - mean_o;
            let a = if a == 0.0 { 0.0 } else { a / (std_o + eps) };
            adv[r] = a + kl_return[r] - mean_k;
        }
    }
    let tokens: usize = lens.iter().sum();
    let kl_mean = (0..rows)
        .map(|r| {
            (0..lens[r])
                .map(|j| logp[r][j] - ref_logp[r][j])
                .sum::<f64>()
        })
        .sum::<f64>()
        / tokens as f64;
    // Old log-probs moved off the current ones so that ratios leave the clip range both
    // ways: r = exp(-shift) is 1.65, 1 or 0.61.
    let shift = |r: usize, j: usize| [0.5f32, 0.0, -0.5][(r + 2 * j) % 3];
    let clip_eps = 0.2f64;

    let ways = [
        (WindowLayout::PerRow, false),
        (WindowLayout::SharedPrompt, false),
        (WindowLayout::Packed { max_tokens: 1024 }, false),
        (WindowLayout::Packed { max_tokens: 6 }, false),
        (WindowLayout::SharedPrompt, true),
        (WindowLayout::Packed { max_tokens: 1024 }, true),
    ];
    for (layout, from_sampling) in ways {
        let way = format!("{layout:?}, scored from sampling: {from_sampling}");
        roll.sampled_states = if from_sampling { states.clone() } else { None };
        let scores = roll.score(&policy, &reference, &head, 2, layout).unwrap();
        let (old, refs) = (rows_of(&scores.old_logp), rows_of(&scores.ref_logp));
        for r in 0..rows {
            for j in 0..r_len {
                let (o, f) = if j < lens[r] {
                    (logp[r][j], ref_logp[r][j])
                } else {
                    (0.0, 0.0)
                };
                assert!(
                    (old[r][j] as f64 - o).abs() < 1e-4,
                    "{way}: old log p [{r}][{j}]"
                );
                assert!(
                    (refs[r][j] as f64 - f).abs() < 1e-4,
                    "{way}: ref log p [{r}][{j}]"
                );
            }
        }
        let (advantages, kl) = token_advantages(
            &roll,
            &scores,
            outcome.to_vec(),
            beta,
            &GroupBaseline::default(),
        )
        .unwrap();
        assert!(
            (kl - kl_mean).abs() < 1e-5,
            "{way}: mean KL {kl} vs {kl_mean}"
        );
        for (r, row) in rows_of(&advantages.advantages).iter().enumerate() {
            for (j, &a) in row.iter().enumerate() {
                let want = if j < lens[r] { adv[r] } else { 0.0 };
                assert!((a as f64 - want).abs() < 1e-4, "{way}: A[{r}][{j}]");
            }
        }

        // The loss and its gradient at the shifted old log-probs.
        let shifted: Vec<f32> = (0..rows * r_len)
            .map(|i| {
                let (r, j) = (i / r_len, i % r_len);
                if j < lens[r] {
                    old[r][j] + shift(r, j)
                } else {
                    0.0
                }
            })
            .collect();
        let scores = Scores {
            old_logp: Tensor::from_vec(shifted.clone(), (rows, r_len), &dev).unwrap(),
            ..scores
        };
        let objective = Objective {
            roll: &roll,
            scores: &scores,
            adv: &advantages,
            policy_mask: (&roll.resp_mask * &roll.fgo_mask).unwrap(),
            layout,
            loss: LossConfig {
                clip_eps: clip_eps as f32,
                entropy_coef: 0.0,
                ..LossConfig::default()
            },
            use_critic: false,
        };
        let got = objective.minibatch_loss(&policy, &head, &all).unwrap();

        let m_sum: f64 = (0..rows)
            .flat_map(|r| (0..lens[r]).map(move |j| (r, j)))
            .map(|(r, j)| fgo[r][j] as f64)
            .sum();
        let (mut loss, mut clipped, mut coef) = (0f64, 0f64, vec![vec![0f64; r_len]; rows]);
        for r in 0..rows {
            for j in 0..lens[r] {
                let m = fgo[r][j] as f64;
                let ratio = (logp[r][j] - shifted[r * r_len + j] as f64).exp();
                let a = adv[r];
                let unclipped = ratio * a;
                let clipped_term = ratio.clamp(1.0 - clip_eps, 1.0 + clip_eps) * a;
                loss -= m * unclipped.min(clipped_term) / m_sum;
                if (ratio - 1.0).abs() > clip_eps {
                    clipped += m;
                }
                // d min(.)/d logp: r A through the unclipped term where it is the smaller
                // (inside the clip range both are r A), 0 where the clipped one is.
                if unclipped <= clipped_term {
                    coef[r][j] = -m * a * ratio / m_sum;
                }
            }
        }
        let got_loss = got.policy.to_scalar::<f32>().unwrap() as f64;
        assert!(
            (got_loss - loss).abs() < 1e-4,
            "{way}: loss {got_loss} vs {loss}"
        );
        assert!(
            (got.stats.clip_fraction - clipped / m_sum).abs() < 1e-9,
            "{way}: clip fraction"
        );
        assert!(
            coef.iter().flatten().filter(|c| **c == 0.0).count() > 5,
            "some tokens are clipped or masked"
        );

        // The hand gradient: sum_t coef_t * log p_t, per row on its whole sequence.
        let mut surrogate = Tensor::zeros((), DType::F32, &dev).unwrap();
        for r in 0..rows {
            let prompt = &roll.prompts[roll.prompt_of[r]];
            let seq: Vec<u32> = prompt.iter().chain(&roll.completions[r]).copied().collect();
            let input = Tensor::from_vec(seq.clone(), (1, seq.len()), &dev).unwrap();
            let hidden = policy.forward_hidden(&input, None, None).unwrap();
            let hidden = hidden.narrow(1, prompt.len() - 1, lens[r]).unwrap();
            let lp = candle_nn::ops::log_softmax(&policy.logits(&hidden).unwrap(), 2).unwrap();
            let ids = Tensor::from_vec(roll.completions[r].clone(), (1, lens[r], 1), &dev).unwrap();
            let picked = lp.gather(&ids, 2).unwrap().flatten_all().unwrap();
            let c: Vec<f32> = coef[r][..lens[r]].iter().map(|&c| c as f32).collect();
            let c = Tensor::from_vec(c, lens[r], &dev).unwrap();
            surrogate = (surrogate + (picked * c).unwrap().sum_all().unwrap()).unwrap();
        }
        let (want, have) = (surrogate.backward().unwrap(), got.total.backward().unwrap());
        for var in policy.varmap().all_vars() {
            let (w, h) = (want.get(&var).unwrap(), have.get(&var).unwrap());
            let scale = stepcoder_model::testing::max_abs(w).unwrap();
            let diff = stepcoder_model::testing::max_abs(&(w - h).unwrap()).unwrap();
            assert!(
                diff <= 1e-4 * scale.max(1e-3),
                "{way}: gradient differs by {diff} (scale {scale})"
            );
        }
    }
}
