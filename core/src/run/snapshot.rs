//! Snapshots of a run: its whole state as checksummed JSON, and restoring one only when every
//! invariant of a run holds (see "What a snapshot guarantees" in `ARCHITECTURE.md`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Action, KeyedAction, Outcome, Run};
use crate::engine::{AgentId, AgentStatus, Engine, EngineConfig};
use crate::error::{Error, ErrorKind, Result, err};
use crate::limits::{MAX_IDEMPOTENCY_KEY_CHARS, check_text};
use crate::scenario::{Fnv, Scenario};

/// A run's complete state; restoring it onto the same scenario continues byte-identically.
///
/// What a snapshot guarantees (see `ARCHITECTURE.md`): it restores only onto the scenario it was
/// taken on (fingerprint); text changed by accident is refused (checksum); and one changed on
/// purpose, checksum recomputed, is still restored only if every invariant of a run holds — so a
/// restored run never panics later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSnapshot {
    /// Snapshot format version.
    pub format: u32,
    /// Slug of the scenario it was taken on.
    pub scenario_slug: String,
    /// The scenario's fingerprint, hex.
    pub scenario_fingerprint: String,
    /// Timeline index of `sim_time`.
    pub step: usize,
    /// Whether a step was taken.
    pub started: bool,
    engine: Engine,
    idempotency: BTreeMap<String, KeyedAction>,
    /// The run's `RunOptions::close_at_end`; left out when off, so other snapshots keep their text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub close_at_end: bool,
    /// 64-bit FNV-1a of the snapshot's JSON with this field empty, hex: catches accidental
    /// corruption of the text (it is no signature: anyone can recompute it).
    pub checksum: String,
}

/// Version 2 added the checksum, version 3 the bar index of each fill (and of the engine's clock).
const SNAPSHOT_FORMAT: u32 = 3;

impl RunSnapshot {
    /// The checksum the snapshot's content gives (over its canonical JSON, `checksum` left empty).
    #[must_use]
    pub fn compute_checksum(&self) -> String {
        let body = RunSnapshot { checksum: String::new(), ..self.clone() };
        let mut h = Fnv::new();
        h.write(serde_json::to_string(&body).expect("snapshots serialise").as_bytes());
        format!("{:016x}", h.finish())
    }

    /// The snapshot with its checksum set to what its content gives.
    #[must_use]
    pub fn sealed(mut self) -> Self {
        self.checksum = self.compute_checksum();
        self
    }
}

impl Run {
    /// The run's complete state.
    pub fn snapshot(&self) -> RunSnapshot {
        RunSnapshot {
            format: SNAPSHOT_FORMAT,
            scenario_slug: self.scenario.config().slug.clone(),
            scenario_fingerprint: format!("{:016x}", self.scenario.fingerprint()),
            step: self.step,
            started: self.started,
            engine: self.engine.clone(),
            idempotency: self.idempotency.clone(),
            close_at_end: self.close_at_end,
            checksum: String::new(),
        }
        .sealed()
    }

    /// The snapshot as JSON text.
    pub fn snapshot_json(&self) -> String {
        serde_json::to_string(&self.snapshot()).expect("snapshots serialise")
    }

    /// Continues a run from a snapshot taken on the same scenario. Refused (`invalid_snapshot`,
    /// saying what is wrong) unless the format, checksum and scenario match and every invariant
    /// of a run holds (see [`Engine::check_consistency`] and [`Run::check_restored`]).
    pub fn restore(scenario: Arc<Scenario>, snapshot: RunSnapshot) -> Result<Self> {
        if snapshot.format != SNAPSHOT_FORMAT {
            return err(
                ErrorKind::InvalidSnapshot,
                format!("snapshot format {} is not supported (expected {SNAPSHOT_FORMAT})", snapshot.format),
            );
        }
        let computed = snapshot.compute_checksum();
        if snapshot.checksum != computed {
            return err(
                ErrorKind::InvalidSnapshot,
                format!(
                    "snapshot checksum {} does not match its content ({computed}): the text was changed or damaged",
                    snapshot.checksum
                ),
            );
        }
        let fingerprint = format!("{:016x}", scenario.fingerprint());
        if snapshot.scenario_fingerprint != fingerprint {
            return err(
                ErrorKind::InvalidSnapshot,
                format!(
                    "snapshot was taken on scenario '{}' ({}), not on '{}' ({fingerprint})",
                    snapshot.scenario_slug,
                    snapshot.scenario_fingerprint,
                    scenario.config().slug
                ),
            );
        }
        snapshot.engine.check_consistency()?;
        if !snapshot.engine.symbols().iter().eq(scenario.series().iter().map(|s| &s.symbol)) {
            return err(ErrorKind::InvalidSnapshot, "snapshot's symbols differ from the scenario's");
        }
        let t = snapshot.step;
        let Some(&ts) = scenario.timeline().get(t) else {
            return err(ErrorKind::InvalidSnapshot, format!("snapshot step {t} is past the scenario's end"));
        };
        let cursors = scenario.series().iter().map(|s| s.bars.partition_point(|b| b.ts <= ts).checked_sub(1)).collect();
        let run = Run {
            scenario,
            engine: snapshot.engine,
            step: t,
            cursors,
            started: snapshot.started,
            idempotency: snapshot.idempotency,
            slice: Vec::new(),
            interrupt: None,
            close_at_end: snapshot.close_at_end,
        };
        run.check_restored()?;
        Ok(run)
    }

