//! Indonesian stemmer for full-text search.
//!
//! Search indexes (SQLite FTS5, PostgreSQL `tsvector`) store the stems this
//! crate produces, so that a query for "pertanian" finds documents that say
//! "tani" or "petani", and "pembangunan" finds "bangun" and "membangun".
//!
//! The algorithm is a dictionary-assisted affix stripper in the spirit of
//! Nazief–Adriani and the Confix Stripping stemmer:
//!
//! 1. inflectional suffixes: particles (`-lah`, `-kah`, `-pun`), then
//!    possessive pronouns (`-ku`, `-mu`, `-nya`);
//! 2. derivational suffixes (`-kan`, `-an`, `-i`);
//! 3. up to three derivational prefixes (`di-`, `ke-`, `se-`, `be(r)-`,
//!    `te(r)-`, `me-`/`pe-` with their nasal forms, `per-`), with the usual
//!    recoding of the nasal assimilation (`menulis` → `tulis`, `memukul` →
//!    `pukul`, `mengirim` → `kirim`, `menyapu` → `sapu`).
//!
//! After every step the candidate is looked up in a compact list of root
//! words (`roots.txt`); the first hit wins. Because several paths are tried
//! (for instance `-an`, then `-kan` for "masakan" and "sampaikan"; `makan`
//! before `pakan` for "memakan"), the dictionary also chooses between
//! ambiguous readings.
//! A word whose every path misses the dictionary gets the plain rule result,
//! so unknown words are still conflated consistently at index and query time.
//!
//! The crate does no I/O; the root list is embedded at compile time.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The embedded root-word list; see the header of the file for its format.
const ROOTS_TXT: &str = include_str!("roots.txt");

/// The shortest root the dictionary search may produce ("air", "cat", "adu").
const MIN_ROOT: usize = 3;
/// The shortest remainder the dictionary-less rule fallback may produce.
/// Longer than [`MIN_ROOT`] because without a dictionary hit a 3-letter
/// remainder is far more often a mangled proper noun than a real root.
const MIN_FALLBACK: usize = 4;
/// Nazief–Adriani's cap on prefix removals. Real words stack two
/// (di-per-baiki, ke-ber-hasil-an, mem-ber-daya-kan); the cap bounds the search
/// on words that merely start like a chain of prefixes.
const MAX_PREFIXES: usize = 3;

const PARTICLES: [&str; 3] = ["lah", "kah", "pun"];
const POSSESSIVES: [&str; 3] = ["nya", "ku", "mu"];

/// Stems one word.
///
/// The word is lowercased first. Words of three letters or fewer and words
/// with anything but ASCII letters (digits, apostrophes, accented letters) are
/// returned lowercased but otherwise unchanged: they are codes, numbers,
/// foreign words or already roots, and the affix rules only make sense for
/// Indonesian spelling. Words whose every reading misses the root list get
/// the plain rule result, with guards that keep most loanwords whole.
/// Hyphenated reduplication is reduced to the root of its first part
/// (`anak-anak` → `anak`, `berlari-lari` → `lari`); a leading one- or
/// two-letter part (`se-Indonesia`) is dropped.
///
/// ```
/// assert_eq!(stemmer::stem("Pertanian"), "tani");
/// assert_eq!(stemmer::stem("pembangunan"), "bangun");
/// assert_eq!(stemmer::stem("memukul"), "pukul");
/// assert_eq!(stemmer::stem("2024"), "2024");
/// ```
pub fn stem(word: &str) -> String {
    Stemmer { roots: roots() }.stem(word)
}

/// Splits `text` into tokens and stems each one.
///
/// Tokens are maximal runs of alphanumeric characters (so hyphens, spaces and
/// punctuation all separate tokens); each is lowercased and passed through
/// [`stem`]. Numbers are kept as tokens so that years and codes stay
/// searchable.
///
/// ```
/// let got: Vec<String> = stemmer::stems("Anggaran Pendidikan 2024: Rp 5,2 M").collect();
/// assert_eq!(got, ["anggar", "didik", "2024", "rp", "5", "2", "m"]);
/// ```
pub fn stems(text: &str) -> impl Iterator<Item = String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(stem)
}

