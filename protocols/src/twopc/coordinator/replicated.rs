//! The replicated decision log: one Paxos instance per transaction among
//! the coordinator nodes. Ballot 0 belongs to the coordinator that runs the
//! transaction and proposes only commit, so it needs no first phase; a
//! replica that takes a transaction over uses a ballot of its own above
//! every one it has seen, learns from a majority's promises any value that
//! may have been decided, and proposes it, or abort if there is none.

use super::{Coordinator, Phase, Takeover, Txn};
use crate::twopc::types::{Msg, Obs, Record, Request, Timer, TxnId, TxnOp};
use crate::twopc::{Role, TwoPc};
use sim::{Ctx, ProcessId, Span};

impl Coordinator {
    /// Sends to every replica, this one included (a message to oneself is
    /// delivered at once and never lost).
    pub(super) fn send_replicas(&mut self, ctx: &mut Ctx<'_, TwoPc>, msg: &Msg) {
        let replicas: Vec<ProcessId> = ctx.members(Role::Coordinator).collect();
        ctx.send_all(&replicas, msg);
    }

    pub(super) fn majority(ctx: &Ctx<'_, TwoPc>) -> usize {
        ctx.members(Role::Coordinator).count() / 2 + 1
    }

    /// A replica logs a proposed outcome unless it promised a higher ballot.
    pub(super) fn accept(
        &mut self,
        ctx: &mut Ctx<'_, TwoPc>,
        txn: TxnId,
        ballot: u32,
        commit: bool,
        participants: Vec<u32>,
        req: Option<Request>,
    ) -> bool {
        let slot = self.slots.entry(txn).or_default();
        if ballot < slot.promised || slot.accepted.is_some_and(|(b, c)| b == ballot && c == commit) {
            return ballot >= slot.promised;
        }
        slot.promised = ballot;
        slot.accepted = Some((ballot, commit));
        slot.participants = participants.clone();
        slot.req = req;
        // Logged and synced before the replica says so.
        self.append(ctx, Record::Decision { txn, commit, participants, req, ballot });
        ctx.disk().sync();
        true
    }

    pub(super) fn accepted(
        &mut self,
        ctx: &mut Ctx<'_, TwoPc>,
        from: u32,
        txn: TxnId,
        ballot: u32,
        ok: bool,
        config: &TwoPc,
    ) {
        if ballot == 0 {
            let majority = Self::majority(ctx);
            let Some(t) = self.txns.get_mut(&txn) else { return };
            if t.phase != Phase::Logging {
                return;
            }
            if !ok {
                // Another replica took the transaction over: learn what it
                // decided by taking it over in turn.
                t.phase = Phase::Aborted;
                ctx.cancel_timer(&Timer::Phase(txn));
                self.txns.remove(&txn);
                self.start_takeover(ctx, txn, None, config);
                return;
            }
            if !t.answered.contains(&from) {
                t.answered.push(from);
            }
            if t.answered.len() >= majority {
                self.announce(ctx, txn, true, config);
            }
            return;
        }
        let majority = Self::majority(ctx);
        let Some(tk) = self.takeovers.get_mut(&txn) else { return };
        if tk.ballot != ballot || tk.proposing.is_none() {
            return;
        }
        if !ok {
            let wait = Span(config.inquiry.nanos() / 2 + ctx.rng().below(config.inquiry.nanos().max(1)));
            ctx.set_timer(Timer::Takeover(txn), wait);
            return;
        }
        if !tk.accepted.contains(&from) {
            tk.accepted.push(from);
        }
        if tk.accepted.len() >= majority {
            let tk = self.takeovers.remove(&txn).expect("present");
            ctx.cancel_timer(&Timer::Takeover(txn));
            self.decided_by_takeover(ctx, txn, tk, config);
        }
    }

    /// A replica promises to accept nothing below `ballot` and says what it
    /// has accepted.
    pub(super) fn promise(&mut self, ctx: &mut Ctx<'_, TwoPc>, txn: TxnId, ballot: u32) -> Msg {
        let slot = self.slots.entry(txn).or_default();
        if ballot <= slot.promised {
            return Msg::Promise {
                txn,
                ballot,
                ok: false,
                accepted: None,
                participants: Vec::new(),
                req: None,
            };
        }
        slot.promised = ballot;
        let (accepted, participants, req) = (slot.accepted, slot.participants.clone(), slot.req);
        self.append(ctx, Record::Promised { txn, ballot });
        ctx.disk().sync();
        Msg::Promise { txn, ballot, ok: true, accepted, participants, req }
    }

