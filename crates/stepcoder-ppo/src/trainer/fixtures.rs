//! Rollouts for the trainer's tests, sampled from a real policy.

use super::*;

/// Two prompts (three and two rows), completions sampled from `policy` with ids that end
/// rows early, so rows differ in length; the sampling states kept. `fgo(row, j)` is the FGO
/// mask of token `j` of `row`.
pub(super) fn sampled_rollout(policy: &CausalLm, fgo: impl Fn(usize, usize) -> f32) -> Rollout {
    let dev = policy.device();
    let prompts = [vec![5u32, 9, 14, 3, 7, 22], vec![8, 2, 31]];
    let prompt_of = vec![0, 0, 0, 1, 1];
    let rows: Vec<Vec<u32>> = prompt_of.iter().map(|&p| prompts[p].clone()).collect();
    let sampling = SamplingConfig {
        max_new_tokens: 9,
        seed: 5,
        // Rows end at different steps (ids the random model samples now and then).
        eos_ids: vec![7, 19, 33],
        ..Default::default()
    };
    let (completions, states) =
        generate_with_hidden(policy, None, &rows, &sampling, |_, _| {}).unwrap();
    let completions: Vec<Vec<u32>> = completions.into_iter().map(|c| c.token_ids).collect();
    let lens: Vec<usize> = completions.iter().map(Vec::len).collect();
    assert!(lens.iter().any(|&n| n < 9), "some row ends early: {lens:?}");
    let r_len = *lens.iter().max().unwrap();
    let (mut targets, mut resp, mut fgo_mask) = (
        vec![0u32; 5 * r_len],
        vec![0f32; 5 * r_len],
        vec![0f32; 5 * r_len],
    );
    for (r, c) in completions.iter().enumerate() {
        for (j, &id) in c.iter().enumerate() {
            targets[r * r_len + j] = id;
            resp[r * r_len + j] = 1.0;
            fgo_mask[r * r_len + j] = fgo(r, j);
        }
    }
    let t = |v: Vec<f32>| Tensor::from_vec(v, (5, r_len), dev).unwrap();
    Rollout {
        prompt_of,
        prompts: prompts.to_vec(),
        completions,
        pad: 0,
        targets: Tensor::from_vec(targets, (5, r_len), dev).unwrap(),
        resp_mask: t(resp),
        fgo_mask: t(fgo_mask),
        rows: 5,
        groups: vec![0, 0, 0, 1, 1],
        sampled_states: Some(states),
    }
}
