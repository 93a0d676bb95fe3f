//! The `dsim` binary: the command line over the protocols dsim ships.

fn main() -> std::process::ExitCode {
    dsim::main_with(dsim::builtin())
}
