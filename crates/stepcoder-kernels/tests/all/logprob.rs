use candle_core::{DType, Device, Tensor, Var, D};
use stepcoder_kernels::{token_log_probs, KernelError};

use crate::{max_diff, tensor, values};

/// Plain candle: log_softmax over the vocabulary, then gather the ids.
fn reference(logits: &Tensor, ids: &Tensor) -> Tensor {
    let lsm = candle_nn::ops::log_softmax(logits, D::Minus1).unwrap();
    lsm.gather(&ids.unsqueeze(D::Minus1).unwrap(), D::Minus1)
        .unwrap()
        .squeeze(D::Minus1)
        .unwrap()
}

fn ids(shape: &[usize], vocab: usize, seed: u64) -> Tensor {
    let n = shape.iter().product();
    let v: Vec<u32> = values(n, seed, 0.0, vocab as f32)
        .into_iter()
        .map(|x| (x as u32).min(vocab as u32 - 1))
        .collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

#[test]
fn forward_matches_log_softmax_gather() {
    // Large logits (up to 60) check the running-max rescaling.
    let logits = tensor(&[3, 5, 37], 1, -60.0, 60.0);
    let ids = ids(&[3, 5], 37, 2);
    let got = token_log_probs(&logits, &ids).unwrap();
    assert_eq!(got.dims(), &[3, 5]);
    assert_eq!(got.dtype(), DType::F32);
    let want = reference(&logits, &ids);
    let d = max_diff(&got, &want);
    assert!(d < 1e-4, "max diff {d}");
}

#[test]
fn backward_matches_autograd_of_log_softmax_gather() {
    let init = tensor(&[2, 4, 11], 3, -4.0, 4.0);
    let ids = ids(&[2, 4], 11, 4);
    // Weight each position differently so the upstream gradient is not uniform.
    let w = tensor(&[2, 4], 5, -2.0, 2.0);

    let a = Var::from_tensor(&init).unwrap();
    let la = (token_log_probs(a.as_tensor(), &ids).unwrap() * &w)
        .unwrap()
        .sum_all()
        .unwrap();
    let ga = la.backward().unwrap().get(&a).unwrap().clone();

    let b = Var::from_tensor(&init).unwrap();
    let lb = (reference(b.as_tensor(), &ids) * &w)
        .unwrap()
        .sum_all()
        .unwrap();
    let gb = lb.backward().unwrap().get(&b).unwrap().clone();

    assert!((la.to_scalar::<f32>().unwrap() - lb.to_scalar::<f32>().unwrap()).abs() < 1e-4);
    let d = max_diff(&ga, &gb);
    assert!(d < 1e-5, "max gradient diff {d}");
    // Each row's gradient sums to 0 (onehot and softmax both sum to 1).
    let row_sums: Vec<Vec<f32>> = ga.sum(D::Minus1).unwrap().to_vec2().unwrap();
    assert!(row_sums.iter().flatten().all(|s| s.abs() < 1e-5));
}

#[test]
fn half_precision_logits_keep_f32_output_and_their_gradient_dtype() {
    let logits32 = tensor(&[4, 50], 6, -8.0, 8.0);
    let ids = ids(&[4], 50, 7);
    for dt in [DType::BF16, DType::F16, DType::F64] {
        let logits = logits32.to_dtype(dt).unwrap();
        let got = token_log_probs(&logits, &ids).unwrap();
        // Reference on the same (rounded) values, in f32.
        let want = reference(&logits.to_dtype(DType::F32).unwrap(), &ids);
        let d = max_diff(&got, &want);
        assert!(d < 1e-4, "{dt:?}: max diff {d}");
        let v = Var::from_tensor(&logits).unwrap();
        let g = token_log_probs(v.as_tensor(), &ids)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        assert_eq!(g.get(&v).unwrap().dtype(), dt);
    }
}

#[test]
fn integer_ids_of_other_dtypes_are_accepted() {
    let logits = tensor(&[2, 6], 8, -1.0, 1.0);
    let ids32 = Tensor::new(&[1u32, 5], &Device::Cpu).unwrap();
    let ids64 = Tensor::new(&[1i64, 5], &Device::Cpu).unwrap();
    let a = token_log_probs(&logits, &ids32).unwrap();
    let b = token_log_probs(&logits, &ids64).unwrap();
    assert_eq!(max_diff(&a, &b), 0.0);
}

#[test]
fn out_of_vocabulary_ids_and_bad_shapes_are_errors() {
    let logits = tensor(&[2, 6], 9, -1.0, 1.0);
    let bad = Tensor::new(&[1u32, 6], &Device::Cpu).unwrap();
    let err = token_log_probs(&logits, &bad).unwrap_err().to_string();
    assert!(err.contains("outside the vocabulary"), "{err}");
    let wrong_shape = Tensor::new(&[1u32, 2, 3], &Device::Cpu).unwrap();
    assert!(matches!(
        token_log_probs(&logits, &wrong_shape),
        Err(KernelError::Invalid { .. })
    ));
}

#[test]
fn non_contiguous_logits_are_handled() {
    // A transposed view: the op must read the logical layout, not the raw buffer.
    let base = tensor(&[9, 3], 10, -3.0, 3.0);
    let logits = base.t().unwrap(); // [3, 9], strided
    let ids = Tensor::new(&[0u32, 4, 8], &Device::Cpu).unwrap();
    let got = token_log_probs(&logits, &ids).unwrap();
    let want = reference(&logits.contiguous().unwrap(), &ids);
    assert!(max_diff(&got, &want) < 1e-5);
}
