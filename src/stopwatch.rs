//! Wall time around a run, for events per second. The only place dsim reads
//! the wall clock; nothing measured here reaches a simulation.

#[allow(clippy::disallowed_types)]
pub struct Stopwatch(std::time::Instant);

impl Stopwatch {
    #[allow(clippy::disallowed_methods, clippy::disallowed_types)]
    pub fn start() -> Stopwatch {
        Stopwatch(std::time::Instant::now())
    }

    pub fn seconds(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}
