//! Content codings undone before a body is stored: `gzip` (`x-gzip`), `deflate`, `br` and
//! `zstd`. A recording stores bodies decoded, so its personal data can be redacted and it
//! replays as plain HTTP.

use std::io::Read;

/// Largest decoded body kept as JSON or text; bigger ones stay encoded.
pub(crate) const MAX_DECODED: u64 = 256 * 1024 * 1024;

/// Whether `encoding` (a `content-encoding` value, lower-cased) is one this module decodes.
pub(crate) fn is_known(encoding: &str) -> bool {
    matches!(encoding, "gzip" | "x-gzip" | "deflate" | "br" | "zstd")
}

/// Decodes a body; `None` for an unknown coding, corrupt data, or more than [`MAX_DECODED`]
/// bytes once decoded.
pub(crate) fn decode(encoding: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let read = match encoding {
        "gzip" | "x-gzip" => flate2::read::MultiGzDecoder::new(bytes)
            .take(MAX_DECODED + 1)
            .read_to_end(&mut out),
        "deflate" => match flate2::read::ZlibDecoder::new(bytes)
            .take(MAX_DECODED + 1)
            .read_to_end(&mut out)
        {
            // Some servers send raw deflate without the zlib wrapper.
            Err(_) => {
                out.clear();
                flate2::read::DeflateDecoder::new(bytes)
                    .take(MAX_DECODED + 1)
                    .read_to_end(&mut out)
            }
            ok => ok,
        },
        "br" => brotli_decompressor::Decompressor::new(bytes, 4096)
            .take(MAX_DECODED + 1)
            .read_to_end(&mut out),
        "zstd" => match ruzstd::decoding::StreamingDecoder::new(bytes) {
            Ok(decoder) => decoder.take(MAX_DECODED + 1).read_to_end(&mut out),
            Err(_) => return None,
        },
        _ => return None,
    };
    match read {
        Ok(_) if (out.len() as u64) <= MAX_DECODED => Some(out),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const PLAIN: &[u8] = br#"{"email":"anna@kunde.example"}"#;

    #[test]
    fn every_known_coding_round_trips() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(PLAIN).unwrap();
        assert_eq!(
            decode("gzip", &gz.finish().unwrap()).as_deref(),
            Some(PLAIN)
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(PLAIN).unwrap();
        assert_eq!(
            decode("deflate", &z.finish().unwrap()).as_deref(),
            Some(PLAIN)
        );
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(PLAIN).unwrap();
        assert_eq!(
            decode("deflate", &raw.finish().unwrap()).as_deref(),
            Some(PLAIN)
        );
        let mut br = Vec::new();
        brotli::BrotliCompress(&mut &PLAIN[..], &mut br, &Default::default()).unwrap();
        assert_eq!(decode("br", &br).as_deref(), Some(PLAIN));
        let zstd =
            ruzstd::encoding::compress_to_vec(PLAIN, ruzstd::encoding::CompressionLevel::Fastest);
        assert_eq!(decode("zstd", &zstd).as_deref(), Some(PLAIN));
        assert!(is_known("br") && !is_known("compress"));
        assert_eq!(decode("br", b"not brotli at all"), None);
        assert_eq!(decode("zstd", b"not zstd"), None);
        assert_eq!(decode("compress", PLAIN), None);
    }
}
