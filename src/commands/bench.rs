//! `dsim bench`: engine speed, measured (filled in below).

use crate::error::CliError;

pub fn bench(_relay_seconds: u64, _repeat: u32, _json: bool) -> Result<u8, CliError> {
    Err(CliError::Usage("bench is not built yet".into()))
}
