// Fused log-softmax + gather (forward) and its gradient w.r.t. the logits (backward).
// One block per row of logits; the row is read once per pass with the online max/sum
// recurrence, so the forward never writes a [rows, V] tensor.
#include "common.cuh"

// Log-sum-exp of one row, computed by the whole block; every thread gets the result.
template <typename T> __device__ float block_logsumexp(const T *row, int vocab) {
  __shared__ float sm[32], ss[32];
  float m = -INFINITY, s = 0.f;
  for (int j = threadIdx.x; j < vocab; j += blockDim.x) lse_merge(m, s, to_f32(row[j]), 1.f);
  for (int off = 16; off > 0; off >>= 1) {
    float om = __shfl_xor_sync(0xffffffffu, m, off);
    float os = __shfl_xor_sync(0xffffffffu, s, off);
    lse_merge(m, s, om, os);
  }
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32, nw = (blockDim.x + 31) / 32;
  if (lane == 0) { sm[warp] = m; ss[warp] = s; }
  __syncthreads();
  if (warp == 0) {
    m = lane < nw ? sm[lane] : -INFINITY;
    s = lane < nw ? ss[lane] : 0.f;
    for (int off = 16; off > 0; off >>= 1) {
      float om = __shfl_xor_sync(0xffffffffu, m, off);
      float os = __shfl_xor_sync(0xffffffffu, s, off);
      lse_merge(m, s, om, os);
    }
    if (lane == 0) { sm[0] = m; ss[0] = s; }
  }
  __syncthreads();
  float lse = sm[0] + logf(ss[0]);
  __syncthreads();
  return lse;
}

// out[row] = logits[row, ids[row]] - logsumexp(logits[row, :]); NaN for an id >= vocab.
template <typename T>
__device__ void logprob_fwd(const T *logits, const uint32_t *ids, float *out, int vocab) {
  const T *row = logits + (size_t)blockIdx.x * vocab;
  float lse = block_logsumexp(row, vocab);
  if (threadIdx.x == 0) {
    uint32_t id = ids[blockIdx.x];
    out[blockIdx.x] = id < (uint32_t)vocab ? to_f32(row[id]) - lse : NAN;
  }
}

// grad_logits[row, j] = grad[row] * (onehot(ids[row])_j - softmax(logits[row, :])_j).
template <typename T>
__device__ void logprob_bwd(const T *logits, const uint32_t *ids, const float *grad, T *out,
                            int vocab) {
  const T *row = logits + (size_t)blockIdx.x * vocab;
  T *orow = out + (size_t)blockIdx.x * vocab;
  float lse = block_logsumexp(row, vocab);
  float g = grad[blockIdx.x];
  uint32_t id = ids[blockIdx.x];
  for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
    float p = expf(to_f32(row[j]) - lse);
    float onehot = (uint32_t)j == id ? 1.f : 0.f;
    orow[j] = from_f32<T>(g * (onehot - p));
  }
}

#define LOGPROB_OPS(NAME, T)                                                                    \
  extern "C" __global__ void logprob_fwd_##NAME(const T *logits, const uint32_t *ids,           \
                                                float *out, int vocab) {                        \
    logprob_fwd<T>(logits, ids, out, vocab);                                                    \
  }                                                                                             \
  extern "C" __global__ void logprob_bwd_##NAME(const T *logits, const uint32_t *ids,           \
                                                const float *grad, T *out, int vocab) {         \
    logprob_bwd<T>(logits, ids, grad, out, vocab);                                              \
  }

LOGPROB_OPS(f32, float)
LOGPROB_OPS(f16, __half)
LOGPROB_OPS(bf16, __nv_bfloat16)
