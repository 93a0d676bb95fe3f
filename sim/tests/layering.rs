//! The arrows between `sim`'s modules point one way: no module reaches,
//! through others, back to itself. (`sim` knows no protocol, `reports`
//! reads results and draws nothing: checked below too.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Code without comments (doc links are not imports).
fn code(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Each top-level module of `sim` and the modules it names as `crate::x`.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        let top = rel.split('/').next().unwrap().trim_end_matches(".rs").to_string();
        if top == "lib" {
            continue;
        }
        let text = code(&std::fs::read_to_string(&f).unwrap());
        let deps = graph.entry(top.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String =
                text[i + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if name != top && !name.is_empty() {
                deps.insert(name);
            }
        }
    }
    graph
}

fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> Option<Vec<String>> {
    let mut stack = vec![(from.to_string(), vec![from.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((m, path)) = stack.pop() {
        for d in graph.get(&m).into_iter().flatten() {
            let mut p = path.clone();
            p.push(d.clone());
            if d == to {
                return Some(p);
            }
            if seen.insert(d.clone()) {
                stack.push((d.clone(), p));
            }
        }
    }
    None
}

#[test]
fn no_module_of_sim_depends_on_itself_through_others() {
    let graph = module_graph();
    assert!(graph.len() > 20, "{graph:?}");
    for m in graph.keys() {
        if let Some(cycle) = reaches(&graph, m, m) {
            panic!("an import cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn reports_only_read_results() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in files {
        let text = code(&std::fs::read_to_string(&f).unwrap());
        for drawing in ["for_seed(", "fault_schedule(", "Rng::new(", ".run(", "simulate("] {
            assert!(!text.contains(drawing), "{} calls {drawing}", f.display());
        }
    }
}
