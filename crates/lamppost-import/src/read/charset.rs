//! Legacy-encoding detection with `chardetng` (Firefox's detector), for files that are neither
//! UTF-8 nor marked by a byte-order mark.
//!
//! chardetng gives a guess, not a score. The guess is asked for under several regional priors
//! (none, Simplified Chinese, Traditional Chinese, Japanese, Western European): a text that says
//! plainly what it is gets the same answer under most of them; a short or ambiguous one flips
//! with the prior. The confidence reported is the share of the priors that agree with the chosen
//! encoding (priors whose answer is an encoding outside [`PRACTICAL`] abstain).

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{BIG5, Encoding, GB18030, GBK, SHIFT_JIS, WINDOWS_1252};

/// How many bytes of non-ASCII-bearing text the detector looks at: plenty for a register.
pub const DETECT_BYTES: usize = 4 << 20;

/// Below this confidence (percent) a guess is refused and the user asked for `--encoding`.
pub const MIN_CONFIDENCE: u8 = 50;

/// The legacy encodings the registers this program reads are written in: GBK/GB18030
/// (mainland China), Big5 (Taiwan, Hong Kong), Shift-JIS and windows-1252 (Latin-1).
pub const PRACTICAL: [&Encoding; 4] = [GBK, BIG5, SHIFT_JIS, WINDOWS_1252];

/// The regional priors asked (top-level domains, as chardetng takes them).
const PRIORS: [Option<&[u8]>; 5] = [None, Some(b"cn"), Some(b"tw"), Some(b"jp"), Some(b"fr")];

/// The detector's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess {
    /// The encoding chosen (GBK is reported and decoded as its superset GB18030).
    pub encoding: &'static Encoding,
    /// The share of the regional priors that agree, in percent.
    pub confidence: u8,
    /// Every encoding some prior proposed, the chosen one first.
    pub candidates: Vec<&'static Encoding>,
}

/// Feeds chardetng the head of the file as it streams by.
pub struct Charset {
    detector: EncodingDetector,
    fed: usize,
    closed: bool,
}

impl Default for Charset {
    fn default() -> Self {
        Self::new()
    }
}

impl Charset {
    /// A detector that has seen nothing.
    #[must_use]
    pub fn new() -> Self {
        Self {
            detector: EncodingDetector::new(Iso2022JpDetection::Deny),
            fed: 0,
            closed: false,
        }
    }

    /// Feeds the next bytes (only the first [`DETECT_BYTES`] are looked at).
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.closed {
            return;
        }
        let take = (DETECT_BYTES - self.fed).min(chunk.len());
        let last = self.fed + take >= DETECT_BYTES;
        self.detector.feed(&chunk[..take], last);
        self.fed += take;
        self.closed = last;
    }

    /// The guess, once everything was fed.
    #[must_use]
    pub fn finish(mut self) -> Guess {
        if !self.closed {
            self.detector.feed(&[], true);
        }
        let guesses: Vec<&'static Encoding> = PRIORS
            .iter()
            .map(|tld| unify(self.detector.guess(*tld, Utf8Detection::Deny)))
            .collect();
        let practical = |e: &&'static Encoding| PRACTICAL.contains(e) || *e == GB18030;
        // The prior-free answer when it is a practical one, else the home region's.
        let chosen = [guesses[0], guesses[1]]
            .into_iter()
            .find(practical)
            .unwrap_or(GB18030);
        let voting: Vec<&'static Encoding> = guesses.iter().copied().filter(practical).collect();
        let agree = voting.iter().filter(|&&e| e == chosen).count();
        let confidence = if voting.is_empty() {
            0
        } else {
            (agree * 100 / voting.len()) as u8
        };
        let mut candidates = vec![chosen];
        for e in guesses {
            if !candidates.contains(&e) {
                candidates.push(e);
            }
        }
        Guess {
            encoding: chosen,
            confidence,
            candidates,
        }
    }
}

/// GBK is decoded as GB18030, its superset (what Excel on a Chinese Windows writes).
fn unify(e: &'static Encoding) -> &'static Encoding {
    if e == GBK { GB18030 } else { e }
}

/// Guesses the encoding of `bytes` in one go.
#[must_use]
pub fn guess(bytes: &[u8]) -> Guess {
    let mut c = Charset::new();
    c.feed(bytes);
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIMPLIFIED: &str = "灯杆编号,街路,杆号,纬度,经度,地址,备注\n2-45-0001,中山南路,1,31.2,121.4,上海市黄浦区中山南路100号,东侧人行道\n2-45-0002,中山南路,2,31.2,121.4,上海市黄浦区中山南路102号,路口西北角\n";
    const TRADITIONAL: &str = "編碼,街路,桿號,緯度,經度,地址,備註\n1-01-0001,中山北路二段,1,25.05,121.52,臺北市中山區中山北路二段45號,捷運站出口旁\n1-01-0002,中山北路二段,2,25.05,121.52,臺北市中山區中山北路二段47號,\n";

    #[test]
    fn gbk_big5_latin1_and_shift_jis_are_told_apart() {
        let g = guess(&GBK.encode(SIMPLIFIED).0);
        assert_eq!(g.encoding, GB18030, "{g:?}");
        assert!(g.confidence >= MIN_CONFIDENCE, "{g:?}");
        let g = guess(&BIG5.encode(TRADITIONAL).0);
        assert_eq!(g.encoding, BIG5, "{g:?}");
        assert!(g.confidence >= MIN_CONFIDENCE, "{g:?}");
        let g = guess(
            &WINDOWS_1252
                .encode(
                    "code,street,note\n1,Rue de la Paix,café près de l'église\n2,Straße,Größe\n",
                )
                .0,
        );
        assert_eq!((g.encoding, g.confidence), (WINDOWS_1252, 100));
        let g = guess(
            &SHIFT_JIS
                .encode("コード,住所\n1,東京都千代田区丸の内一丁目\n2,大阪市北区梅田\n")
                .0,
        );
        assert_eq!(g.encoding, SHIFT_JIS, "{g:?}");
        assert!(g.confidence >= MIN_CONFIDENCE, "{g:?}");
    }

    #[test]
    fn a_short_gbk_header_still_reads_as_gbk() {
        let g = guess(
            &GBK.encode("编码,街路编码,街路,纬度,经度\n9-90-0001,90,测试路,25.04,121.51\n")
                .0,
        );
        assert_eq!(g.encoding, GB18030, "{g:?}");
        assert!(g.confidence >= MIN_CONFIDENCE, "{g:?}");
        assert!(
            g.candidates.len() > 1,
            "the other readings are listed: {g:?}"
        );
    }
}
