//! Indicators revealed bar by bar, for strategies written as a callback per bar.
//!
//! A data library computes an indicator over a whole series at once (a moving average over a numpy
//! array, a `Float64Array`); a strategy deciding at step `s` of a run may only see the values of the
//! bars up to that step. [`Revealed`] holds the whole computation and answers for one step at a time
//! from the number of bars visible at each step, so a strategy cannot look ahead even by mistake, and
//! reading a value costs an index, not a copy. Every SDK's callback loop uses it: the same indicator
//! reveals the same values at the same steps in Python, Node and the browser.
//!
//! Whether the function that produced the values is causal (uses only past bars) is checked where it
//! runs, in the SDK: the engine only sees its output.

use crate::error::{Error, ErrorKind, Result, err};
use crate::scenario::Scenario;

/// Values over every bar of one series, revealed step by step along a run's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Revealed {
    values: Vec<f64>,
    /// Bars of the series visible at each step of the timeline.
    counts: Counts,
}

/// How many bars of a series are visible at each step of a timeline.
#[derive(Debug, Clone, PartialEq)]
enum Counts {
    /// The series has a bar at each of these many steps (the usual case): `step + 1` at `step`.
    Every(usize),
    /// Per step, non-decreasing: a series with gaps against the timeline.
    Table(Vec<u32>),
}

impl Counts {
    /// Visible bars at `step`, `None` past the last step.
    fn get(&self, step: usize) -> Option<usize> {
        match self {
            Counts::Every(steps) => (step < *steps).then_some(step + 1),
            Counts::Table(t) => t.get(step).map(|&c| c as usize),
        }
    }

    fn len(&self) -> usize {
        match self {
            Counts::Every(steps) => *steps,
            Counts::Table(t) => t.len(),
        }
    }
}

impl Revealed {
    /// `values` holds one value per bar of a series whose bar times are `series_ts` (ascending);
    /// `timeline` is the run's (every bar time of any symbol, ascending). At step `s` the bars
    /// at or before `timeline[s]` are visible.
    pub fn new(values: Vec<f64>, series_ts: &[i64], timeline: &[i64]) -> Result<Self> {
        if values.len() != series_ts.len() {
            return err(
                ErrorKind::InvalidArgument,
                format!("an indicator needs one value per bar ({}), got {}", series_ts.len(), values.len()),
            );
        }
        // Bars are a subset of the timeline: as many bars as steps means one at every step.
        let counts = if series_ts.len() == timeline.len() {
            Counts::Every(timeline.len())
        } else {
            Counts::Table(visible_counts(series_ts, timeline)?)
        };
        Ok(Revealed { values, counts })
    }

    /// [`Revealed::new`] for series `index` of `scenario`.
    pub fn of_series(values: Vec<f64>, scenario: &Scenario, index: usize) -> Result<Self> {
        let bars = &scenario
            .series()
            .get(index)
            .ok_or_else(|| Error::new(ErrorKind::UnknownSymbol, format!("no symbol with index {index}")))?
            .bars;
        let timeline = scenario.timeline();
        if bars.len() == timeline.len() && values.len() == bars.len() {
            return Ok(Revealed { values, counts: Counts::Every(timeline.len()) });
        }
        let ts: Vec<i64> = bars.iter().map(|b| b.ts).collect();
        Revealed::new(values, &ts, timeline)
    }

    /// Number of steps of the timeline.
    #[must_use]
    pub fn steps(&self) -> usize {
        self.counts.len()
    }

    /// The values visible at `step`, oldest first (the last count for a step past the timeline).
    #[must_use]
    pub fn visible(&self, step: usize) -> &[f64] {
        let last = self.counts.len().checked_sub(1).and_then(|s| self.counts.get(s));
        let n = self.counts.get(step).or(last).unwrap_or(0);
        &self.values[..n]
    }

    /// The value `back` bars before the latest visible one at `step` (`back = 0` is the latest).
    #[must_use]
    pub fn back(&self, step: usize, back: usize) -> Option<f64> {
        let seen = self.visible(step);
        seen.len().checked_sub(back + 1).map(|i| seen[i])
    }

    /// True when the series gets a bar at `step` and the indicator's value there is set (neither
    /// zero nor NaN): the steps a strategy woken by this indicator is called at.
    #[must_use]
    pub fn fires_at(&self, step: usize) -> bool {
        let now = self.counts.get(step).unwrap_or(0);
        let before = step.checked_sub(1).and_then(|s| self.counts.get(s)).unwrap_or(0);
        now > before && is_set(self.values[now - 1])
    }
}

impl Revealed {
    /// An indicator set (1.0) at the bars where `a` crosses `b`, either way — below it at the
    /// previous bar and above it now, or the reverse — and 0.0 elsewhere: the bars a
    /// crossover strategy acts at, as a wake indicator. Causal when `a` and `b` are. Both must be
    /// revealed at the same bars (one symbol, or symbols sharing their bar times).
    pub fn crossings(a: &Revealed, b: &Revealed) -> Result<Revealed> {
        if a.counts != b.counts {
            return err(ErrorKind::InvalidArgument, "crossings compares two indicators revealed at the same bars");
        }
        Ok(Revealed { values: crossings(&a.values, &b.values)?, counts: a.counts.clone() })
    }
}

