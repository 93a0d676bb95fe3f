//! A node's own clock: the true virtual time plus a skew and a drift.
//!
//! Nodes never see the true time. A node whose clock runs fast by `drift`
//! parts per million also sees its timers fire early by the same ratio, which
//! is what makes drift dangerous to lease-based protocols.

use crate::time::Time;
use serde::{Deserialize, Serialize};

/// Drift beyond ±10% is not a clock, it is a bug in the scenario.
pub const MAX_DRIFT_PPM: i64 = 100_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub skew_ns: i64,
    pub drift_ppm: i64,
}

impl Clock {
    /// What the node reads when the true time is `now`.
    #[inline]
    pub fn local(&self, now: Time) -> Time {
        let drift = (now.nanos() as i128 * self.drift_ppm as i128) / 1_000_000;
        let t = now.nanos() as i128 + self.skew_ns as i128 + drift;
        Time(t.clamp(0, u64::MAX as i128) as u64)
    }

    /// How much true time passes while the node's clock advances `local`.
    #[inline]
    pub fn real_delay(&self, local: Time) -> Time {
        if self.drift_ppm == 0 {
            return local;
        }
        let rate = 1_000_000 + self.drift_ppm as i128;
        Time(((local.nanos() as i128 * 1_000_000) / rate) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_and_drift() {
        let c = Clock { skew_ns: -5, drift_ppm: 1_000 };
        assert_eq!(c.local(Time(1_000_000)), Time(1_000_995));
        let fast = Clock { skew_ns: 0, drift_ppm: 100_000 };
        assert_eq!(fast.real_delay(Time(110)), Time(100));
        assert_eq!(Clock::default().real_delay(Time(7)), Time(7));
    }
}
