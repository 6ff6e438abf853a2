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

/// Issue 10, finding 5: a decimal with more digits than can be held was rounded and accepted
/// (`0.99999999999999999999999999999` became 1).
#[test]
fn over_long_decimals_are_refused_never_rounded() {
    let long = "0.99999999999999999999999999999";
    let order = format!(r#"{{"symbol": "X", "side": "buy", "quantity": "{long}"}}"#);
    let e = wire::from_json::<OrderRequest>("order", &order).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidQuantity, "{e}");
    assert!(e.detail.starts_with("order.quantity: "), "{e}");
    let limit =
        format!(r#"{{"symbol": "X", "side": "buy", "quantity": 1, "order_type": "limit", "limit_price": "{long}"}}"#);
    assert_eq!(wire::from_json::<OrderRequest>("order", &limit).unwrap_err().kind, ErrorKind::InvalidPrice);
    let tiny = r#"{"symbol": "X", "side": "buy", "quantity": "1e-30"}"#;
    assert_eq!(wire::from_json::<OrderRequest>("order", tiny).unwrap_err().kind, ErrorKind::InvalidQuantity);
    let cash = format!(r#"{{"starting_cash": "{long}"}}"#);
    let e = wire::config_from_rules(&cash, &["X".into()], &[0, 3_600_000]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e}");
    assert_eq!(wire::run::decimal(long, "quantity").unwrap_err().kind, ErrorKind::InvalidQuantity);
    let e = wire::run::decimal("abc", "quantity").unwrap_err();
    assert_eq!(
        (e.kind, e.detail.as_str()),
        (ErrorKind::InvalidArgument, "`quantity` is not a decimal number: \"abc\"")
    );
    let e = wire::run::decimal(long, "limit").unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidPrice);
    assert!(e.detail.ends_with("has more digits than a decimal holds exactly; it would be rounded"), "{e}");
    let csv = format!("date,open,high,low,close\n2024-01-02,1,1,1,{long}\n");
    assert_eq!(csv::parse_bars(&csv).unwrap_err().kind, ErrorKind::CsvParse);
    let tiny = "date,open,high,low,close\n2024-01-02,1,1,1,1e-30\n";
    let e = csv::parse_bars(tiny).unwrap_err();
    assert!(e.detail.contains("'1e-30' has more digits than a decimal holds exactly"), "{e}");
    let csv = "date,open,high,low,close\n2024-01-02,1,1,1,0.99999999999999999999999999999e0\n";
    assert_eq!(csv::parse_bars(csv).unwrap_err().kind, ErrorKind::CsvParse);
    // What can be held exactly still reads, digits kept.
    assert_eq!(wire::run::decimal("1.50", "quantity").unwrap().to_string(), "1.50");
    assert_eq!(wire::run::decimal("1.5e-3", "quantity").unwrap(), d("0.0015"));
    assert_eq!(wire::run::decimal("1e+21", "quantity").unwrap(), d("1000000000000000000000"));
    let more = format!(r#"{{"symbol": "X", "side": "buy", "quantity": "1.5{}"}}"#, "0".repeat(40));
    assert_eq!(wire::from_json::<OrderRequest>("order", &more).unwrap().quantity, d("1.5"));
}

/// Issue 10, finding 6: UTC offsets past ±23:59 were accepted in CSV, rows and configs.
#[test]
fn out_of_range_utc_offsets_are_refused() {
    for text in ["2024-01-01T00:00:00+99:99", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00-05:60"] {
        assert_eq!(time::parse_timestamp(text).unwrap_err().kind, ErrorKind::InvalidTimestamp, "{text}");
        let csv = format!("date,open,high,low,close\n{text},1,1,1,1\n");
        assert_eq!(csv::parse_bars(&csv).unwrap_err().kind, ErrorKind::CsvParse, "{text}");
    }
    let csv = "date,open,high,low,close\n2024-01-01 00:00 +9999,1,1,1,1\n";
    assert_eq!(csv::parse_bars(csv).unwrap_err().kind, ErrorKind::CsvParse);
    let edge = time::parse_timestamp("2024-01-01T23:59:00+23:59").unwrap();
    assert_eq!(edge, time::parse_timestamp("2024-01-01T00:00:00Z").unwrap(), "±23:59 is still an offset");
    let mut c = config(&["X"]);
    c.session_utc_offset_minutes = 99 * 60 + 99;
    let series = vec![Series { symbol: "X".into(), bars: hourly(&["1 1 1 1 1"; 2]) }];
    assert_eq!(Scenario::new(c, series).unwrap_err().kind, ErrorKind::InvalidScenario);
}

/// Issue 10, finding 10: a trim below a long entry was accepted (and sold on the entry's bar)
/// while a take-profit there was refused.
#[test]
fn a_trim_on_the_wrong_side_of_the_entry_is_an_invalid_bracket() {
    let long = OrderRequest::limit("X", Side::Buy, d("10"), d("143.95")).with_trim(1, d("5"), d("5"));
    let e = long.validate().unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidBracket);
    assert_eq!(e.detail, "trim level 1 at 5 must be above the entry price 143.95");
    let at_entry = OrderRequest::limit("X", Side::Buy, d("10"), d("143.95")).with_trim(1, d("143.95"), d("5"));
    assert_eq!(at_entry.validate().unwrap_err().kind, ErrorKind::InvalidBracket);
    let short = OrderRequest::limit("X", Side::Short, d("10"), d("100")).with_trim(1, d("120"), d("5"));
    assert_eq!(short.validate().unwrap_err().kind, ErrorKind::InvalidBracket);
    OrderRequest::limit("X", Side::Short, d("10"), d("100")).with_trim(1, d("90"), d("5")).validate().unwrap();
    OrderRequest::limit("X", Side::Buy, d("10"), d("143.95")).with_trim(1, d("150"), d("5")).validate().unwrap();
}

/// Issue 10, finding 3: `synthetic(1, 10^9)` allocated until the kernel killed the process, and
/// `synthetic(1, 10^8)` ran 105 s before refusing a year-9999 timestamp. Both are refused before
/// a bar is made.
#[test]
fn sizes_are_refused_before_allocating() {
    let spec = |symbols: usize, bars: usize| SyntheticSpec { symbols, bars, ..SyntheticSpec::default() };
    let started = std::time::Instant::now();
    for (symbols, bars) in [(1, 1_000_000_000), (1, 100_000_000), (999, 20_000), (1, usize::MAX)] {
        let e = catalog::synthetic(&spec(symbols, bars)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidCount, "{e}");
    }
    let late = SyntheticSpec { start_ts: bar::MAX_TS - 3_600_000, bars: 3, ..spec(1, 3) };
    assert!(catalog::synthetic(&late).unwrap_err().detail.contains("year 9999"));
    assert!(started.elapsed().as_secs() < 2, "refused at once: {:?}", started.elapsed());
    assert_eq!(limits::MAX_BARS, 10_000_000);
    assert!(catalog::synthetic(&spec(9, 1_000_001)).is_err(), "10 series of 10^6 bars are past the limit");
}

/// Issue 10, finding 17: a market view naming one symbol ten thousand times copied its bars as
/// many times; the list is refused.
#[test]
fn a_market_view_names_each_symbol_once() {
    let (run, _) = one_symbol(&["1 1 1 1 1"; 3]);
    let e = run.market(Some(&["X"; 10_000]), 1000).unwrap_err();
    assert_eq!((e.kind, e.detail.as_str()), (ErrorKind::InvalidArgument, "symbol 'X' is listed twice"));
    assert_eq!(run.market(Some(&["X"]), 1).unwrap().bars.len(), 1);
}

/// Texts, agents, trims and working orders have limits, counted in characters.
#[test]
fn texts_agents_trims_and_working_orders_are_bounded() {
    let (mut run, a) = one_symbol(&["100 100 100 100 1000"; 3]);
    let long = "x".repeat(limits::MAX_REASONING_CHARS + 1);
    assert_eq!(run.submit(a, buy("1").with_reasoning(&long)).unwrap_err().kind, ErrorKind::InvalidArgument);
    run.submit(a, buy("1").with_reasoning(&"é".repeat(limits::MAX_REASONING_CHARS))).unwrap();
    run.submit(a, buy("1").with_client_order_id(&"é".repeat(128))).unwrap();
    let e = run.submit(a, buy("1").with_client_order_id(&"é".repeat(129))).unwrap_err();
    assert_eq!(e.detail, "`client_order_id` must be 1 to 128 characters");
    assert!(run.submit_with_key(a, buy("1"), &"é".repeat(255)).is_ok());
    assert_eq!(run.submit_with_key(a, buy("1"), &"é".repeat(256)).unwrap_err().kind, ErrorKind::InvalidArgument);
    let mut many = OrderRequest::limit("X", Side::Buy, d("100"), d("90"));
    many.trims = (1..=21).map(|level| Trim { level, price: d("95"), quantity: d("1") }).collect();
    assert_eq!(run.submit(a, many).unwrap_err().kind, ErrorKind::InvalidBracket);

    let sc = run.scenario().clone();
    let mut crowd = Run::new(sc).unwrap();
    for k in 0..limits::MAX_AGENTS {
        crowd.add_agent(&format!("a{k}"), RiskProfile::default()).unwrap();
    }
    let e = crowd.add_agent("one too many", RiskProfile::default()).unwrap_err();
    assert_eq!(e.detail, "at most 100 agents per run");
    assert_eq!(crowd.add_agent(&"n".repeat(129), RiskProfile::default()).unwrap_err().kind, ErrorKind::InvalidArgument);
}

/// Issue 10, finding 17: submitting with 8,000 resting orders took 7.7 s. An agent has at most
/// `MAX_WORKING_ORDERS` working at once, so each submit's checks walk a bounded list.
#[test]
fn resting_orders_are_bounded_and_submits_stay_fast() {
    let mut c = config(&["X"]);
    c.starting_cash = d("1000000000000");
    let sc = scenario(c, vec![("X", hourly(&["100 100 100 100 1000"; 3]))]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    let started = std::time::Instant::now();
    for _ in 0..limits::MAX_WORKING_ORDERS {
        run.submit(a, OrderRequest::limit("X", Side::Buy, d("1"), d("50"))).unwrap();
    }
    for _ in 0..7000 {
        let e = run.submit(a, OrderRequest::limit("X", Side::Buy, d("1"), d("50"))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::MaxOpenOrdersExceeded);
    }
    let took = started.elapsed();
    eprintln!("8000 submits against up to 1000 resting orders: {took:?}");
    run.step(1).unwrap();
}

/// The rationale of `liquidate_and_finish` becomes the reasoning of the closing orders: it has the
/// same limit (an unbounded one made orders no agent could have placed).
#[test]
fn a_rationale_has_the_reasoning_limit() {
    let (mut run, a) = one_symbol(&["1 1 1 1 1"; 3]);
    let long = "x".repeat(limits::MAX_REASONING_CHARS + 1);
    assert_eq!(run.liquidate_and_finish(a, &long, None).unwrap_err().kind, ErrorKind::InvalidArgument);
    run.liquidate_and_finish(a, "done", None).unwrap();
}
