//! Grouping failures: two violations are the same finding when their
//! property matches and their messages match once numbers are blanked out
//! (`n3 lacks 2 values (first: 659)` and `n0 lacks 7 values (first: 12)`
//! are one bug seen twice).

/// The message with every number (and decimal point inside one) replaced
/// by `N`, and every duration (a number with a time unit) by `T`.
pub fn signature(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while let Some(&next) = chars.peek() {
                let decimal_point = next == '.' && {
                    let mut ahead = chars.clone();
                    ahead.next();
                    ahead.peek().is_some_and(|d| d.is_ascii_digit())
                };
                if next.is_ascii_digit() || decimal_point {
                    chars.next();
                } else {
                    break;
                }
            }
            // A duration is one token whatever its unit: 5.058s, 999.311ms.
            let rest: String = chars.clone().take(3).collect();
            let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
                .into_iter()
                .find(|u| rest.starts_with(u) && !rest[u.len()..].starts_with(|c: char| c.is_alphanumeric()));
            match unit {
                Some(u) => {
                    for _ in 0..u.chars().count() {
                        chars.next();
                    }
                    out.push('T');
                }
                None => out.push('N'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::signature;

    #[test]
    fn numbers_are_blanked() {
        assert_eq!(
            signature("n0 lacks 15 acknowledged value(s) (first: 227, submitted at 1.842s)."),
            "nN lacks N acknowledged value(s) (first: N, submitted at T)."
        );
        assert_eq!(signature("n3 holds the value 538, which"), signature("n1 holds the value 2, which"));
        assert_ne!(signature("a at src/x.rs:12:5"), signature("a at src/y.rs:12:5"));
        assert_eq!(signature("at 5.058s"), signature("at 999.311ms"));
        assert_eq!(signature("3 msgs"), "N msgs");
        assert_eq!(signature("n12 down"), "nN down");
    }
}
