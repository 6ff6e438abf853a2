//! The matching interface and the default model: orders filled against OHLCV bars along a
//! documented intrabar path, with slippage and a volume participation cap.
//!
//! A model sees one bar of one symbol and the working orders of one agent for that symbol, and
//! asks the [`OrderBook`] (the engine) to execute orders at prices it chooses. The engine books
//! each execution (buying-power and position checks, bracket children, one-cancels-other) and
//! tells the model which orders appeared or ended, so triggers are resolved in path order.
//! A price-time-priority order book will be a second implementation of [`MatchingModel`].

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::bar::Bar;
use crate::costs::{SlippageModel, apply_bps, bps_between};
use crate::order::{OrderType, TimeInForce};

/// Which way the price travels inside a bar when several triggers fall in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntrabarPath {
    /// O→H→L→C when the open is nearer the high (ties included), else O→L→H→C.
    #[default]
    NearestExtremeFirst,
    /// The extreme adverse to the agent first: O→L→H→C when it is (or is about to be) long,
    /// O→H→L→C when short. A bracket's stop is then hit before its target.
    Pessimistic,
    /// Always O→H→L→C.
    HighFirst,
    /// Always O→L→H→C.
    LowFirst,
}

/// A point on the intrabar path: segment 0 is the open itself, segments 1..=3 run between the
/// path's four prices; `offset` is the distance travelled from the segment's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PathPos {
    seg: u8,
    offset: Decimal,
}

impl PathPos {
    /// The open.
    pub const OPEN: PathPos = PathPos { seg: 0, offset: Decimal::ZERO };
}

/// The four prices O, X, Y, C of a bar's path.
#[derive(Debug, Clone, Copy)]
pub struct Path {
    pts: [Decimal; 4],
}

impl Path {
    /// The path through `bar`, high first or low first.
    pub fn new(bar: &Bar, high_first: bool) -> Self {
        let (x, y) = if high_first { (bar.high, bar.low) } else { (bar.low, bar.high) };
        Path { pts: [bar.open, x, y, bar.close] }
    }

    /// Price at a point of the path.
    pub fn price_at(&self, pos: PathPos) -> Decimal {
        if pos.seg == 0 {
            return self.pts[0];
        }
        let (a, b) = (self.pts[pos.seg as usize - 1], self.pts[pos.seg as usize]);
        if b >= a { a + pos.offset } else { a - pos.offset }
    }

    /// First point at or after `from` where the price is at or below `x` (`at_or_above = false`)
    /// or at or above `x` (`true`), with the price there.
    pub fn first_touch(&self, x: Decimal, at_or_above: bool, from: PathPos) -> Option<(PathPos, Decimal)> {
        let hit = |p: Decimal| if at_or_above { p >= x } else { p <= x };
        let here = self.price_at(from);
        if hit(here) {
            return Some((from, here));
        }
        for seg in from.seg.max(1)..=3 {
            let (a, b) = (self.pts[seg as usize - 1], self.pts[seg as usize]);
            let moving_toward = if at_or_above { b > a } else { b < a };
            if moving_toward && hit(b) {
                return Some((PathPos { seg, offset: (x - a).abs() }, x));
            }
        }
        None
    }
}

/// What a model needs to know of a working order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingOrder {
    /// Order id.
    pub id: u64,
    /// True for buy and cover.
    pub buying: bool,
    /// Price type.
    pub order_type: OrderType,
    /// Limit price, if any.
    pub limit_price: Option<Decimal>,
    /// Stop price, if any.
    pub stop_price: Option<Decimal>,
    /// Quantity still to fill.
    pub remaining: Decimal,
    /// Time in force.
    pub time_in_force: TimeInForce,
    /// Whole-unit order: partial fills stay whole units.
    pub whole_units: bool,
    /// A stop-limit whose stop was touched on an earlier bar: it now rests as a plain limit.
    pub triggered: bool,
}

/// An execution the model asks the engine to book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// Order to fill.
    pub order_id: u64,
    /// Units to fill.
    pub quantity: Decimal,
    /// Price the order touched before slippage.
    pub reference_price: Decimal,
    /// Price after slippage, inside the bar's range and never worse than a limit.
    pub price: Decimal,
    /// Slippage applied, in basis points against the trader.
    pub slippage_bps: Decimal,
}

