//! The summary of a protocol's results: the mutation score, how many seeds
//! the caught mutants needed, and the survivors to review.

use crate::mutate::Mutant;
use crate::results::{Equivalents, Record, Results};
use std::fmt::Write;

/// What became of one mutant, as the report counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Caught,
    Equivalent,
    /// Reviewed: slower or noisier, not wrong; counted as a survivor.
    Performance,
    Survived,
    Error,
    /// Not run, or run against older code or an older oracle.
    Pending,
}

pub fn classify(m: &Mutant, r: Option<&Record>, oracle: &str, eq: &Equivalents) -> Class {
    let Some(r) = r.filter(|r| r.fn_hash == format!("{:016x}", m.fn_hash) && r.oracle == oracle) else {
        return Class::Pending;
    };
    if r.is_caught() {
        Class::Caught
    } else if r.status == "error" {
        Class::Error
    } else if eq.performance_only(&m.id) {
        Class::Performance
    } else if eq.gap(&m.id) {
        Class::Survived
    } else if eq.reason(&m.id).is_some() {
        Class::Equivalent
    } else {
        Class::Survived
    }
}

#[derive(Default)]
struct Tally {
    total: usize,
    caught: usize,
    limit: usize,
    timeout: usize,
    vacuous: usize,
    slower: usize,
    equivalent: usize,
    performance: usize,
    survived: usize,
    error: usize,
    pending: usize,
}

impl Tally {
    fn add(&mut self, class: Class, r: Option<&Record>) {
        self.total += 1;
        match class {
            Class::Caught => {
                self.caught += 1;
                match r.map(|r| r.status.as_str()) {
                    Some("limit") => self.limit += 1,
                    Some("timeout") => self.timeout += 1,
                    Some("vacuous") => self.vacuous += 1,
                    Some("slower") => self.slower += 1,
                    _ => {}
                }
            }
            Class::Equivalent => self.equivalent += 1,
            Class::Survived => self.survived += 1,
            Class::Performance => self.performance += 1,
            Class::Error => self.error += 1,
            Class::Pending => self.pending += 1,
        }
    }

    fn score(&self) -> String {
        let percent = |judged: usize| {
            if judged == 0 {
                "-".to_string()
            } else {
                format!("{:.1}%", 100.0 * self.caught as f64 / judged as f64)
            }
        };
        format!(
            "{} | {}",
            percent(self.caught + self.survived + self.performance),
            percent(self.caught + self.survived)
        )
    }

    fn row(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {} ({} limit, {} timeout, {} vacuous, {} slower) | {} | {} | {} | {} | {} | {} |\n",
            self.total,
            self.caught,
            self.limit,
            self.timeout,
            self.vacuous,
            self.slower,
            self.survived,
            self.performance,
            self.equivalent,
            self.error,
            self.pending,
            self.score()
        )
    }
}

/// The report, in Markdown.
pub fn render(
    protocol: &str,
    mutants: &[Mutant],
    results: &Results,
    oracle: &str,
    eq: &Equivalents,
) -> String {
    let mut files: Vec<(String, Tally)> = Vec::new();
    let mut total = Tally::default();
    let mut needed: Vec<u64> = Vec::new();
    let mut survivors = Vec::new();
    let mut slower = Vec::new();
    for m in mutants {
        let r = results.get(&m.id);
        let class = classify(m, r, oracle, eq);
        let short = m.file.rsplit_once("/src/").map_or(m.file.clone(), |(_, f)| f.to_string());
        if files.last().is_none_or(|(f, _)| *f != short) {
            files.push((short, Tally::default()));
        }
        files.last_mut().expect("pushed").1.add(class, r);
        total.add(class, r);
        match class {
            Class::Caught if r.is_some_and(|r| r.status == "slower") => slower.extend(r),
            Class::Caught => needed.extend(r.and_then(|r| r.seeds_needed)),
            Class::Survived | Class::Equivalent | Class::Performance | Class::Error => {
                survivors.push((m, r, class))
            }
            Class::Pending => {}
        }
    }
    let mut out = format!("## Mutants of {protocol}\n\n");
    out += "| file | mutants | caught | survived | performance only | equivalent | error | not run \
            | score | score without performance-only |\n";
    out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (f, t) in &files {
        out += &t.row(f);
    }
    out += &total.row("**all**");
    out += "\nscore = caught / (caught + survived + performance only); equivalent and performance-only \
            mutants are reviewed by hand (mutants/PROTOCOL-equivalent.toml).\n\n";
    needed.sort_unstable();
    if !needed.is_empty() {
        let within = |n: u64| needed.iter().filter(|s| **s <= n).count();
        let _ = writeln!(
            out,
            "Seeds the catching scenario needed (first failing seed + 1), over {} caught mutants with a \
             finding: median {}, at most 1: {}, 10: {}, 50: {}, 300: {}, 2000: {}, max {}.\n",
            needed.len(),
            needed[needed.len() / 2],
            within(1),
            within(10),
            within(50),
            within(300),
            within(2000),
            needed.last().copied().unwrap_or(0)
        );
    }
    if !survivors.is_empty() {
        out += "| survivor | seeds per scenario | verdict |\n|---|---:|---|\n";
        for (m, r, class) in survivors {
            let verdict = match class {
                Class::Equivalent => format!("equivalent: {}", eq.reason(&m.id).unwrap_or("")),
                Class::Performance => format!("performance only: {}", eq.reason(&m.id).unwrap_or("")),
                Class::Error => format!("error: {}", r.and_then(|r| r.message.clone()).unwrap_or_default()),
                _ if eq.gap(&m.id) => format!("gap: {}", eq.reason(&m.id).unwrap_or("")),
                _ => "not reviewed".into(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                change_cell(&m.file, m.line, &m.before, &m.after),
                r.map_or(0, |r| r.seeds),
                verdict
            );
        }
    }
    if !slower.is_empty() {
        out += "\n| slower (caught by cost) | scenario | what rose |\n|---|---|---|\n";
        for r in slower {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                change_cell(&r.file, r.line, &r.before, &r.after),
                r.scenario.as_deref().unwrap_or(""),
                r.message.as_deref().unwrap_or("").replace('|', "\\|")
            );
        }
    }
    for e in &eq.equivalent {
        if let Some(r) = results.get(&e.id).filter(|r| r.is_caught()) {
            let _ =
                writeln!(out, "\nwarning: `{}` is listed as equivalent but was caught ({})", e.id, r.status);
        }
        if !mutants.iter().any(|m| m.id == e.id) {
            let _ = writeln!(out, "\nwarning: `{}` is listed as equivalent but no longer exists", e.id);
        }
    }
    out
}

/// A mutant as a Markdown table cell: place, code before and after.
fn change_cell(file: &str, line: usize, before: &str, after: &str) -> String {
    format!("`{file}:{line}` `{}` -> `{}`", before.replace('|', "\\|"), after.replace('|', "\\|"))
}
