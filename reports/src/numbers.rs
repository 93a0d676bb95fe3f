//! Number formatting shared by every report.

/// `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate with a metric suffix and three significant digits: `12.3M`,
/// `456k`, `7.50`; a value that rounds up to the next suffix takes it
/// (`1.00M`, never `1000k`).
pub fn si(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_string();
    }
    let three = |v: f64| {
        if v >= 99.95 {
            format!("{v:.0}")
        } else if v >= 9.995 {
            format!("{v:.1}")
        } else {
            format!("{v:.2}")
        }
    };
    let mut value = x;
    for suffix in ["", "k", "M", "G"] {
        let text = three(value);
        if suffix == "G" || text.parse::<f64>().unwrap_or(0.0) < 1000.0 {
            return format!("{text}{suffix}");
        }
        value /= 1e3;
    }
    unreachable!("the loop returns at G")
}

/// `n` things, the noun agreeing with the number: `1 seed`, `2 seeds`,
/// `1,000 entries`. `many` is the plural form.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// [`count`] for nouns whose plural adds an `s`: `1 job`, `4 jobs`.
pub fn things(n: u64, noun: &str) -> String {
    count(n, noun, &format!("{noun}s"))
}

/// A metric's value: whole numbers without decimals.
pub fn metric(value: f64, unit: &str) -> String {
    let number = if value.fract() == 0.0 && value.abs() < 1e15 {
        thousands(value.abs() as u64)
    } else {
        format!("{value:.2}")
    };
    if unit.is_empty() {
        number
    } else {
        format!("{number} {unit}")
    }
}

/// Seconds of wall time: `0.123s`, `12.3s`.
pub fn seconds(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.3}s")
    } else {
        format!("{s:.1}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(si(12_345_678.0), "12.3M");
        assert_eq!(si(999.0), "999");
        assert_eq!(si(999_950.0), "1.00M");
        assert_eq!(si(1_000_000.0), "1.00M");
        assert_eq!(si(9.996), "10.0");
        assert_eq!(si(12.0604), "12.1");
        assert_eq!(si(0.5), "0.50");
        assert_eq!(things(1, "job"), "1 job");
        assert_eq!(things(2, "job"), "2 jobs");
        assert_eq!(count(1, "entry", "entries"), "1 entry");
        assert_eq!(count(1200, "entry", "entries"), "1,200 entries");
        assert_eq!(metric(3.0, "ms"), "3 ms");
        assert_eq!(metric(2.5, ""), "2.50");
    }
}
