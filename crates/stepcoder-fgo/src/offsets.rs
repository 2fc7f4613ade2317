//! Token offsets for tokenizers that give none, by incremental decoding.

use crate::FgoError;

/// Rebuilds the completion text and each token's byte range from a decode function.
///
/// Sampled tokens come as ids; `tokenizers` offsets exist only for text that was encoded. This
/// decodes a short window around each new token (as streaming decoders do, so SentencePiece's
/// leading-space rules and byte-fallback tokens work) and gives each token the text it added.
/// Tokens that end inside a multi-byte UTF-8 character (byte-level BPE) add nothing until the
/// character completes; they then share the range of the character, as `tokenizers` offsets
/// do. Special tokens that decode to nothing get an empty range (see
/// [`crate::Outside`]). Trailing tokens that never complete a character keep empty ranges at
/// the end, and their replacement characters are not added to the text.
///
/// `decode` must decode a slice of ids to text (skipping special tokens).
pub fn offsets_by_decoding<E: std::fmt::Display>(
    ids: &[u32],
    mut decode: impl FnMut(&[u32]) -> Result<String, E>,
) -> Result<(String, Vec<(usize, usize)>), FgoError> {
    let mut text = String::new();
    let mut offsets = Vec::with_capacity(ids.len());
    // Window start (context for the decoder) and first token not yet turned into text.
    let mut prefix_start = 0usize;
    let mut read_start = 0usize;
    let mut dec = |from: usize, to: usize| {
        decode(&ids[from..to]).map_err(|e| FgoError::Decode {
            from,
            to,
            message: e.to_string(),
        })
    };
    for i in 0..ids.len() {
        let before = dec(prefix_start, read_start)?;
        let after = dec(prefix_start, i + 1)?;
        let added = after
            .strip_prefix(before.as_str())
            .filter(|s| !s.is_empty() && !s.ends_with('\u{FFFD}'));
        match added {
            Some(piece) => {
                let start = text.len();
                text.push_str(piece);
                let range = (start, text.len());
                offsets.truncate(read_start);
                offsets.resize(i + 1, range);
                prefix_start = read_start;
                read_start = i + 1;
            }
            None => offsets.push((text.len(), text.len())),
        }
    }
    Ok((text, offsets))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A byte-level "tokenizer": every id is one byte; id 256 is a special token (EOS).
    fn decode(ids: &[u32]) -> Result<String, String> {
        let bytes: Vec<u8> = ids.iter().filter(|&&i| i < 256).map(|&i| i as u8).collect();
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    #[test]
    fn multi_byte_characters_share_one_range() {
        let src = "é=1\n";
        let mut ids: Vec<u32> = src.bytes().map(u32::from).collect();
        ids.push(256);
        let (text, offs) = offsets_by_decoding(&ids, decode).unwrap();
        assert_eq!(text, src);
        assert_eq!(offs, vec![(0, 2), (0, 2), (2, 3), (3, 4), (4, 5), (5, 5)]);
    }

    #[test]
    fn incomplete_tail_stays_empty() {
        let ids = vec![u32::from(b'a'), 0xE2, 0x82];
        let (text, offs) = offsets_by_decoding(&ids, decode).unwrap();
        assert_eq!(text, "a");
        assert_eq!(offs, vec![(0, 1), (1, 1), (1, 1)]);
    }

    #[test]
    fn decode_errors_say_which_tokens() {
        let err = offsets_by_decoding(&[1, 2], |ids: &[u32]| {
            if ids.len() > 1 {
                Err("bad id")
            } else {
                Ok(String::new())
            }
        })
        .unwrap_err();
        assert!(err.to_string().contains("bad id"), "{err}");
    }
}
