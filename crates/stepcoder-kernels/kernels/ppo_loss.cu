// Masked clipped PPO policy loss and its gradient w.r.t. logp. A single block walks the
// batch: the loss needs the mask sum anyway, and B*T is small next to the logits.
#include "common.cuh"

// aux = [old_logp; adv; mask], each n floats.
__device__ __forceinline__ float surrogate(float logp, float old, float adv, float eps,
                                           bool *clipped) {
  float r = expf(logp - old);
  float un = r * adv;
  float cl = fminf(fmaxf(r, 1.f - eps), 1.f + eps) * adv;
  *clipped = !(un <= cl);
  return *clipped ? cl : un;
}

// out[0] = -(1/sum m) * sum m * min(r A, clip(r) A)   (0 when sum m == 0)
extern "C" __global__ void ppo_loss_fwd_f32(const float *logp, const float *aux, float *out,
                                            int n, float eps) {
  const float *old = aux, *adv = aux + n, *mask = aux + 2 * (size_t)n;
  double acc = 0.0, msum = 0.0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    bool clipped;
    float s = surrogate(logp[i], old[i], adv[i], eps, &clipped);
    acc += (double)mask[i] * s;
    msum += mask[i];
  }
  acc = block_sum(acc);
  msum = block_sum(msum);
  if (threadIdx.x == 0) out[0] = (float)(-acc * (msum > 0.0 ? 1.0 / msum : 1.0));
}

// out[i] = -g * m_i / sum m * r_i A_i where the unclipped branch is the minimum, else 0.
extern "C" __global__ void ppo_loss_bwd_f32(const float *logp, const float *aux, const float *g,
                                            float *out, int n, float eps) {
  const float *old = aux, *adv = aux + n, *mask = aux + 2 * (size_t)n;
  double msum = 0.0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) msum += mask[i];
  msum = block_sum(msum);
  double scale = -(double)g[0] * (msum > 0.0 ? 1.0 / msum : 1.0);
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    bool clipped;
    surrogate(logp[i], old[i], adv[i], eps, &clipped);
    float r = expf(logp[i] - old[i]);
    out[i] = clipped ? 0.f : (float)(scale * mask[i] * r * adv[i]);
  }
}
