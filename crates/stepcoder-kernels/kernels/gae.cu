// Generalized advantage estimation over a padded [B, T] batch: one thread per row, a
// backward scan over time. The episode of a row ends at its last token with mask > 0.
#include "common.cuh"

extern "C" __global__ void gae_f32(const float *rewards, const float *values, const float *mask,
                                   float *out, int rows, int t, float gamma, float lambda) {
  int row = blockIdx.x * blockDim.x + threadIdx.x;
  if (row >= rows) return;
  size_t base = (size_t)row * t;
  float next_adv = 0.f, next_value = 0.f, next_mask = 0.f;
  for (int k = t - 1; k >= 0; --k) {
    size_t i = base + k;
    if (!(mask[i] > 0.f)) {
      out[i] = 0.f;
      next_adv = 0.f; next_value = 0.f; next_mask = 0.f;
      continue;
    }
    float delta = rewards[i] + gamma * next_value * next_mask - values[i];
    float adv = delta + gamma * lambda * next_mask * next_adv;
    out[i] = adv;
    next_adv = adv; next_value = values[i]; next_mask = 1.f;
  }
}