/// What booking an execution changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Booked {
    /// Units actually booked (may be less than asked for a reduce-only exit; 0 if refused).
    pub quantity: Decimal,
    /// Orders created by this execution (bracket exits), active from the execution's point on.
    pub activated: Vec<WorkingOrder>,
    /// Orders whose remaining quantity changed (one-cancels-other trimming), by id.
    pub resized: Vec<(u64, Decimal)>,
    /// Orders that ended (filled, cancelled by one-cancels-other, refused), by id.
    pub ended: Vec<u64>,
}

/// The engine side of matching: the agent's orders for one symbol, and booking.
pub trait OrderBook {
    /// Working orders eligible for this bar, in priority (id) order.
    fn eligible(&self) -> Vec<WorkingOrder>;
    /// +1 if the agent holds or is about to open a long, −1 for a short, 0 if neither.
    fn bias(&self) -> i32;
    /// Books an execution; the engine may book less or refuse (and end the order).
    fn execute(&mut self, execution: Execution) -> Booked;
    /// Ends an order without a fill (a fill-or-kill that cannot fill completely).
    fn kill(&mut self, order_id: u64);
    /// Records that a stop-limit's stop was touched: from now on it works as a limit.
    fn mark_triggered(&mut self, order_id: u64);
}

/// A way of turning market data into executions.
pub trait MatchingModel {
    /// Runs one bar of one symbol against one agent's eligible orders.
    fn match_bar(&self, bar: &Bar, book: &mut dyn OrderBook);
}

/// The default model: each order is matched against the bar's OHLC along the intrabar path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BarMatcher {
    /// Path through each bar.
    pub path: IntrabarPath,
    /// Slippage on every fill.
    pub slippage: SlippageModel,
    /// Fraction of a bar's volume an agent may take in one symbol; `None` = unlimited.
    pub max_volume_participation: Option<Decimal>,
}

struct Candidate {
    pos: PathPos,
    reference: Decimal,
    order: WorkingOrder,
}

impl BarMatcher {
    fn high_first(&self, bar: &Bar, bias: i32) -> bool {
        match self.path {
            IntrabarPath::HighFirst => true,
            IntrabarPath::LowFirst => false,
            IntrabarPath::Pessimistic if bias != 0 => bias < 0,
            IntrabarPath::Pessimistic | IntrabarPath::NearestExtremeFirst => bar.high - bar.open <= bar.open - bar.low,
        }
    }

    /// Where and at what reference price `order` first executes on `path` at or after `from`.
    fn trigger(path: &Path, order: &WorkingOrder, from: PathPos) -> Option<(PathPos, Decimal)> {
        let limit_touch = |from| {
            let l = order.limit_price?;
            // A buy limit fills where the price is at or below it, a sell limit at or above.
            path.first_touch(l, !order.buying, from)
        };
        match order.order_type {
            OrderType::Market => Some((from, path.price_at(from))),
            OrderType::Limit => limit_touch(from),
            OrderType::Stop => path.first_touch(order.stop_price?, order.buying, from),
            OrderType::StopLimit if order.triggered => limit_touch(from),
            OrderType::StopLimit => {
                let (at, _) = path.first_touch(order.stop_price?, order.buying, from)?;
                limit_touch(at)
            }
        }
    }

    /// Fill price for `quantity` of `order` touching `reference`: slippage against the trader,
    /// rounded to 8 places (more if `reference` has more) against the trader, clamped to the bar's
    /// range and to the limit.
    pub(crate) fn price(
        &self,
        bar: &Bar,
        order: &WorkingOrder,
        reference: Decimal,
        quantity: Decimal,
    ) -> (Decimal, Decimal) {
        let bps = self.slippage.bps(quantity, bar.volume);
        // 8 places, or the touched price's own precision when finer (sub-satoshi coins).
        let mut price = apply_bps(reference, bps, order.buying).round_dp_with_strategy(
            reference.scale().max(8),
            if order.buying { RoundingStrategy::AwayFromZero } else { RoundingStrategy::ToZero },
        );
        price = price.clamp(bar.low, bar.high);
        if let Some(l) = order.limit_price
            && matches!(order.order_type, OrderType::Limit | OrderType::StopLimit)
        {
            price = if order.buying { price.min(l) } else { price.max(l) };
        }
        (price, bps_between(reference, price, order.buying))
    }

