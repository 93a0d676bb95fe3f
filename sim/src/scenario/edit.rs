//! Scenarios made from other scenarios: `explore --swarm` and the shrinker
//! change a scenario's typed fields, and the repro they write must carry the
//! scenario that actually ran. An edited scenario is written out as TOML and
//! read again, so it is validated exactly as a file is; a header says where
//! it came from.

use super::{Diagnostic, Scenario};

impl Scenario {
    /// A new scenario: this one with `edit` applied to its fields, written
    /// out (after this one's header and `note`) and validated again.
    pub fn edited(&self, note: &str, edit: impl FnOnce(&mut Scenario)) -> Result<Scenario, Diagnostic> {
        let mut draft = self.clone();
        edit(&mut draft);
        draft.rewritten(&format!("{}# {note}\n", self.header()))
    }

    /// This scenario written out after `header` and read again.
    pub fn rewritten(&self, header: &str) -> Result<Scenario, Diagnostic> {
        Scenario::parse(&self.path, &self.to_toml(header))
    }

    /// The comment lines at the top of the file.
    pub fn header(&self) -> String {
        self.source.lines().take_while(|l| l.starts_with('#')).map(|l| format!("{l}\n")).collect()
    }

    /// This scenario with the nemesis in swarm mode.
    pub fn with_swarm(&self) -> Result<Scenario, Diagnostic> {
        self.edited("dsim: swarm = true added to [nemesis] by explore --swarm", |s| s.nemesis.swarm = true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editing_keeps_everything_else() {
        let src =
            "# a scenario\nprotocol = \"gossip\"\nnodes = 5\nduration = \"10s\"\n[network]\ndrop = 0.1\n";
        let s = Scenario::parse("x.toml", src).unwrap();
        let e = s.edited("changed nodes", |s| s.nodes = 3).unwrap();
        assert_eq!(e.nodes, 3);
        assert_eq!(e.network.default.drop_ppm, 100_000);
        assert!(e.source.starts_with("# a scenario\n# changed nodes\n"), "{}", e.source);
        assert!(s.with_swarm().unwrap().nemesis.swarm);
    }

    #[test]
    fn a_latency_tail_survives_a_round_trip() {
        let src = "protocol = \"gossip\"\nnodes = 3\nduration = \"10s\"\n[network]\ntail = { share = 0.01, max = \"2s\" }\n\
                   [[network.link]]\nbetween = [0, 1]\ntail = { share = 0, max = \"1s\" }\n\
                   [[network.link]]\nbetween = [1, 2]\ntail = { share = 0.5, max = \"3s\" }\n\
                   [[fault]]\nat = \"1s\"\ndegrade = { tail = { share = 0.2, max = \"500ms\" } }\n\
                   [nemesis]\ndegrade = { every = \"1s..2s\", for = \"1s\", tail = { share = 0.1, max = \"1s\" } }\n";
        let s = Scenario::parse("x.toml", src).unwrap();
        let t = crate::network::Tail { ppm: 10_000, max: crate::time::Span::from_secs(2) };
        assert_eq!(s.network.default.tail, t);
        assert!(s.network.links[0].2.tail.is_none(), "share = 0 is no tail");
        assert_eq!(s.network.links[1].2.tail.ppm, 500_000);
        let again = s.rewritten("").unwrap();
        assert_eq!(again.network, s.network);
        assert_eq!(again.faults, s.faults);
        assert_eq!(again.nemesis, s.nemesis);
    }

    /// Every shipped scenario, written out and read again, is the same
    /// scenario: nothing is lost in writing.
    #[test]
    fn every_scenario_survives_a_round_trip() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");
        let mut files = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(root)];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "toml") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() > 20);
        for f in files {
            let s = Scenario::load(f.to_str().unwrap()).unwrap();
            let again = s.rewritten("").unwrap_or_else(|e| panic!("{}: {e}\n{}", f.display(), s.to_toml("")));
            let strip = |mut x: Scenario| {
                x.source = String::new();
                x.spans = Default::default();
                x.roles.iter_mut().flatten().for_each(|r| r.span = 0..0);
                format!("{x:?}")
            };
            assert_eq!(strip(s), strip(again), "{}", f.display());
        }
    }
}