/// Bars of a series visible at each step of a run's timeline: at step `s`, the bars at or before
/// `timeline[s]` (both ascending).
pub fn visible_counts(series_ts: &[i64], timeline: &[i64]) -> Result<Vec<u32>> {
    if u32::try_from(series_ts.len()).is_err() {
        return err(ErrorKind::InvalidCount, format!("{} bars is more than an indicator holds", series_ts.len()));
    }
    let mut counts = Vec::with_capacity(timeline.len());
    let mut visible = 0usize;
    for &t in timeline {
        while visible < series_ts.len() && series_ts[visible] <= t {
            visible += 1;
        }
        counts.push(visible as u32); // fits: checked above
    }
    Ok(counts)
}

/// 1.0 at the bars where `a` crosses `b` either way (see [`Revealed::crossings`]), 0.0 elsewhere;
/// `a` and `b` hold one value per bar of the same bars.
pub fn crossings(a: &[f64], b: &[f64]) -> Result<Vec<f64>> {
    if a.len() != b.len() {
        return err(
            ErrorKind::InvalidArgument,
            format!("crossings needs equal lengths, got {} and {}", a.len(), b.len()),
        );
    }
    let mut values = vec![0.0; a.len()];
    for i in 1..a.len() {
        let (w, x) = (&a[i - 1..=i], &b[i - 1..=i]);
        if crossover(w, x) || crossover(x, w) {
            values[i] = 1.0;
        }
    }
    Ok(values)
}