    fn capacity(&self, bar: &Bar) -> Option<Decimal> {
        self.max_volume_participation.map(|p| bar.volume * p)
    }
}

fn fillable(order: &WorkingOrder, capacity: Option<Decimal>) -> Decimal {
    match capacity {
        None => order.remaining,
        Some(cap) => {
            let cap =
                if order.whole_units { cap.floor() } else { cap.round_dp_with_strategy(8, RoundingStrategy::ToZero) };
            order.remaining.min(cap.max(Decimal::ZERO))
        }
    }
}

impl MatchingModel for BarMatcher {
    fn match_bar(&self, bar: &Bar, book: &mut dyn OrderBook) {
        let path = Path::new(bar, self.high_first(bar, book.bias()));
        let mut capacity = self.capacity(bar);
        let mut queue: Vec<Candidate> = Vec::new();
        let push = |queue: &mut Vec<Candidate>, order: WorkingOrder, from: PathPos| {
            if let Some((pos, reference)) = Self::trigger(&path, &order, from) {
                queue.push(Candidate { pos, reference, order });
            }
        };
        for order in book.eligible() {
            if order.order_type == OrderType::StopLimit
                && !order.triggered
                && let Some(stop) = order.stop_price
                && path.first_touch(stop, order.buying, PathPos::OPEN).is_some()
            {
                book.mark_triggered(order.id);
            }
            push(&mut queue, order, PathPos::OPEN);
        }
        let mut ended: Vec<u64> = Vec::new();
        let mut resized: Vec<(u64, Decimal)> = Vec::new();
        while !queue.is_empty() {
            // Earliest point on the path first; ties go to the older order.
            let next = (0..queue.len())
                .min_by(|&a, &b| (queue[a].pos, queue[a].order.id).cmp(&(queue[b].pos, queue[b].order.id)))
                .expect("queue is not empty");
            let Candidate { pos, reference, mut order } = queue.swap_remove(next);
            if ended.contains(&order.id) {
                continue;
            }
            if let Some(&(_, rem)) = resized.iter().rev().find(|(id, _)| *id == order.id) {
                order.remaining = rem;
            }
            let quantity = fillable(&order, capacity);
            if order.time_in_force == TimeInForce::Fok && quantity < order.remaining {
                book.kill(order.id);
                ended.push(order.id);
                continue;
            }
            if quantity.is_zero() {
                continue;
            }
            let (price, slippage_bps) = self.price(bar, &order, reference, quantity);
            let booked = book.execute(Execution {
                order_id: order.id,
                quantity,
                reference_price: reference,
                price,
                slippage_bps,
            });
            if let Some(cap) = capacity.as_mut() {
                *cap -= booked.quantity;
            }
            ended.extend(booked.ended);
            resized.extend(booked.resized);
            for child in booked.activated {
                push(&mut queue, child, pos);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn bar(o: Decimal, h: Decimal, l: Decimal, c: Decimal) -> Bar {
        Bar { ts: 0, open: o, high: h, low: l, close: c, volume: dec!(1000) }
    }

    #[test]
    fn touches_follow_the_path() {
        let b = bar(dec!(100), dec!(110), dec!(90), dec!(105));
        let hf = Path::new(&b, true);
        // Going up first, a level of 108 is reached in segment 1, a level of 95 only in segment 2.
        let (p108, _) = hf.first_touch(dec!(108), true, PathPos::OPEN).unwrap();
        let (p95, px) = hf.first_touch(dec!(95), false, PathPos::OPEN).unwrap();
        assert!(p108 < p95);
        assert_eq!(px, dec!(95));
        // From the low, the path climbs back to the close: 104 is touched on the way up.
        assert_eq!(hf.first_touch(dec!(104), true, p95).unwrap().1, dec!(104));
        // The open itself satisfies a level it already is beyond.
        assert_eq!(hf.first_touch(dec!(101), false, PathPos::OPEN).unwrap(), (PathPos::OPEN, dec!(100)));
        assert!(hf.first_touch(dec!(111), true, PathPos::OPEN).is_none());
    }
}