    /// A promise: what the replica accepted, for which participants and
    /// which client request.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn promised(
        &mut self,
        ctx: &mut Ctx<'_, TwoPc>,
        from: u32,
        txn: TxnId,
        ballot: u32,
        ok: bool,
        (accepted, participants, req): (Option<(u32, bool)>, Vec<u32>, Option<Request>),
        config: &TwoPc,
    ) {
        let majority = Self::majority(ctx);
        let Some(tk) = self.takeovers.get_mut(&txn) else { return };
        if tk.ballot != ballot || tk.proposing.is_some() || tk.promises.contains(&from) {
            return;
        }
        if !ok {
            let wait = Span(config.inquiry.nanos() / 2 + ctx.rng().below(config.inquiry.nanos().max(1)));
            ctx.set_timer(Timer::Takeover(txn), wait);
            return;
        }
        tk.promises.push(from);
        // A transaction runs one request: any replica that knows it will do.
        if tk.req.is_none() {
            tk.req = req;
        }
        if let Some((b, c)) = accepted {
            if tk.best.is_none_or(|(best, _)| b > best) {
                tk.best = Some((b, c));
                tk.participants = participants;
            }
        }
        if tk.promises.len() < majority {
            return;
        }
        // A commit some majority may have logged shows up in every
        // majority: adopt it. Otherwise nothing was decided: abort.
        let commit = tk.best.is_some_and(|(_, c)| c);
        tk.proposing = Some(commit);
        // The request goes with the value, so whoever logs the decision can
        // answer the client's retries after a restart (exactly-once).
        let req = tk.req.or(self.slots.get(&txn).and_then(|s| s.req));
        let msg = Msg::Accept { txn, ballot, commit, participants: tk.participants.clone(), req };
        tk.req = req;
        self.send_replicas(ctx, &msg);
    }

    /// Takes over a transaction whose outcome this replica does not know.
    pub(super) fn start_takeover(
        &mut self,
        ctx: &mut Ctx<'_, TwoPc>,
        txn: TxnId,
        asking: Option<ProcessId>,
        config: &TwoPc,
    ) {
        if let Some(tk) = self.takeovers.get_mut(&txn) {
            if let Some(p) = asking.filter(|p| !tk.asking.contains(p)) {
                tk.asking.push(p);
            }
            return;
        }
        let replicas = ctx.members(Role::Coordinator).count() as u32;
        let index = ctx.members(Role::Coordinator).position(|c| c.index() == self.me).unwrap_or(0) as u32;
        let promised = self.slots.get(&txn).map_or(0, |s| s.promised);
        // Ballots k * replicas + index + 1 are this replica's own; 0 is the
        // running coordinator's.
        let round = promised / replicas.max(1) + 1;
        let ballot = round * replicas + index + 1;
        self.takeovers.insert(
            txn,
            Takeover {
                ballot,
                promises: Vec::new(),
                best: None,
                participants: Vec::new(),
                req: None,
                proposing: None,
                accepted: Vec::new(),
                asking: asking.into_iter().collect(),
            },
        );
        self.send_replicas(ctx, &Msg::Recover { txn, ballot });
        ctx.set_timer(Timer::Takeover(txn), config.inquiry * 2);
    }

    pub(super) fn decided_by_takeover(
        &mut self,
        ctx: &mut Ctx<'_, TwoPc>,
        txn: TxnId,
        tk: Takeover,
        config: &TwoPc,
    ) {
        let commit = tk.proposing.unwrap_or(false);
        let participants = tk.participants.clone();
        self.txns.insert(
            txn,
            Txn {
                req: tk.req.filter(|_| txn.coordinator == self.me),
                op: TxnOp::Transfer { from: 0, to: 0, amount: 0 },
                participants: participants.clone(),
                phase: if commit { Phase::Committed } else { Phase::Aborted },
                answered: Vec::new(),
                sum: 0,
                acks: Vec::new(),
            },
        );
        if commit {
            ctx.observe(Obs::RecoveredDecision { txn });
        }
        ctx.observe(Obs::Decided { txn, commit, presumed: false });
        let mut told: Vec<ProcessId> = participants.iter().map(|p| ProcessId::server(*p)).collect();
        for p in tk.asking {
            if !told.contains(&p) {
                told.push(p);
            }
        }
        ctx.send_all(&told, &Msg::Decision { txn, commit });
        if let Some((client, seq)) = tk.req.filter(|_| txn.coordinator == self.me) {
            self.requests.insert((client, seq), txn);
            ctx.send(ProcessId::client(client), Msg::Outcome { seq, committed: commit, total: None });
        }
        if commit {
            ctx.set_timer(Timer::Resend(txn), config.resend);
        }
    }
}
