//! Virtual time, in integer nanoseconds: instants ([`Time`], since the
//! start of the run) and lengths ([`Span`]) are different types.
//!
//! Nothing in a simulation reads the wall clock. Durations in scenario files
//! are strings with a unit (`"150ms"`, `"2s"`); they are parsed here so that
//! every part of dsim spells and prints time the same way.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Both kinds of virtual time are whole nanoseconds, built and printed the
/// same way.
macro_rules! nanoseconds {
    ($name:ident) => {
        impl $name {
            pub const ZERO: $name = $name(0);
            pub const MAX: $name = $name(u64::MAX);

            pub const fn from_nanos(ns: u64) -> $name {
                $name(ns)
            }
            pub const fn from_micros(us: u64) -> $name {
                $name(us * 1_000)
            }
            pub const fn from_millis(ms: u64) -> $name {
                $name(ms * 1_000_000)
            }
            pub const fn from_secs(s: u64) -> $name {
                $name(s * 1_000_000_000)
            }
            pub const fn nanos(self) -> u64 {
                self.0
            }
            pub fn as_secs_f64(self) -> f64 {
                self.0 as f64 / 1e9
            }

            /// For people: three decimals at most in the largest fitting
            /// unit (`1.85s`, `12.5ms`); the same text as `Display`.
            pub fn approx(self) -> String {
                approx(self.0)
            }

            /// For files read back: the largest unit that shows the value
            /// exactly (`1.5s`, `250ms`, `6617219.845us`), never rounded.
            pub const fn exact(self) -> Exact {
                Exact(self.0)
            }
        }

        impl fmt::Display for $name {
            /// For people, as they read durations: three decimals at most
            /// in the largest fitting unit (`6.617s`, `45.61ms`, `17ns`).
            /// Lossy: files that are read back use [`Self::exact`].
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&approx(self.0))
            }
        }
    };
}

/// An instant of virtual time: nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Time(pub u64);

/// A length of virtual time, in nanoseconds: a delay, a timeout, a latency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Span(pub u64);

nanoseconds!(Time);
nanoseconds!(Span);

impl Time {
    /// The span from the start of the run to this instant.
    pub const fn since_start(self) -> Span {
        Span(self.0)
    }

    /// `self - earlier`, or zero if `earlier` comes later.
    pub fn saturating_since(self, earlier: Time) -> Span {
        Span(self.0.saturating_sub(earlier.0))
    }

    /// This instant moved back by `span`, not before the start.
    pub fn saturating_sub(self, span: Span) -> Time {
        Time(self.0.saturating_sub(span.0))
    }
}

impl Span {
    /// The instant this long after the start of the run.
    pub const fn after_start(self) -> Time {
        Time(self.0)
    }

    pub fn saturating_sub(self, other: Span) -> Span {
        Span(self.0.saturating_sub(other.0))
    }
}

impl std::ops::Add<Span> for Time {
    type Output = Time;
    fn add(self, rhs: Span) -> Time {
        Time(self.0.saturating_add(rhs.0))
    }
}

impl std::ops::Sub<Span> for Time {
    type Output = Time;
    fn sub(self, rhs: Span) -> Time {
        Time(self.0.saturating_sub(rhs.0))
    }
}

/// The span between two instants (zero if `rhs` is later).
impl std::ops::Sub for Time {
    type Output = Span;
    fn sub(self, rhs: Time) -> Span {
        Span(self.0.saturating_sub(rhs.0))
    }
}

impl std::ops::Add for Span {
    type Output = Span;
    fn add(self, rhs: Span) -> Span {
        Span(self.0.saturating_add(rhs.0))
    }
}

impl std::ops::Sub for Span {
    type Output = Span;
    fn sub(self, rhs: Span) -> Span {
        Span(self.0.saturating_sub(rhs.0))
    }
}

impl std::ops::Mul<u64> for Span {
    type Output = Span;
    fn mul(self, rhs: u64) -> Span {
        Span(self.0.saturating_mul(rhs))
    }
}

