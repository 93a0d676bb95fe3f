//! Turns runs into text for people and JSON for machines. Reads results;
//! never runs anything.

pub mod config;
pub mod json;
pub mod numbers;
pub mod run;
