//! The Synod's properties, computed from the acceptors' states: each time
//! an acceptor accepts, the checker reads the (ballot, value) it holds and
//! counts it; a value a majority accepted in one ballot is chosen.

use super::{Obs, Prop, Role, Synod, SynodNode};
use crate::paxos::Ballot;
use sim::{Checker, NamedSet, Observed, Setup, Verdicts, World};
use std::collections::BTreeMap;

pub struct SynodChecker {
    majority: usize,
    votes: BTreeMap<(Ballot, i64), Vec<u32>>,
    chosen: Option<(i64, Ballot)>,
    proposed: BTreeMap<Ballot, Vec<i64>>,
    promised: BTreeMap<u32, Ballot>,
}

impl SynodChecker {
    pub fn new(setup: &Setup) -> SynodChecker {
        let acceptors = setup.cluster.count_of(Role::Acceptor.index());
        SynodChecker {
            majority: acceptors as usize / 2 + 1,
            votes: BTreeMap::new(),
            chosen: None,
            proposed: BTreeMap::new(),
            promised: BTreeMap::new(),
        }
    }

    fn promise(&mut self, node: u32, ballot: Ballot, what: &str, v: &mut Verdicts<Prop>) {
        let held = self.promised.entry(node).or_insert(Ballot::ZERO);
        if ballot < *held {
            v.violated(
                Prop::PromiseKept,
                format!("n{node} {what} ballot {ballot} after promising ballot {held}"),
            );
        } else {
            *held = ballot;
        }
    }
}

impl Checker<Synod> for SynodChecker {
    fn after_step(
        &mut self,
        world: &World<'_, Synod>,
        observations: &[Observed<Obs>],
        v: &mut Verdicts<Prop>,
    ) {
        for o in observations {
            let node = o.from.index();
            match o.obs {
                Obs::Promised { ballot } => self.promise(node, ballot, "promised", v),
                Obs::Proposed { ballot, value, adopted } => {
                    if adopted {
                        v.fired(Prop::ValueAdopted);
                    } else if value != SynodNode::own_value(node) {
                        v.violated(
                            Prop::Validity,
                            format!("n{node} proposed {value}, neither its own value nor adopted"),
                        );
                    }
                    self.proposed.entry(ballot).or_default().push(value);
                }
                Obs::Outbid => v.fired(Prop::ProposersCompeted),
                Obs::Accepted => {
                    let Some((ballot, value)) = world.server(node).and_then(|s| s.accepted()) else {
                        continue;
                    };
                    self.promise(node, ballot, "accepted in", v);
                    if !self.proposed.get(&ballot).is_some_and(|p| p.contains(&value)) {
                        v.violated(
                            Prop::Validity,
                            format!("n{node} accepted {value} in ballot {ballot}, which its proposer did not propose"),
                        );
                    }
                    let who = self.votes.entry((ballot, value)).or_default();
                    if !who.contains(&node) {
                        who.push(node);
                    }
                    if who.len() >= self.majority {
                        match self.chosen {
                            Some((c, cb)) if c != value => v.violated(
                                Prop::Agreement,
                                format!("{c} was chosen in ballot {cb} and {value} in ballot {ballot}"),
                            ),
                            Some(_) => {}
                            None => self.chosen = Some((value, ballot)),
                        }
                    }
                }
                Obs::Learned { value } => {
                    if self.chosen.is_none_or(|(c, _)| c != value) {
                        v.violated(
                            Prop::Agreement,
                            format!(
                                "learner n{node} learned {value}, but the acceptors chose {:?}",
                                self.chosen.map(|c| c.0)
                            ),
                        );
                    }
                }
            }
        }
    }

    fn at_end(&mut self, world: &World<'_, Synod>, v: &mut Verdicts<Prop>) {
        let undecided: Vec<String> = world
            .live_servers()
            .filter(|(i, s)| world.role_of(*i) == Some(Role::Learner) && s.learned().is_none())
            .map(|(i, _)| format!("n{i}"))
            .collect();
        if !undecided.is_empty() {
            v.violated(
                Prop::Decided,
                format!("learners {} learned no value by the end of the settle phase", undecided.join(", ")),
            );
        }
    }
}