/// The root list, parsed once; lookups are then a hash probe.
fn roots() -> &'static HashSet<&'static str> {
    static ROOTS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    ROOTS.get_or_init(|| parse_roots(ROOTS_TXT))
}

fn parse_roots(text: &str) -> HashSet<&str> {
    text.lines().flat_map(|line| line.split('#').next().unwrap_or_default().split_whitespace()).collect()
}

/// Prefix families. The disallowed prefix–suffix pairs and the "same prefix
/// twice in a row" rule are stated per family, so `mem-`, `men-`, `meng-`,
/// `meny-` are all [`Prefix::Me`] and `per-`, `pem-`, ... are all [`Prefix::Pe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prefix {
    Di,
    Ke,
    Se,
    Be,
    Te,
    Me,
    Pe,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Suffix {
    Kan,
    An,
    I,
}

impl Suffix {
    fn text(self) -> &'static str {
        match self {
            Suffix::Kan => "kan",
            Suffix::An => "an",
            Suffix::I => "i",
        }
    }
}

/// Confixes that do not exist in Indonesian: when the outermost prefix and the
/// derivational suffix form one of these pairs, the suffix reading is wrong
/// (`dimakan` is di-makan, not di-mak-an; `kedudukan` is ke-duduk-an, not
/// ke-dudu-kan).
fn disallowed(prefix: Prefix, suffix: Suffix) -> bool {
    use Prefix::*;
    use Suffix::*;
    matches!((prefix, suffix), (Be, I) | (Di, An) | (Ke, I) | (Ke, Kan) | (Me, An) | (Se, I) | (Se, Kan) | (Te, An))
}