/// Nanoseconds shown exactly, in the largest unit that holds them without
/// rounding: what scenario files and other files read back are written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exact(pub u64);

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        exact(self.0, f)
    }
}

fn approx(ns: u64) -> String {
    if ns == 0 {
        return "0s".to_string();
    }
    for (unit, scale) in [("s", 1_000_000_000u64), ("ms", 1_000_000), ("us", 1_000)] {
        // 999.9999ms reads as 1s, not as 1000ms.
        if ns as f64 / scale as f64 >= 0.9999995 {
            let text = format!("{:.3}", ns as f64 / scale as f64);
            let text = text.trim_end_matches('0').trim_end_matches('.');
            return format!("{text}{unit}");
        }
    }
    format!("{ns}ns")
}

fn exact(ns: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if ns == 0 {
        return write!(f, "0s");
    }
    for (unit, scale) in [("s", 1_000_000_000u64), ("ms", 1_000_000), ("us", 1_000)] {
        if ns >= scale {
            let whole = ns / scale;
            let rest = ns % scale;
            if rest == 0 {
                return write!(f, "{whole}{unit}");
            }
            let digits = scale.ilog10() as usize;
            let frac = format!("{rest:0digits$}");
            let frac = frac.trim_end_matches('0');
            if frac.len() <= 3 {
                return write!(f, "{whole}.{frac}{unit}");
            }
        }
    }
    write!(f, "{ns}ns")
}

const UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// What a duration string must look like; quoted in error messages.
pub const DURATION_EXPECTED: &str =
    "a duration: a whole number with a unit, such as \"150ms\", \"2s\" or \"500us\" (units: ns, us, ms, s, m, h)";

/// Parses `"150ms"`, `"2s"`, `"1.5s"` (a decimal point is allowed when the
/// result is a whole number of nanoseconds), `"0"`. Spaces are refused, not
/// trimmed: `"5 s"` is more likely a typo for something else than a
/// duration, and one spelling per duration keeps files greppable.
pub fn parse_duration(text: &str) -> Result<Span, String> {
    if !text.contains(char::is_whitespace) {
        return parse_compact(text, text);
    }
    // Say what else is wrong first (`"5 parsecs"`: an unknown unit).
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    parse_compact(&compact, text)?;
    Err(format!("`{text}` contains a space; write a duration without spaces, such as \"150ms\" or \"2s\""))
}

