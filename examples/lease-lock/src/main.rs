//! The whole dsim command line, with the lease lock next to the protocols
//! dsim ships: `lease-lock run scenarios/paused-worker.toml`,
//! `lease-lock explore ...`, `lease-lock shrink ...`, `lease-lock replay ...`.

fn main() -> std::process::ExitCode {
    dsim::main_with(dsim::builtin().with::<lease_lock::LeaseLock>())
}