/// The ways a word can lose its leading prefix.
#[derive(Debug, PartialEq, Eq)]
struct PrefixStrip {
    kind: Prefix,
    /// Candidate remainders in the order the dictionary search tries them.
    options: Vec<String>,
    /// Index into `options` of the textbook reading, used when no candidate is
    /// a known root. It differs from the search order only for `mem-`/`men-` +
    /// vowel, where the search tries the nasal-initial root first so that
    /// `memakan` finds `makan` before `pakan` and `memohon` `mohon` before `pohon`.
    rule: usize,
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

fn is_consonant(c: u8) -> bool {
    c.is_ascii_lowercase() && !is_vowel(c)
}

/// Lists the remainders after removing the prefix of `w`, with the recoding
/// rules of the nasal prefixes. `w` is lowercase ASCII.
fn prefix_options(w: &str) -> Option<PrefixStrip> {
    let b = w.as_bytes();
    // Out-of-range reads yield 0, which is neither a vowel nor a consonant.
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let rest = |i: usize| w[i..].to_string();
    let recode = |letter: &str, i: usize| format!("{letter}{}", &w[i..]);
    let kind = match b.get(..2)? {
        b"di" => Prefix::Di,
        b"ke" => Prefix::Ke,
        b"se" => Prefix::Se,
        b"be" => Prefix::Be,
        b"te" => Prefix::Te,
        b"me" => Prefix::Me,
        b"pe" => Prefix::Pe,
        _ => return None,
    };
    let mut options = Vec::new();
    let mut rule = 0;
    match kind {
        Prefix::Di | Prefix::Ke | Prefix::Se => options.push(rest(2)),
        Prefix::Be | Prefix::Te => {
            if kind == Prefix::Be && w.starts_with("belajar") {
                // bel- occurs only before "ajar".
                options.push(rest(3));
            } else if at(2) == b'r' && is_vowel(at(3)) {
                // berangkat = ber-angkat, but beragam = be-ragam; terasa = te-rasa.
                options.push(rest(3));
                options.push(rest(2));
            } else if at(2) == b'r' && is_consonant(at(3)) && at(3) != b'r' {
                options.push(rest(3));
            } else if is_consonant(at(2)) && at(2) != b'r' && b.get(3..5) == Some(b"er") {
                // be-/te- before a first syllable in -er: bekerja, beserta, beternak.
                options.push(rest(2));
            }
        }
        Prefix::Me | Prefix::Pe => {
            if b.get(2..4) == Some(b"ng") {
                let c = at(4);
                if is_vowel(c) {
                    // mengambil = meng-ambil, mengirim = meng-kirim.
                    options.push(rest(4));
                    options.push(recode("k", 4));
                    if c == b'e' {
                        // menge- before one-syllable roots: mengecat, pengeboman.
                        options.push(rest(5));
                    }
                } else if matches!(c, b'g' | b'h' | b'k' | b'q' | b'x') {
                    options.push(rest(4));
                }
            } else if b.get(2..4) == Some(b"ny") {
                if is_vowel(at(4)) {
                    // menyapu = meny-sapu; menyanyi = me-nyanyi.
                    options.push(recode("s", 4));
                    options.push(rest(2));
                }
            } else if at(2) == b'm' {
                let c = at(3);
                if matches!(c, b'b' | b'f' | b'v' | b'p') {
                    options.push(rest(3));
                } else if is_vowel(c) {
                    // memukul = mem-pukul, but memakan = me-makan.
                    options.push(rest(2));
                    options.push(recode("p", 3));
                    rule = 1;
                }
            } else if at(2) == b'n' {
                let c = at(3);
                if matches!(c, b'c' | b'd' | b'j' | b's' | b't' | b'z') {
                    options.push(rest(3));
                } else if is_vowel(c) {
                    // menulis = men-tulis, but menikah = me-nikah.
                    options.push(rest(2));
                    options.push(recode("t", 3));
                    rule = 1;
                }
            } else if kind == Prefix::Me {
                if matches!(at(2), b'l' | b'r' | b'w' | b'y') {
                    options.push(rest(2));
                }
            } else if w.starts_with("pelajar") {
                // pel- occurs only before "ajar".
                options.push(rest(3));
            } else if at(2) == b'r' && is_vowel(at(3)) {
                // perairan = per-air-an, but perumahan = pe-rumah-an.
                options.push(rest(3));
                options.push(rest(2));
            } else if at(2) == b'r' && is_consonant(at(3)) && at(3) != b'r' {
                options.push(rest(3));
            } else if is_consonant(at(2)) {
                // Plain pe-: petani, pedagang, pekerja, pelayan.
                options.push(rest(2));
            }
        }
    }
    if options.is_empty() { None } else { Some(PrefixStrip { kind, options, rule }) }
}

/// A stemmer over a given root list; [`stem`] uses the embedded one, tests can
/// pass their own (an empty one exercises the pure rules).
struct Stemmer<'d> {
    roots: &'d HashSet<&'d str>,
}

