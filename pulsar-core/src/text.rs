//! Text from a target (certificate names, reason phrases, redirect locations, error
//! messages) shown to a person: a hostile server can put terminal control codes in it, so
//! every place that shows it shows it through [`printable`].

use std::borrow::Cow;

/// `text` with every control character (C0, DEL and C1: ESC, CR, BEL, …) written as a
/// visible escape (`\u{1b}`, `\r`), so it prints as plain text: it cannot retitle a terminal,
/// clear it, move the cursor or overwrite a line. Text without control characters comes back
/// as it is.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_codes_become_visible_escapes() {
        assert!(matches!(
            printable("CN=example.com, O=Ünïcode"),
            Cow::Borrowed(_)
        ));
        let hostile = "\u{1b}]0;pwned\u{7}evil\u{1b}[2J\rok\n\u{9b}31m\u{7f}";
        let shown = printable(hostile);
        assert_eq!(
            shown,
            "\\u{1b}]0;pwned\\u{7}evil\\u{1b}[2J\\rok\\n\\u{9b}31m\\u{7f}"
        );
        assert!(!shown.chars().any(char::is_control));
    }
}
