//! Comparing what a command printed with what the page says it prints.

/// Blanks what depends on the machine, not the seed: wall time, rates,
/// the number of workers. Applied to both sides, so the page can keep
/// the figures of the machine it was written on.
pub fn mask(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let bare = |w: &str| w.trim_matches(|c| matches!(c, ',' | '(' | ')' | ':')).to_string();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(|w| bare(w)).unwrap_or_default();
        let previous: Vec<&str> = words[..i].iter().copied().filter(|w| !w.is_empty()).collect();
        let masked = !w.is_empty()
            && (matches!(next.as_str(), "seeds/s" | "events/s" | "jobs" | "job")
                || previous.ends_with(&["wall", "time"])
                || previous == ["events/s"]
                // "300 run in 0.374s (801 seeds/s)", "1,000 seeds in 0.025s (...)"
                || previous.last() == Some(&"in") && words.get(i + 1).is_some_and(|n| n.starts_with('(')));
        if masked {
            // Keep the punctuation around the figure.
            let lead: String = w.chars().take_while(|c| *c == '(').collect();
            let trail: String = w.chars().rev().take_while(|c| matches!(c, ',' | ')' | ':')).collect();
            out.push(format!("{lead}<machine>{}", trail.chars().rev().collect::<String>()));
        } else {
            out.push(w.to_string());
        }
    }
    out.join(" ")
}

fn line_matches(expected: &str, actual: &str, any_indent: bool) -> bool {
    let (mut e, mut a) = (mask(expected), mask(actual));
    if any_indent {
        (e, a) = (e.trim_start().to_string(), a.trim_start().to_string());
    }
    match e.strip_suffix(" ...") {
        Some(prefix) => a.starts_with(prefix),
        None => e.trim_end() == a.trim_end(),
    }
}

/// Whether `expected` appears in `actual`: its lines in order and
/// consecutive, except that a line `...` stands for any number of lines.
/// `any_indent` for `#` lines, whose indentation is the comment's.
pub fn shows(expected: &[String], actual: &[&str], any_indent: bool) -> bool {
    let parts: Vec<&[String]> = expected.split(|l| l.trim() == "...").collect();
    let mut from = 0;
    for part in &parts {
        if part.is_empty() {
            continue;
        }
        // A part is a run of consecutive lines found at or after where the
        // part before it ended.
        let found = (from..=actual.len().saturating_sub(part.len())).find(|&s| {
            part.len() <= actual.len() - s
                && part.iter().zip(&actual[s..]).all(|(e, a)| line_matches(e, a, any_indent))
        });
        match found {
            Some(s) => from = s + part.len(),
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_what_the_machine_decides() {
        assert_eq!(mask("  wall time     0.005s"), "  wall time     <machine>");
        assert_eq!(mask("  events/s      2.95M"), "  events/s      <machine>");
        assert_eq!(
            mask("x  seeds 0..300: 300 run in 0.374s (801 seeds/s), 1 finding(s)"),
            "x  seeds 0..300: 300 run in <machine> (<machine> seeds/s), 1 finding(s)"
        );
        assert_eq!(mask("  events        15,968"), "  events        15,968");
    }

    #[test]
    fn excerpts() {
        let out = ["a", "b", "c", "d"];
        let v = |s: &[&str]| s.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        assert!(shows(&v(&["b", "c"]), &out, false));
        assert!(!shows(&v(&["b", "d"]), &out, false));
        assert!(shows(&v(&["a", "...", "d"]), &out, false));
        assert!(!shows(&v(&["d", "...", "a"]), &out, false));
        assert!(shows(&v(&["lo ...", "..."]), &["long line", "x"], false));
    }
}