impl Stemmer<'_> {
    fn is_root(&self, w: &str) -> bool {
        self.roots.contains(w)
    }

    fn stem(&self, word: &str) -> String {
        let lower = word.to_lowercase();
        if lower.contains('-') {
            return self.stem_hyphenated(&lower);
        }
        if lower.chars().count() <= 3 || !lower.bytes().all(|c| c.is_ascii_lowercase()) {
            return lower;
        }
        self.stem_word(&lower)
    }

    fn stem_hyphenated(&self, lower: &str) -> String {
        if lower.chars().any(|c| c.is_ascii_digit()) {
            return lower.to_string();
        }
        let parts: Vec<&str> = lower.split('-').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            [] => lower.to_string(),
            // se-Indonesia, ke-Jakarta: the short part is a detached prefix.
            [first, rest @ ..] if first.len() <= 2 && !rest.is_empty() => self.stem(&rest.join("-")),
            // Reduplication (anak-anak, sayur-mayur, tolong-menolong): the first
            // part carries the root, the second is a copy or a variation.
            [first, ..] => self.stem(first),
        }
    }

    /// `w` is lowercase ASCII letters, longer than three.
    fn stem_word(&self, w: &str) -> String {
        if self.is_root(w) {
            return w.to_string();
        }
        // Inflectional layers, least stripped first: a root may itself end in
        // something that looks like a particle or pronoun (sekolah, tanya).
        let bases = inflection_bases(w, MIN_ROOT);
        if let Some(hit) = bases.iter().skip(1).find(|b| self.is_root(b)) {
            return hit.to_string();
        }
        // Affix search, most stripped base first; a less stripped base is the
        // backtracking step for roots that end like a pronoun (bertanya).
        for base in bases.iter().rev() {
            for (suffix, rest) in suffix_options(base) {
                if suffix.is_some() && self.is_root(rest) {
                    return rest.to_string();
                }
                if let Some(hit) = self.search_prefixes(rest, suffix, None, 0) {
                    return hit;
                }
            }
        }
        rule_stem(w)
    }

    /// Depth-first search over prefix removals; returns the first known root.
    /// Each level checks all its candidates before going deeper, so a root
    /// reachable with fewer removals wins (pemerataan: merata is no root, so
    /// rata is found one level down).
    fn search_prefixes(&self, w: &str, suffix: Option<Suffix>, prev: Option<Prefix>, depth: usize) -> Option<String> {
        if depth == MAX_PREFIXES {
            return None;
        }
        let strip = prefix_options(w)?;
        // The same prefix never stacks on itself (no *didi-, *meme-).
        if prev == Some(strip.kind) {
            return None;
        }
        // The confix constraint applies to the outermost prefix only.
        if depth == 0 && suffix.is_some_and(|s| disallowed(strip.kind, s)) {
            return None;
        }
        let options: Vec<&String> = strip.options.iter().filter(|o| o.len() >= MIN_ROOT).collect();
        if let Some(hit) = options.iter().find(|o| self.is_root(o)) {
            return Some(hit.to_string());
        }
        options.iter().find_map(|o| self.search_prefixes(o, suffix, Some(strip.kind), depth + 1))
    }
}

/// The word, then the word without its particle, then also without its
/// possessive pronoun; each layer is kept only if it leaves `min` letters.
fn inflection_bases(w: &str, min: usize) -> Vec<&str> {
    let mut bases = vec![w];
    let mut current = w;
    for set in [PARTICLES, POSSESSIVES] {
        if let Some(shorter) = set.iter().find_map(|p| current.strip_suffix(p)).filter(|s| s.len() >= min) {
            current = shorter;
            bases.push(current);
        }
    }
    bases
}

/// Derivational suffix readings in search order.
///
/// `-an` before `-kan`: a root ending in k takes `-kkan` (masakkan, tarikkan),
/// so a single-k word that reads both ways is root-k + `-an` (masakan = masak-an,
/// not masa-kan; penarikan = tarik). When the k-reading is no root, `-kan` is
/// tried next (pendidikan: didik-an; sampaikan: sampai-kan).
/// The bare word comes before `-i`: many roots end in i (nilai, sampai, beri),
/// and trying them whole first keeps menilai from becoming "nila".
fn suffix_options(w: &str) -> Vec<(Option<Suffix>, &str)> {
    let mut out = Vec::with_capacity(4);
    for suffix in [Suffix::An, Suffix::Kan] {
        if let Some(rest) = w.strip_suffix(suffix.text()).filter(|r| r.len() >= MIN_ROOT) {
            out.push((Some(suffix), rest));
        }
    }
    out.push((None, w));
    if let Some(rest) = w.strip_suffix(Suffix::I.text()).filter(|r| r.len() >= MIN_ROOT) {
        out.push((Some(Suffix::I), rest));
    }
    out
}