/// Prefix lengths an SDK recomputes an indicator on to check it is causal (a prefix of the data
/// must give a prefix of the result): short ones, where a back-filled warm-up shows, and long ones,
/// where a centred window of `w` bars shows once the prefix is longer than `w/2` — the Fibonacci
/// numbers up to 75,025, and half the series when that is shorter. A long series thus pays a
/// small, fixed price for the check.
#[must_use]
pub fn causality_cuts(n: usize) -> Vec<usize> {
    const LONGEST: usize = 75_025;
    let (mut a, mut b) = (1usize, 2usize);
    let mut cuts = vec![n / 2];
    while a <= LONGEST {
        cuts.push(a);
        (a, b) = (b, a + b);
    }
    cuts.retain(|&k| k > 0 && k < n && k <= LONGEST);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// True for a value that counts as a raised flag: neither zero nor NaN.
fn is_set(v: f64) -> bool {
    v != 0.0 && !v.is_nan()
}

/// True when `a` has just crossed above `b`: `a` was below `b` one bar ago and is above it now (the
/// `crossover` of backtesting.py). Needs two values of each; false otherwise or with a NaN.
#[must_use]
pub fn crossover(a: &[f64], b: &[f64]) -> bool {
    match (a, b) {
        ([.., a1, a0], [.., b1, b0]) => a1 < b1 && a0 > b0,
        _ => false,
    }
}

/// Where a callback loop calls the strategy: `calls[s]` is 1 at the steps where any of `wake`
/// fires (every step with no indicator), and `jumps[s]` how many steps to advance from `s`
/// before the next call, at most `limit` at a time ([`wake_steps`], [`wake_jumps`]).
#[must_use]
pub fn wake_plan(steps: usize, wake: &[&Revealed], limit: u32) -> (Vec<u8>, Vec<u32>) {
    let wakes = wake_steps(steps, wake);
    (wakes.iter().map(|&w| u8::from(w)).collect(), wake_jumps(&wakes, limit))
}

/// Steps at which any of `wake` fires ([`Revealed::fires_at`]), one flag per step of the timeline;
/// with no indicator, every step.
#[must_use]
pub fn wake_steps(steps: usize, wake: &[&Revealed]) -> Vec<bool> {
    if wake.is_empty() {
        return vec![true; steps];
    }
    (0..steps).map(|s| wake.iter().any(|r| r.fires_at(s))).collect()
}

/// For a callback loop: at each step, how many steps to advance before the strategy is called
/// again — up to the next step flagged in `wakes` (or the end of the timeline), at most `limit`
/// at a time (so a loop can report progress). One pass, from the end.
#[must_use]
pub fn wake_jumps(wakes: &[bool], limit: u32) -> Vec<u32> {
    let limit = limit.max(1);
    let mut jumps = vec![1; wakes.len()];
    let mut to_next: u32 = 1; // from step s to the next wake after it (or past the end)
    for s in (0..wakes.len()).rev() {
        jumps[s] = to_next.min(limit);
        to_next = if wakes[s] { 1 } else { to_next.saturating_add(1) };
    }
    jumps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_appear_with_their_bars() {
        // A symbol with bars at 20 and 40 on a timeline of 10, 20, 30, 40, 50.
        let r = Revealed::new(vec![1.5, 2.5], &[20, 40], &[10, 20, 30, 40, 50]).unwrap();
        assert_eq!(r.steps(), 5);
        let seen: Vec<&[f64]> = (0..5).map(|s| r.visible(s)).collect();
        assert_eq!(seen, [&[][..], &[1.5], &[1.5], &[1.5, 2.5], &[1.5, 2.5]]);
        assert_eq!((r.back(3, 0), r.back(3, 1), r.back(3, 2), r.back(0, 0)), (Some(2.5), Some(1.5), None, None));
        assert_eq!(r.visible(99), &[1.5, 2.5]);
        // Fires only when a new bar brings a set value.
        let flags = Revealed::new(vec![1.0, f64::NAN], &[20, 40], &[10, 20, 30, 40, 50]).unwrap();
        assert_eq!((0..5).map(|s| flags.fires_at(s)).collect::<Vec<_>>(), [false, true, false, false, false]);
        assert_eq!(wake_steps(5, &[&flags]), [false, true, false, false, false]);
        assert_eq!(wake_steps(3, &[]), [true; 3]);
    }

    #[test]
    fn a_series_with_a_bar_at_every_step_reveals_as_the_step_table_does() {
        let times = [10, 20, 30, 40];
        let values = vec![1.0, 0.0, f64::NAN, 4.0];
        let every = Revealed::new(values.clone(), &times, &times).unwrap();
        assert_eq!(every.counts, Counts::Every(4), "no table for a full series");
        let table = Revealed { values, counts: Counts::Table(visible_counts(&times, &times).unwrap()) };
        for step in 0..6 {
            assert_eq!(every.visible(step).len(), table.visible(step).len(), "step {step}");
            assert_eq!(every.fires_at(step), table.fires_at(step), "step {step}");
            assert_eq!(every.back(step, 1).map(f64::to_bits), table.back(step, 1).map(f64::to_bits));
        }
        assert_eq!(every.steps(), table.steps());
    }

    #[test]
    fn causality_is_checked_on_short_and_long_prefixes() {
        assert_eq!(causality_cuts(10), [1, 2, 3, 5, 8]);
        assert_eq!(causality_cuts(1), [] as [usize; 0]);
        let long = causality_cuts(1_000_000);
        assert_eq!((long.first(), long.last(), long.len()), (Some(&1), Some(&75_025), 24));
        assert!(causality_cuts(40_000).contains(&20_000));
    }

    #[test]
    fn loops_jump_to_the_next_wake() {
        let wakes = [true, false, false, true, false];
        assert_eq!(wake_jumps(&wakes, 100), [3, 2, 1, 2, 1]); // 3 → 5 runs to the end
        assert_eq!(wake_jumps(&wakes, 2), [2, 2, 1, 2, 1]);
        assert_eq!(wake_jumps(&[true; 3], 100), [1, 1, 1]);
        assert_eq!(wake_jumps(&[], 100), [] as [u32; 0]);
    }

    #[test]
    fn wrong_lengths_are_refused() {
        let e = Revealed::new(vec![1.0], &[1, 2], &[1, 2]).unwrap_err();
        assert_eq!(
            (e.code(), e.detail.as_str()),
            ("invalid_argument", "an indicator needs one value per bar (2), got 1")
        );
    }

    #[test]
    fn crossings_flag_both_directions_on_the_same_series() {
        let times = [1, 2, 3, 4, 5];
        let a = Revealed::new(vec![1.0, 3.0, 3.0, 1.0, f64::NAN], &times, &times).unwrap();
        let b = Revealed::new(vec![2.0, 2.0, 2.0, 2.0, 2.0], &times, &times).unwrap();
        let x = Revealed::crossings(&a, &b).unwrap();
        assert_eq!(x.visible(4), &[0.0, 1.0, 0.0, 1.0, 0.0]);
        assert_eq!(wake_steps(5, &[&x]), [false, true, false, true, false]);
        let other = Revealed::new(vec![2.0, 2.0], &[1, 3], &times).unwrap();
        assert_eq!(Revealed::crossings(&a, &other).unwrap_err().code(), "invalid_argument");
        let empty = Revealed::new(vec![], &[], &times).unwrap();
        assert_eq!(Revealed::crossings(&empty, &empty).unwrap().visible(4), &[] as &[f64]);
    }

    #[test]
    fn crossover_needs_a_cross_between_the_last_two_bars() {
        assert!(crossover(&[1.0, 3.0], &[2.0, 2.0]));
        assert!(!crossover(&[2.0, 3.0], &[2.0, 2.0])); // touching is not crossing
        assert!(!crossover(&[3.0, 1.0], &[2.0, 2.0]));
        assert!(!crossover(&[3.0], &[2.0]));
        assert!(!crossover(&[f64::NAN, 3.0], &[2.0, 2.0]));
    }
}