    /// What ties a restored engine to its run: the scenario's rules, the clock at the step (not
    /// rewound), the marks and last bars at the step's bars, equity curves on the timeline up to
    /// the step, valid idempotency keys.
    fn check_restored(&self) -> Result<()> {
        let bad = |what: &str| Err(Error::new(ErrorKind::InvalidSnapshot, format!("inconsistent snapshot: {what}")));
        let mut rules = EngineConfig::from_scenario(self.scenario.config());
        rules.intrabar_path = self.engine.config().intrabar_path;
        if *self.engine.config() != rules {
            return bad("the rules differ from the scenario's");
        }
        let timeline = self.scenario.timeline();
        if self.engine.clock() != Some(timeline[self.step]) || self.engine.bar_index() != self.step {
            return bad("the engine's clock is not at the snapshot's step");
        }
        if self.started != (self.step > 0) {
            return bad("`started` does not match the step");
        }
        for (i, s) in self.scenario.series().iter().enumerate() {
            let last = self.cursors[i].map(|c| &s.bars[c]);
            if self.engine.mark(&s.symbol) != last.map(|b| b.close) || self.engine.last_bar_of(i) != last.map(|b| b.ts)
            {
                return bad(&format!("the marks of '{}' are not the closes up to the step", s.symbol));
            }
        }
        for k in 0..self.engine.agent_count() {
            let id = AgentId(k);
            let curve = self.engine.equity_curve(id)?;
            // Points ascend (checked with the engine), start where agents join and stay on the
            // timeline; a liquidated agent's curve may stop early (and resume after a reset).
            let now = &timeline[..=self.step];
            let on_timeline = curve.first().is_some_and(|p| p.ts == timeline[0])
                && curve.iter().all(|p| now.binary_search(&p.ts).is_ok());
            let complete = curve.last().is_some_and(|p| p.ts == timeline[self.step])
                || self.engine.status(id)? == AgentStatus::Liquidated;
            if !(on_timeline && complete) {
                return bad(&format!("the equity curve of agent {k} is not the timeline up to the step"));
            }
            // Orders are placed, changed and filled at the clock, which only stands on the timeline.
            let on_clock = |ts: i64| now.binary_search(&ts).is_ok();
            let orders = self.engine.orders(id)?.iter().all(|o| on_clock(o.created_at) && on_clock(o.updated_at));
            let fills = self.engine.fills(id)?.iter().all(|f| now.get(f.bar_index) == Some(&f.ts));
            if !(orders && fills) {
                return bad(&format!("an order or fill of agent {k} is not at a time (and bar index) of the timeline"));
            }
        }
        for (key, keyed) in &self.idempotency {
            if check_text("idempotency_key", key, MAX_IDEMPOTENCY_KEY_CHARS).is_err() {
                return bad(&format!("idempotency key of {} characters", key.chars().count()));
            }
            // A submit or cancel was answered with an order, a step with a report.
            let answered = matches!(
                (&keyed.action, &keyed.outcome),
                (Action::Submit { .. } | Action::Cancel { .. }, Outcome::Order(_))
                    | (Action::Step { .. }, Outcome::Step(_))
            );
            if !answered {
                return bad(&format!("idempotency key '{key}' holds an answer of another kind"));
            }
        }
        Ok(())
    }

    /// Continues a run from JSON made by [`Run::snapshot_json`].
    pub fn restore_json(scenario: Arc<Scenario>, json: &str) -> Result<Self> {
        let snapshot: RunSnapshot = serde_json::from_str(json)
            .map_err(|e| Error::new(ErrorKind::InvalidSnapshot, format!("snapshot is not valid JSON: {e}")))?;
        Self::restore(scenario, snapshot)
    }
}