/// The dictionary-less reading: strip one particle, one possessive, the
/// longest derivational suffix allowed with the word's outer prefix, then up to
/// three prefixes using the textbook recoding. Keeps at least [`MIN_FALLBACK`]
/// letters at every step. A suffix reading that leaves the prefix unremovable
/// (memakan: -kan would leave "mema") is abandoned for the next one.
///
/// Words reaching this point are mostly loanwords and names, so two guards
/// keep them whole: `-i` after s is the loanword ending -si (integrasi,
/// intervensi), not a suffix; and a prefix is not removed when the remainder
/// would start with a consonant cluster no Indonesian word starts with
/// (sensitif is not se-nsitif, kerjasama not ke-rjasama).
fn rule_stem(w: &str) -> String {
    let base = *inflection_bases(w, MIN_FALLBACK).last().unwrap_or(&w);
    let outer = prefix_options(base).map(|p| p.kind);
    let readings = [Suffix::Kan, Suffix::An, Suffix::I]
        .into_iter()
        .filter(|s| !outer.is_some_and(|p| disallowed(p, *s)))
        .filter(|s| !(*s == Suffix::I && base.ends_with("si")))
        .filter_map(|s| base.strip_suffix(s.text()).filter(|r| r.len() >= MIN_FALLBACK))
        .chain(std::iter::once(base));
    for reading in readings {
        let (stem, removed) = rule_prefixes(reading);
        if removed > 0 || outer.is_none() {
            return stem;
        }
    }
    base.to_string()
}

/// Removes up to [`MAX_PREFIXES`] prefixes with the textbook recoding;
/// returns the remainder and how many prefixes went.
fn rule_prefixes(w: &str) -> (String, usize) {
    let mut word = w.to_string();
    let mut prev = None;
    let mut removed = 0;
    while removed < MAX_PREFIXES {
        let Some(strip) = prefix_options(&word) else { break };
        if prev == Some(strip.kind) {
            break;
        }
        let Some(next) = strip.options.into_iter().nth(strip.rule).filter(|o| o.len() >= MIN_FALLBACK && plausible_onset(o)) else {
            break;
        };
        word = next;
        prev = Some(strip.kind);
        removed += 1;
    }
    (word, removed)
}

