//! The public API around the stemming rules: tokenization, case, and the
//! tokens that must pass through untouched.

use stemmer::{stem, stems};

fn all(text: &str) -> Vec<String> {
    stems(text).collect()
}

#[test]
fn stems_tokenizes_on_non_alphanumerics_and_lowercases() {
    assert_eq!(all("Pembangunan Jalan, Pertanian & Kesehatan."), ["bangun", "jalan", "tani", "sehat"]);
    assert_eq!(all("  pelayanan\tpublik\n(pengaduan)  "), ["layan", "publik", "adu"]);
    // Hyphens separate tokens too; reduplicated halves stem to the same root.
    assert_eq!(all("anak-anak"), ["anak", "anak"]);
}

#[test]
fn stems_keeps_numbers_and_codes() {
    assert_eq!(all("Anggaran 2024 sebesar Rp1.500.000"), ["anggar", "2024", "besar", "rp1", "500", "000"]);
    assert_eq!(all("Perda No. 7/2023"), ["perda", "no", "7", "2023"]);
}

#[test]
fn stems_of_empty_and_punctuation_only_text_is_empty() {
    assert!(all("").is_empty());
    assert!(all(" -- ,.; ").is_empty());
}

#[test]
fn short_words_pass_through_lowercased() {
    for (word, want) in [("air", "air"), ("Di", "di"), ("ke", "ke"), ("DAN", "dan"), ("ibu", "ibu"), ("a", "a"), ("", "")] {
        assert_eq!(stem(word), want, "{word:?}");
    }
}

#[test]
fn words_with_digits_pass_through() {
    for word in ["2024", "covid19", "ke2", "di3t", "pemilu2024", "ke-2"] {
        assert_eq!(stem(word), word, "{word:?}");
    }
    assert_eq!(stem("COVID19"), "covid19");
}

#[test]
fn stem_lowercases_before_stripping() {
    assert_eq!(stem("PERTANIAN"), "tani");
    assert_eq!(stem("Kesehatan"), "sehat");
}

#[test]
fn non_ascii_words_pass_through_lowercased() {
    assert_eq!(stem("Diréktur"), "diréktur");
}

#[test]
fn hyphenated_prefix_part_is_dropped() {
    assert_eq!(stem("se-Indonesia"), "indonesia");
    assert_eq!(stem("-pembangunan-"), "bangun");
}
