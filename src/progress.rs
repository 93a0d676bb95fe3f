//! Sweep progress on stderr: a bar when stderr is a terminal, otherwise a
//! plain line every few seconds, so that CI logs show the sweep is alive.
//! Stdout carries only the result.

use crate::stopwatch::Stopwatch;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use sim::explore::Progress;
use std::io::IsTerminal;
use std::sync::Mutex;

const PLAIN_EVERY_S: f64 = 5.0;

pub struct Reporter {
    label: String,
    bar: Option<ProgressBar>,
    watch: Stopwatch,
    last_line: Mutex<f64>,
    latest: Mutex<Progress>,
}

impl Reporter {
    pub fn new(label: &str, total: Option<u64>, quiet: bool) -> Reporter {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = match total {
                Some(n) => ProgressBar::new(n),
                None => ProgressBar::new_spinner(),
            };
            let template = match total {
                Some(_) => "{prefix} [{bar:30}] {pos}/{len} seeds, {rate} seeds/s, {msg}, ETA {eta}",
                None => "{prefix} {spinner} {pos} seeds, {rate} seeds/s, {msg}, {elapsed}",
            };
            bar.set_style(
                ProgressStyle::with_template(template)
                    .expect("a valid template")
                    .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = w.write_str(&reports::numbers::si(s.per_sec()));
                    })
                    .progress_chars("=> "),
            );
            bar.set_prefix(label.to_string());
            bar.set_message("0 failing");
            bar
        });
        Reporter {
            label: label.to_string(),
            bar,
            watch: Stopwatch::start(),
            last_line: Mutex::new(0.0),
            latest: Mutex::new(Progress::default()),
        }
    }

    pub fn update(&self, p: Progress) {
        if let Some(bar) = &self.bar {
            bar.set_position(p.done);
            bar.set_message(format!("{} failing", p.failing));
            return;
        }
        let now = self.watch.seconds();
        *self.latest.lock().unwrap_or_else(|e| e.into_inner()) = p;
        let mut last = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
        if now - *last >= PLAIN_EVERY_S {
            *last = now;
            self.line(p, now, "");
        }
    }

    fn line(&self, p: Progress, now: f64, end: &str) {
        let total = p.total.map_or(String::new(), |t| format!("/{t}"));
        eprintln!(
            "{}: {}{total} seeds, {} seeds/s, {} failing{end}",
            self.label,
            p.done,
            reports::numbers::si(p.done as f64 / now.max(1e-9)),
            p.failing
        );
    }

    pub fn finish(&self) {
        match &self.bar {
            Some(bar) => bar.finish_and_clear(),
            None => {
                let p = *self.latest.lock().unwrap_or_else(|e| e.into_inner());
                self.line(p, self.watch.seconds(), ", done");
            }
        }
    }
}

/// A shrink's progress on stderr, on a terminal only: the runs tried and
/// the size of the smallest failing run so far.
pub struct ShrinkReporter {
    bar: Option<ProgressBar>,
}

impl ShrinkReporter {
    pub fn new(label: &str) -> ShrinkReporter {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{prefix} {spinner} {pos} runs tried, {msg}, {elapsed}")
                    .expect("a valid template"),
            );
            bar.set_prefix(format!("shrinking {label}"));
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        ShrinkReporter { bar }
    }

    pub fn update(&self, runs: u32, size: &sim::shrink::Size) {
        if let Some(bar) = &self.bar {
            bar.set_position(runs as u64);
            bar.set_message(Self::message(size));
        }
    }

    /// The size as the bar shows it: faults, operations, events.
    pub fn message(size: &sim::shrink::Size) -> String {
        use reports::numbers::things;
        format!(
            "now {}, {}, {}",
            things(size.faults as u64, "fault"),
            things(size.operations, "operation"),
            things(size.events, "event")
        )
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
