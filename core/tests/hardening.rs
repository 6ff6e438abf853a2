//! Hostile but valid input: extreme quantities, prices and cash never panic; they are refused
//! with a typed error or traded.

mod common;
use common::*;
use proptest::prelude::*;
use vectrade_core::*;

/// Issue 10, finding 1: a 10^15 × 10^10 limit buy against 0.01 of cash with
/// `max_position_size_pct = 100` panicked with "Multiplication overflowed".
#[test]
fn a_huge_order_against_tiny_cash_is_refused_not_a_panic() {
    let mut c = config(&["X"]);
    c.starting_cash = d("0.01");
    let sc = scenario(c, vec![("X", hourly(&["100 100 100 100 1000"; 2]))]);
    let profile = RiskProfile { max_position_size_pct: Some(d("100")), ..RiskProfile::default() };
    let (mut run, a) = Run::start(sc, "a", profile).unwrap();
    let huge = OrderRequest::limit("X", Side::Buy, d("1000000000000000"), d("10000000000"));
    let e = run.submit(a, huge).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MaxPositionSizeExceeded, "{e}");
    run.step(1).unwrap();
    assert!(run.is_done());
}

fn amount(max_digits: u32) -> impl Strategy<Value = Decimal> {
    let max = 10u64.pow(max_digits);
    prop_oneof![
        Just(Decimal::from(max)),
        Just(Decimal::new(1, 8)),
        Just(Decimal::new(1, 2)),
        (1u64..=max, 0u32..=8).prop_map(move |(m, s)| Decimal::from_i128_with_scale(i128::from(m), s)),
    ]
}

fn price() -> impl Strategy<Value = Decimal> {
    amount(10).prop_map(|p| p.min(Decimal::from(10_000_000_000u64)))
}

#[derive(Debug, Clone)]
enum Act {
    Submit { side: u8, kind: u8, qty: Decimal, p1: Decimal, p2: Decimal, exits: u8, tif: u8 },
    Cancel(u64),
    Step(u32),
    Reset,
    Portfolio,
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (0u8..4, 0u8..4, amount(15), price(), price(), 0u8..8, 0u8..4)
            .prop_map(|(side, kind, qty, p1, p2, exits, tif)| Act::Submit { side, kind, qty, p1, p2, exits, tif }),
        1 => (1u64..20).prop_map(Act::Cancel),
        2 => (0u32..3).prop_map(Act::Step),
        1 => Just(Act::Reset),
        1 => Just(Act::Portfolio),
    ]
}

fn bar_strategy() -> impl Strategy<Value = (Decimal, Decimal, Decimal)> {
    (price(), price(), amount(15)).prop_map(|(a, b, v)| (a.min(b), a.max(b), v))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Quantities up to 10^15, prices up to 10^10, cash from 0.01 to 10^15, leverage up to 1000,
    /// percent limits of 100: every call answers with a value or a typed error.
    #[test]
    fn extreme_valid_values_never_panic(
        cash in amount(15),
        leverage in (1u32..=1000).prop_map(Decimal::from),
        pct in prop::option::of(Just(Decimal::ONE_HUNDRED)),
        short in any::<bool>(),
        per_unit in prop_oneof![Just(Decimal::ZERO), price()],
        bars in prop::collection::vec(bar_strategy(), 2..6),
        acts in prop::collection::vec(act(), 1..24),
    ) {
        let mut c = config(&["X", "Y"]);
        c.starting_cash = cash;
        c.leverage_cap = leverage;
        c.short_enabled = short;
        c.costs.commission.per_unit = per_unit;
        let rows: Vec<Bar> = bars
            .iter()
            .enumerate()
            .map(|(i, &(lo, hi, v))| Bar { ts: t0() + i as i64 * HOUR, open: hi, high: hi, low: lo, close: lo, volume: v })
            .collect();
        let sc = scenario(c, vec![("X", rows.clone()), ("Y", rows)]);
        let profile = RiskProfile {
            max_position_size_pct: pct,
            daily_loss_limit_pct: pct,
            max_leverage: pct.map(|_| leverage),
            allow_short: true,
            ..RiskProfile::default()
        };
        let (mut run, a) = Run::start(sc, "a", profile).unwrap();
        for act in acts {
            match act {
                Act::Submit { side, kind, qty, p1, p2, exits, tif } => {
                    let side = Side::ALL[usize::from(side)];
                    let mut r = match kind {
                        0 => OrderRequest::market("X", side, qty),
                        1 => OrderRequest::limit("X", side, qty, p1),
                        2 => OrderRequest::stop("X", side, qty, p1),
                        _ => OrderRequest::stop_limit("X", side, qty, p1, p2),
                    };
                    r.time_in_force = TimeInForce::ALL[usize::from(tif)];
                    if exits & 1 != 0 { r.stop_loss = Some(p2); }
                    if exits & 2 != 0 { r.take_profit = Some(p1); }
                    if exits & 4 != 0 { r.trims.push(Trim { level: 1, price: p2, quantity: qty }); }
                    let _ = run.submit(a, r);
                }
                Act::Cancel(id) => { let _ = run.cancel(a, id); }
                Act::Step(n) => { let _ = run.step(n); }
                Act::Reset => { let _ = run.reset_agent(a); }
                Act::Portfolio => { let _ = run.portfolio(a); let _ = run.metrics(a); }
            }
        }
        let _ = run.hold_until_end(None, None);
        let _ = run.results(a);
        let _ = run.trades(a);
        let _ = run.portfolio(a);
        let snap = run.snapshot_json();
        Run::restore_json(run.scenario().clone(), &snap).unwrap();
    }
}

/// A trim's share of a filled entry multiplied 10^15 by 10^15 (past `Decimal`'s range).
#[test]
fn a_trim_of_a_huge_entry_is_sized_without_overflow() {
    let mut c = config(&["X"]);
    c.starting_cash = d("1000000000000000");
    let sc = scenario(c, vec![("X", hourly(&["0.00000001 0.00000001 0.00000001 0.00000001 1000"; 3]))]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    let q = d("1000000000000000");
    let entry = OrderRequest::limit("X", Side::Buy, q, d("0.00000001")).with_trim(1, d("0.00000002"), q);
    run.submit(a, entry).unwrap();
    run.step(1).unwrap();
    let trim = run.engine().open_orders(a).unwrap().into_iter().find(|o| matches!(o.role, OrderRole::Trim { .. }));
    assert_eq!(trim.unwrap().request.quantity, q);
}

/// A fill that would take cash past 10^27 is refused with a typed reason, the account unchanged.
#[test]
fn a_fill_past_the_cash_limit_is_refused() {
    let mut account = Account::new(d("999999999999999999999999999"), 1);
    let before = account.clone();
    let e = account.apply_fill(0, Side::Short, d("1000000000000000"), d("10000000000"), Decimal::ZERO).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ArithmeticOverflow, "{e}");
    assert_eq!(account, before);
}
