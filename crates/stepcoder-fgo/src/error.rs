/// Everything that can go wrong in this crate.
///
/// The [`stepcoder_core::TokenMasker`] implementations never fail (a training step must not stop
/// on one odd completion: bad offsets are clamped); these errors come from the checked entry
/// points ([`crate::CoverageMask::explain`], [`crate::offsets_by_decoding`]).
#[derive(Debug, thiserror::Error)]
pub enum FgoError {
    /// A token's byte range does not fit the completion text.
    #[error(
        "token {index}: byte range {start}..{end} does not fit the completion text ({len} bytes)"
    )]
    TokenOutOfRange {
        index: usize,
        start: usize,
        end: usize,
        len: usize,
    },
    /// The tokenizer's decode function failed while rebuilding offsets.
    #[error("decoding tokens {from}..{to} failed: {message}")]
    Decode {
        from: usize,
        to: usize,
        message: String,
    },
}