/// Parses `s`, which has no spaces; `text` is what the user wrote.
fn parse_compact(s: &str, text: &str) -> Result<Span, String> {
    if s == "0" {
        return Ok(Span::ZERO);
    }
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{text}` has no unit; expected {DURATION_EXPECTED}"))?;
    let (number, unit) = s.split_at(split);
    let scale = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, scale)| *scale)
        .ok_or_else(|| format!("unknown unit `{unit}` in `{text}`; expected {DURATION_EXPECTED}"))?;
    if number.is_empty() {
        return Err(format!("`{text}` has no number; expected {DURATION_EXPECTED}"));
    }
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    let bad = || format!("`{text}` is not a number with a unit; expected {DURATION_EXPECTED}");
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let mut ns = whole.checked_mul(scale).ok_or_else(|| format!("`{text}` is too long"))?;
    if !frac.is_empty() {
        if frac.len() > 9 || frac.contains('.') {
            return Err(bad());
        }
        let digits: u64 = frac.parse().map_err(|_| bad())?;
        let denominator = 10u64.pow(frac.len() as u32);
        let scaled = (digits as u128) * (scale as u128);
        if !scaled.is_multiple_of(denominator as u128) {
            return Err(format!("`{text}` is not a whole number of nanoseconds"));
        }
        ns = ns
            .checked_add((scaled / denominator as u128) as u64)
            .ok_or_else(|| format!("`{text}` is too long"))?;
    }
    Ok(Span(ns))
}

/// A duration as it appears in scenario files: a string with a unit.
impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(DURATION_EXPECTED)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
                parse_duration(v).map(Duration).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Duration, E> {
                if v == 0 {
                    Ok(Duration(Span::ZERO))
                } else {
                    Err(E::custom(format!("the number {v} has no unit; expected {DURATION_EXPECTED}")))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A [`Span`] read from a scenario file (a string with a unit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub Span);

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.exact())
    }
}

/// `"2s..6s"`: a range of durations from which a value is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationRange {
    pub min: Span,
    pub max: Span,
}

pub const RANGE_EXPECTED: &str = "a duration or a range of durations, such as \"2s\" or \"500ms..3s\"";

impl DurationRange {
    pub fn parse(text: &str) -> Result<DurationRange, String> {
        match text.split_once("..") {
            Some((a, b)) => {
                let min = parse_duration(a)?;
                let max = parse_duration(b)?;
                if min > max {
                    return Err(format!("the range `{text}` runs backwards ({min} > {max})"));
                }
                Ok(DurationRange { min, max })
            }
            None => {
                let t = parse_duration(text)?;
                Ok(DurationRange { min: t, max: t })
            }
        }
    }
}

impl fmt::Display for DurationRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}..{}", self.min, self.max)
        }
    }
}

impl<'de> Deserialize<'de> for DurationRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DurationRange;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(RANGE_EXPECTED)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DurationRange, E> {
                DurationRange::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for DurationRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.min == self.max {
            s.collect_str(&self.min.exact())
        } else {
            s.collect_str(&format_args!("{}..{}", self.min.exact(), self.max.exact()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("150ms"), Ok(Span::from_millis(150)));
        assert_eq!(parse_duration("2s"), Ok(Span::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Span::from_millis(1500)));
        assert_eq!(parse_duration("500us"), Ok(Span::from_micros(500)));
        assert_eq!(parse_duration("7ns"), Ok(Span(7)));
        assert_eq!(parse_duration("0"), Ok(Span::ZERO));
        assert_eq!(parse_duration("2m"), Ok(Span::from_secs(120)));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["5 parsecs", "ms", "12", "1.2.3s", "-5s", "1.0000000001s", "", "s5"] {
            assert!(parse_duration(bad).is_err(), "{bad} parsed");
        }
        for spaced in ["5 s", " 5s", "5ms ", "5\ts", "\u{a0}5s", " 0"] {
            let e = parse_duration(spaced).unwrap_err();
            assert!(e.contains("space"), "{spaced:?}: {e}");
        }
        assert!(DurationRange::parse("2s .. 6s").is_err());
    }

    #[test]
    fn displays_for_people_and_exactly_for_files() {
        assert_eq!(Span::from_millis(1500).to_string(), "1.5s");
        assert_eq!(Span::from_millis(250).to_string(), "250ms");
        assert_eq!(Span(17).to_string(), "17ns");
        assert_eq!(Span(0).to_string(), "0s");
        assert_eq!(Span(6_617_219_845).to_string(), "6.617s");
        assert_eq!(Span(45_610_000).to_string(), "45.61ms");
        assert_eq!(Span(999_999_999).to_string(), "1s");
        assert_eq!(format!("{:>7}", Span::from_millis(5)), "    5ms");
        assert_eq!(Span(1_234_567).exact().to_string(), "1234.567us");
        assert_eq!(Span(6_617_219_845).exact().to_string(), "6617219.845us");
        for t in [Span(1), Span::from_millis(3), Span::from_secs(30), Span(1_500_000), Span(6_617_219_845)] {
            assert_eq!(parse_duration(&t.exact().to_string()), Ok(t));
        }
    }

    #[test]
    fn ranges() {
        let r = DurationRange::parse("2s..6s").unwrap();
        assert_eq!((r.min, r.max), (Span::from_secs(2), Span::from_secs(6)));
        assert!(DurationRange::parse("6s..2s").is_err());
        assert_eq!(DurationRange::parse("1s").unwrap().max, Span::from_secs(1));
    }
}
