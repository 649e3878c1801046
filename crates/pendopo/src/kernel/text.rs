//! Checks on text people type that other people read: names may not hide
//! control or bidirectional characters, and passwords may not be the ones
//! every guesser tries first.

/// No control characters (NUL, newlines, escapes) and no bidirectional
/// controls, which can make a name read as something else (U+202E turns
/// `exe.txt` around) on a page or in a log.
pub fn is_plain(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
}

/// Passwords of the required length that guessers try first: the
/// commonest of leaked lists (keyboard rows, counting, "password" and its
/// Indonesian kin), compared without case.
const COMMON: &[&str] = &[
    "1234567890",
    "0123456789",
    "0987654321",
    "12345678910",
    "123456789012",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "asdfghjkl;",
    "zxcvbnm123",
    "qwerty1234",
    "qwerty12345",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "p@ssw0rd123",
    "iloveyou12",
    "iloveyou123",
    "katasandi123",
    "katasandi1",
    "rahasia123",
    "rahasia1234",
    "bismillah1",
    "bismillah123",
    "indonesia1",
    "indonesia123",
    "indonesia45",
    "merdeka1945",
    "sayangku123",
    "admin12345",
    "administrator",
    "adminadmin",
    "bojonegoro",
    "bojonegoro1",
    "bojonegoro123",
    "satudata123",
    "pendopo123",
];

/// Whether `password` is too easy to guess: one a guesser tries first, one
/// character over and over, or the user's own e-mail name with a few
/// characters added (fewer than eight besides it).
pub fn is_common_password(password: &str, email: &str) -> bool {
    let p = password.trim().to_lowercase();
    let mut chars = p.chars();
    let first = chars.next();
    let one_char = first.is_some_and(|f| chars.all(|c| c == f));
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    let mostly_email = local.chars().count() >= 4 && p.contains(&local) && p.replace(&local, "").chars().count() < 8;
    one_char || COMMON.contains(&p.as_str()) || mostly_email
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_hide_controls() {
        assert!(is_plain("Dinas Pekerjaan Umum & Penataan Ruang"));
        assert!(is_plain("Kecamatan Ngasem (Bojonegoro)"));
        for bad in ["Ahmad\0", "Ahmad\nadmin signed in", "\u{202E}fdp.exe", "a\u{2066}b"] {
            assert!(!is_plain(bad), "{bad:?}");
        }
    }

    #[test]
    fn common_passwords_are_refused() {
        assert!(is_common_password("Password123", "a@b.id"));
        assert!(is_common_password("aaaaaaaaaaaa", "a@b.id"));
        assert!(is_common_password("walidata-2026!", "walidata@bojonegorokab.go.id"));
        assert!(!is_common_password("rahasia-sekali-123", "walidata@bojonegorokab.go.id"));
        assert!(!is_common_password("rahasia-editor-1", "editor@pertanian.test"), "the name with enough besides it");
    }
}
