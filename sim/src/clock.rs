//! A process's clocks: a wall clock and a monotonic clock, both driven by the
//! true virtual time through a piecewise-linear map.
//!
//! The rules (see `docs/clocks.md`):
//!
//! - **Wall clock** (`ctx.now()`): the true time plus an offset. A clock
//!   fault sets the offset (the skew) and the rate (the drift) from the
//!   moment it strikes; the offset then grows by the drift as time passes.
//!   A fault that changes only the drift never moves the clock: drift counts
//!   from the moment it changes, not from time zero.
//! - **Monotonic clock** (`ctx.monotonic()`): starts at zero when the run
//!   starts, runs at the same rate as the wall clock, and never jumps, so a
//!   skew fault is invisible to it. A crash does not reset it (it is the
//!   machine's clock, not the process's).
//! - **Timers** run on the monotonic clock: a timer set for `d` fires when
//!   the monotonic clock has advanced by `d`. When the drift changes, pending
//!   timers are rescheduled so that the part of `d` still to run runs at the
//!   new rate.
//!
//! Each clock is `reading = base + (true − anchor) · (1 + drift)`, re-based
//! at every change, so a change affects only what comes after it.

use crate::time::{Span, Time};
use serde::{Deserialize, Serialize};

/// Drift beyond ±10% is not a clock, it is a bug in the scenario.
pub const MAX_DRIFT_PPM: i64 = 100_000;

const PPM: i128 = 1_000_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Clock {
    /// The true time of the last change.
    anchor: Time,
    /// The wall clock's reading at `anchor`, in nanoseconds (may be
    /// negative before it is clamped for reading).
    wall_at_anchor: i128,
    /// The monotonic clock's reading at `anchor`.
    mono_at_anchor: u64,
    drift_ppm: i64,
}

/// What a checker can read of a process's clocks at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ClockReading {
    pub wall: Time,
    pub monotonic: Time,
    /// `wall − true time`, in nanoseconds.
    pub offset_ns: i64,
    pub drift_ppm: i64,
}

impl Clock {
    /// A clock that reads the true time.
    pub const fn exact() -> Clock {
        Clock { anchor: Time::ZERO, wall_at_anchor: 0, mono_at_anchor: 0, drift_ppm: 0 }
    }

    #[inline]
    fn elapsed(&self, now: Time) -> i128 {
        let dt = now.nanos().saturating_sub(self.anchor.nanos()) as i128;
        if self.drift_ppm == 0 {
            // Most clocks never drift: no 128-bit division on the hot path.
            return dt;
        }
        dt + dt * self.drift_ppm as i128 / PPM
    }

    /// The wall clock when the true time is `now`.
    #[inline]
    pub fn wall(&self, now: Time) -> Time {
        if self.drift_ppm == 0 && self.wall_at_anchor == self.anchor.nanos() as i128 {
            return now; // an exact clock
        }
        let t = self.wall_at_anchor + self.elapsed(now);
        Time(t.clamp(0, u64::MAX as i128) as u64)
    }

    /// The monotonic clock when the true time is `now`.
    #[inline]
    pub fn monotonic(&self, now: Time) -> Time {
        let t = self.mono_at_anchor as i128 + self.elapsed(now);
        Time(t.clamp(0, u64::MAX as i128) as u64)
    }

    /// The wall clock's offset from the true time.
    pub fn offset_ns(&self, now: Time) -> i64 {
        let t = self.wall_at_anchor + self.elapsed(now) - now.nanos() as i128;
        t.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    pub fn drift_ppm(&self) -> i64 {
        self.drift_ppm
    }

    pub fn read(&self, now: Time) -> ClockReading {
        ClockReading {
            wall: self.wall(now),
            monotonic: self.monotonic(now),
            offset_ns: self.offset_ns(now),
            drift_ppm: self.drift_ppm,
        }
    }

    /// At true time `now`, the wall clock jumps to `now + skew_ns` and both
    /// clocks run at `drift_ppm` from then on. The monotonic clock does not
    /// jump.
    pub fn set(&mut self, now: Time, skew_ns: i64, drift_ppm: i64) {
        let mono = self.monotonic(now);
        *self = Clock {
            anchor: now,
            wall_at_anchor: now.nanos() as i128 + skew_ns as i128,
            mono_at_anchor: mono.nanos(),
            drift_ppm,
        };
    }

    /// How much true time passes while this clock advances by `local`, at
    /// its current rate.
    #[inline]
    pub fn real_delay(&self, local: Span) -> Span {
        if self.drift_ppm == 0 {
            return local;
        }
        let rate = PPM + self.drift_ppm as i128;
        Span(((local.nanos() as i128 * PPM) / rate) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn an_exact_clock_reads_the_true_time() {
        let c = Clock::exact();
        assert_eq!(c.wall(Time(123)), Time(123));
        assert_eq!(c.monotonic(Time(123)), Time(123));
        assert_eq!(c.real_delay(Span(7)), Span(7));
    }

    #[test]
    fn skew_moves_the_wall_clock_and_not_the_monotonic_one() {
        let mut c = Clock::exact();
        c.set(Time(10 * MS), -5 * MS as i64, 0);
        assert_eq!(c.wall(Time(10 * MS)), Time(5 * MS));
        assert_eq!(c.monotonic(Time(10 * MS)), Time(10 * MS));
        assert_eq!(c.offset_ns(Time(20 * MS)), -5 * MS as i64);
    }

    #[test]
    fn drift_counts_from_the_moment_it_changes() {
        // Ten seconds into the run, only the drift changes: no jump.
        let t = Time::from_secs(10);
        let mut c = Clock::exact();
        let before = c.wall(t);
        c.set(t, c.offset_ns(t), 100_000);
        assert_eq!(c.wall(t), before, "a drift change alone must not move the clock");
        // One second later the fast clock is 100ms ahead, on both clocks.
        let later = t + Span::from_secs(1);
        assert_eq!(c.wall(later), later + Span::from_millis(100));
        assert_eq!(c.monotonic(later), later + Span::from_millis(100));
    }

    #[test]
    fn the_monotonic_clock_never_goes_back() {
        let mut c = Clock::exact();
        let mut last = Time::ZERO;
        for (i, (skew, drift)) in [(500, 1000), (-500, -1000), (0, 50_000), (-200, 0)].iter().enumerate() {
            let now = Time::from_secs(i as u64 + 1);
            c.set(now, skew * MS as i64, *drift);
            for step in 0..10 {
                let m = c.monotonic(now + Span::from_millis(step * 100));
                assert!(m >= last);
                last = m;
            }
        }
    }

    #[test]
    fn real_delay_follows_the_rate() {
        let mut fast = Clock::exact();
        fast.set(Time::ZERO, 0, 100_000);
        assert_eq!(fast.real_delay(Span(110)), Span(100));
    }
}
