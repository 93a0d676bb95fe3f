//! Text for a terminal: whatever a scenario, a history or a protocol wrote
//! is shown, but its control characters are spelt out (`\u{1b}`), so that
//! none can move the cursor, change colours or rewrite what was printed.
//! Line breaks and tabs of dsim's own layout stay as they are.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character but `\n` and `\t` spelt out.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' | '\t' => s.push(c),
            '\r' => s.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(s, "\\u{{{:x}}}", c as u32);
            }
            c => s.push(c),
        }
    }
    Cow::Owned(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_spelt_out() {
        assert_eq!(super::terminal("a\nb\tc"), "a\nb\tc");
        assert_eq!(super::terminal("\u{1b}[2J\u{9b}x\r"), "\\u{1b}[2J\\u{9b}x\\r");
    }
}
