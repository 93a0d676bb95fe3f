//! What `run`, `replay` and `check` draw besides their summary: the HTML
//! report (`--html FILE`) and Chrome's trace-event JSON (`--perfetto FILE`).

use crate::error::CliError;
use crate::files;
use sim::trace::TraceLine;
use sim::{RunResult, Runner};
use std::path::{Path, PathBuf};

/// The files a command was asked to draw.
#[derive(Clone, Debug, Default)]
pub struct Drawings {
    pub html: Option<PathBuf>,
    pub perfetto: Option<PathBuf>,
}

impl Drawings {
    /// Whether the run must keep its trace in memory.
    pub fn wanted(&self) -> bool {
        self.html.is_some() || self.perfetto.is_some()
    }

    /// Refuses, before anything runs, a file dsim may not replace.
    pub fn check(&self) -> Result<(), CliError> {
        if let Some(p) = &self.html {
            files::check_writable(p, files::HTML)?;
        }
        if let Some(p) = &self.perfetto {
            files::check_writable(p, files::PERFETTO)?;
        }
        Ok(())
    }

    /// Writes the report and the Perfetto trace of one run.
    pub fn write_run(
        &self,
        runner: &dyn Runner,
        title: &str,
        result: &RunResult,
        trace: &[TraceLine],
    ) -> Result<(), CliError> {
        let scenario = runner.scenario();
        let (servers, clients) = (scenario.nodes, scenario.clients());
        if let Some(path) = &self.html {
            let config = reports::config::describe(
                scenario,
                &runner.parameters(),
                result.seed,
                &scenario.nemesis.for_seed(result.seed),
                result.faults.iter().cloned(),
            );
            let page = reports::html::run_page(title, Some(config), result, servers, clients, trace);
            files::write_output(path, files::HTML, &page)?;
        }
        if let Some(path) = &self.perfetto {
            let json = reports::perfetto::trace_events(servers, clients, trace);
            files::write_output(path, files::PERFETTO, &json)?;
        }
        Ok(())
    }
}

/// A page title: the scenario and the seed.
pub fn title(scenario: &Path, seed: u64) -> String {
    format!("dsim: {} seed {seed}", scenario.display())
}