/// Whether `w` starts the way an Indonesian word can: a vowel, a consonant
/// before a vowel, or one of the clusters of native digraphs and common
/// loanwords (produksi, struktur, khusus, nyata).
fn plausible_onset(w: &str) -> bool {
    const CLUSTERS: [&str; 22] = [
        "bl", "br", "dr", "fl", "fr", "gl", "gr", "kh", "kl", "kr", "ng", "ny", "pl", "pr", "sk", "sl", "sp", "st", "sw", "sy", "tr", "ps",
    ];
    let b = w.as_bytes();
    match (b.first(), b.get(1)) {
        (Some(&c), _) if is_vowel(c) => true,
        (Some(_), Some(&d)) if is_vowel(d) => true,
        _ => CLUSTERS.iter().any(|c| w.starts_with(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_roots<'a>(roots: &'a HashSet<&'a str>, word: &str) -> String {
        Stemmer { roots }.stem(word)
    }

    #[test]
    fn root_list_parses_and_is_lowercase_ascii() {
        let roots = roots();
        assert!(roots.len() > 1500, "only {} roots", roots.len());
        let bad: Vec<&&str> = roots.iter().filter(|r| r.len() < 2 || !r.bytes().all(|c| c.is_ascii_lowercase())).collect();
        assert!(bad.is_empty(), "malformed roots: {bad:?}");
        // A derived form in the list would split a word family into two stems.
        for derived in ["pendapat", "layanan", "pekerjaan", "penduduk", "pertanian", "anggaran", "maka", "pakan", "pinta"] {
            assert!(!roots.contains(derived), "{derived} must not be a root");
        }
    }

    #[test]
    fn disallowed_pairs() {
        use Prefix::*;
        use Suffix::*;
        for (p, s) in [(Be, I), (Di, An), (Ke, I), (Ke, Kan), (Me, An), (Se, I), (Se, Kan), (Te, An)] {
            assert!(disallowed(p, s), "{p:?}-{s:?}");
        }
        for (p, s) in [(Pe, An), (Ke, An), (Be, An), (Di, Kan), (Me, Kan), (Me, I), (Di, I), (Te, Kan)] {
            assert!(!disallowed(p, s), "{p:?}-{s:?}");
        }
    }

    #[test]
    fn rules_without_dictionary_use_textbook_recoding() {
        let empty = HashSet::new();
        for (word, want) in [
            ("memukul", "pukul"),
            ("menulis", "tulis"),
            ("menyapu", "sapu"),
            ("mengambil", "ambil"),
            ("membangun", "bangun"),
            ("pertanian", "tani"),
            ("pembangunan", "bangun"),
            ("diperbaiki", "baik"),
            ("bermainlah", "main"),
            ("bukunya", "buku"),
        ] {
            assert_eq!(with_roots(&empty, word), want, "{word}");
        }
    }

    #[test]
    fn rules_respect_disallowed_pairs_without_dictionary() {
        let empty = HashSet::new();
        // di-...-an is no confix, so -an stays on; the prefix still goes.
        assert_eq!(with_roots(&empty, "ditawan"), "tawan");
        // me-...-an likewise.
        assert_eq!(with_roots(&empty, "melawan"), "lawan");
        // ke-...-kan: kedudukan is ke-duduk-an.
        assert_eq!(with_roots(&empty, "kedudukan"), "duduk");
        // be-...-i: berbunyi keeps its i.
        assert_eq!(with_roots(&empty, "berbunyi"), "bunyi");
    }

    #[test]
    fn rules_keep_loanwords_whole() {
        let empty = HashSet::new();
        // -si is a loanword ending, not root + -i.
        assert_eq!(with_roots(&empty, "intervensi"), "intervensi");
        assert_eq!(with_roots(&empty, "terintegrasi"), "integrasi");
        // No Indonesian word starts with ns- or rj-.
        assert_eq!(with_roots(&empty, "sensitif"), "sensitif");
        assert_eq!(with_roots(&empty, "kerjasama"), "kerjasama");
        // Clusters of real words are fine after a prefix.
        assert_eq!(with_roots(&empty, "memproduksi"), "produksi");
        assert_eq!(with_roots(&empty, "distruktur"), "struktur");
    }

    #[test]
    fn plausible_onsets() {
        for w in ["ajar", "tani", "produksi", "struktur", "khusus", "nyata", "ngeri"] {
            assert!(plausible_onset(w), "{w}");
        }
        for w in ["nsitif", "rjasama", "mbak", "ntah"] {
            assert!(!plausible_onset(w), "{w}");
        }
    }

    #[test]
    fn dictionary_chooses_between_recodings() {
        let roots: HashSet<&str> = ["makan", "pakan", "mohon", "pohon", "kirim", "ambil"].into_iter().collect();
        assert_eq!(with_roots(&roots, "memakan"), "makan");
        assert_eq!(with_roots(&roots, "memohon"), "mohon");
        assert_eq!(with_roots(&roots, "mengirim"), "kirim");
        assert_eq!(with_roots(&roots, "mengambil"), "ambil");
        // Without the dictionary entry the rule reading is used.
        assert_eq!(with_roots(&HashSet::new(), "memakan"), "pakan");
    }

    #[test]
    fn prefix_depth_is_limited() {
        // Four stacked prefixes never occur; the search stops after three.
        let roots: HashSet<&str> = ["tani"].into_iter().collect();
        assert_eq!(with_roots(&roots, "diperketani"), "tani");
        assert_ne!(with_roots(&roots, "diperkesetani"), "tani");
    }

    #[test]
    fn prefix_options_recode_nasals() {
        let opts = |w: &str| prefix_options(w).map(|p| p.options).unwrap_or_default();
        assert_eq!(opts("menyapu"), ["sapu", "nyapu"]);
        assert_eq!(opts("mengecat"), ["ecat", "kecat", "cat"]);
        assert_eq!(opts("memukul"), ["mukul", "pukul"]);
        assert_eq!(opts("menulis"), ["nulis", "tulis"]);
        assert_eq!(opts("membaca"), ["baca"]);
        assert_eq!(opts("berangkat"), ["angkat", "rangkat"]);
        assert_eq!(opts("bekerja"), ["kerja"]);
        assert_eq!(opts("petani"), ["tani"]);
        assert!(prefix_options("bola").is_none());
        assert!(prefix_options("ma").is_none());
    }
}
