//! Turns runs and sweeps into text, JSON and JUnit XML. Reads results;
//! never runs anything.

pub mod config;
pub mod determinism;
pub mod html;
pub mod json;
pub mod junit;
pub mod lin;
pub mod numbers;
pub mod perfetto;
pub mod run;
pub mod shards;
pub mod sweep;
pub mod text;
pub mod trace_view;
