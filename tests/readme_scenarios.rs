//! The scenario examples in the README load: the first as a whole
//! scenario, the roles example as part of the lease lock's scenario.

use sim::Scenario;

fn toml_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```toml") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap_or_default()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

#[test]
fn the_readme_scenario_example_loads_and_runs() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let blocks = toml_blocks(&readme);
    let example =
        blocks.iter().find(|b| b.starts_with("name = \"gossip: partition and heal\"")).expect("the example");
    let scenario = Scenario::parse("README.md", example).unwrap_or_else(|e| panic!("{e}"));
    let runner = protocols::prepare(scenario).unwrap_or_else(|e| panic!("{e}"));
    let r = runner.run(0, sim::RunOptions::default());
    assert!(r.events > 1000, "it runs: {} events", r.events);
}
