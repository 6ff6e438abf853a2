//! One test per pre-trade check and rejection code (SPEC §3.4, §3.5).

mod common;
use common::*;
use vectrade_core::*;

const FLAT: &str = "100 100 100 100 100000";

fn run_with(profile: RiskProfile, tweak: impl FnOnce(&mut ScenarioConfig)) -> (Run, AgentId) {
    let mut c = config(&["X", "Y"]);
    c.benchmark_symbol = Some("B".into());
    tweak(&mut c);
    let rows = [FLAT; 6];
    let sc = scenario(c, vec![("X", hourly(&rows)), ("Y", hourly(&rows)), ("B", hourly(&rows))]);
    Run::start(sc, "a", profile).unwrap()
}

fn code(r: Result<Order>) -> &'static str {
    r.unwrap_err().code()
}

#[test]
fn insufficient_buying_power_names_need_and_have() {
    let (mut run, a) = run_with(RiskProfile::default(), |c| c.starting_cash = d("2000"));
    let e = run.submit(a, buy("50")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InsufficientBuyingPower);
    assert_eq!(e.detail, "insufficient buying power: need $5000.00, have $2000.00");
    let rejected = run.engine().orders(a).unwrap().last().unwrap().clone();
    assert_eq!(rejected.status, OrderStatus::Rejected, "the rejection is kept in the order history");
    assert_eq!(rejected.end_reason.unwrap().code, "insufficient_buying_power");
}

#[test]
fn buying_power_counts_orders_already_queued() {
    let (mut run, a) = run_with(RiskProfile::default(), |c| c.starting_cash = d("10000"));
    run.submit(a, buy("60")).unwrap();
    let e = run.submit(a, buy("50")).unwrap_err();
    assert_eq!(e.detail, "insufficient buying power: need $5000.00, have $4000.00");
    assert_eq!(run.portfolio(a).unwrap().buying_power, d("4000"));
}

#[test]
fn sells_never_exceed_the_long_and_covers_never_the_short() {
    let (mut run, a) = run_with(RiskProfile::default(), |c| c.short_enabled = true);
    assert_eq!(code(run.submit(a, sell("1"))), "insufficient_position");
    run.submit(a, buy("10")).unwrap();
    run.step(1).unwrap();
    run.submit(a, sell("6")).unwrap();
    let e = run.submit(a, sell("5")).unwrap_err();
    assert_eq!(e.detail, "sell 5 X exceeds the long position of 10, 6 already queued");
    assert_eq!(code(run.submit(a, OrderRequest::market("X", Side::Cover, d("1")))), "insufficient_position");
    assert_eq!(code(run.submit(a, OrderRequest::market("X", Side::Short, d("1")))), "position_side_conflict");
    run.submit(a, OrderRequest::market("Y", Side::Short, d("5"))).unwrap();
    run.step(1).unwrap();
    assert_eq!(code(run.submit(a, OrderRequest::market("Y", Side::Buy, d("1")))), "position_side_conflict");
    run.submit(a, OrderRequest::market("Y", Side::Cover, d("5"))).unwrap();
}

#[test]
fn shorting_needs_the_scenario_and_the_profile() {
    let (mut run, a) = run_with(RiskProfile::default(), |_| {});
    let e = run.submit(a, OrderRequest::market("X", Side::Short, d("1"))).unwrap_err();
    let how = "shorting is not enabled for this scenario: build it with the rule `short_enabled=True` (`shortEnabled: true` in TypeScript)";
    assert_eq!((e.code(), e.detail.as_str()), ("shorting_disabled", how));
    let no_short = RiskProfile { allow_short: false, ..RiskProfile::default() };
    let (mut run, a) = run_with(no_short, |c| c.short_enabled = true);
    let e = run.submit(a, OrderRequest::market("X", Side::Short, d("1"))).unwrap_err();
    assert_eq!(
        e.detail,
        "shorting is disabled in this agent's risk profile: set its `allow_short` (`allowShort` in TypeScript)"
    );
}

#[test]
fn symbols_outside_the_universe_are_rejected_and_the_benchmark_is_not_tradable() {
    let (mut run, a) = run_with(RiskProfile::default(), |_| {});
    let e = run.submit(a, OrderRequest::market("ZZZ", Side::Buy, d("1"))).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownSymbol);
    assert_eq!(e.detail, "symbol 'ZZZ' is not in the universe: X, Y, B");
    assert_eq!(code(run.submit(a, OrderRequest::market("B", Side::Buy, d("1")))), "symbol_not_tradable");
    let only_x = RiskProfile { universe: Some(vec!["X".into()]), ..RiskProfile::default() };
    let (mut run, a) = run_with(only_x, |_| {});
    assert_eq!(code(run.submit(a, OrderRequest::market("Y", Side::Buy, d("1")))), "symbol_not_allowed");
}

#[test]
fn max_position_size_counts_the_position_and_queued_orders() {
    let p = RiskProfile { max_position_size_pct: Some(d("20")), ..RiskProfile::default() };
    let (mut run, a) = run_with(p, |_| {});
    run.submit(a, buy("150")).unwrap();
    let e = run.submit(a, buy("60")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MaxPositionSizeExceeded);
    assert_eq!(e.detail, "X position would be $21000.00 (21% of equity $100000.00), above max_position_size_pct 20");
    run.submit(a, buy("50")).unwrap();
    run.submit(a, OrderRequest::market("Y", Side::Buy, d("200"))).unwrap();
}

#[test]
fn max_open_orders_counts_working_orders() {
    let p = RiskProfile { max_open_orders: Some(2), ..RiskProfile::default() };
    let (mut run, a) = run_with(p, |_| {});
    let far = || OrderRequest::limit("X", Side::Buy, d("1"), d("50"));
    let first = run.submit(a, far()).unwrap();
    run.submit(a, far()).unwrap();
    let e = run.submit(a, far()).unwrap_err();
    assert_eq!(
        (e.code(), e.detail.as_str()),
        ("max_open_orders_exceeded", "max_open_orders is 2 and 2 orders are working")
    );
    run.cancel(a, first.id).unwrap();
    run.submit(a, far()).unwrap();
}

#[test]
fn leverage_cap_of_the_profile_applies_below_the_scenarios() {
    let p = RiskProfile { max_leverage: Some(d("0.5")), ..RiskProfile::default() };
    let (mut run, a) = run_with(p, |c| c.leverage_cap = d("2"));
    run.submit(a, buy("400")).unwrap();
    let e = run.submit(a, buy("200")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::LeverageCapExceeded);
    // Without the profile's cap the scenario's 2× applies: 150k of 200k buying power is fine.
    let (mut run, a) = run_with(RiskProfile::default(), |c| c.leverage_cap = d("2"));
    run.submit(a, buy("1500")).unwrap();
    assert_eq!(code(run.submit(a, buy("600"))), "insufficient_buying_power");
}

#[test]
fn daily_loss_limit_blocks_new_risk_until_the_next_session() {
    let p = RiskProfile { daily_loss_limit_pct: Some(d("5")), ..RiskProfile::default() };
    let mut c = config(&["X"]);
    c.starting_cash = d("10000");
    let day2 = t0() + 24 * HOUR;
    let bars = vec![
        bar_at(t0(), "100 100 100 100 1000"),
        bar_at(t0() + HOUR, "100 100 100 100 1000"),
        bar_at(t0() + 2 * HOUR, "94 95 93 94 1000"),
        bar_at(day2, "94 95 93 94 1000"),
        bar_at(day2 + HOUR, "94 95 93 94 1000"),
    ];
    let sc = scenario(c, vec![("X", bars)]);
    let (mut run, a) = Run::start(sc, "a", p).unwrap();
    run.submit(a, buy("90")).unwrap();
    run.step(2).unwrap(); // lost 540 = 5.4 % of 10000
    let e = run.submit(a, buy("1")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::DailyLossLimitReached);
    assert_eq!(
        e.detail,
        "daily loss limit reached: lost $540.00 this session, limit $500.00 (5% of $10000.00); new risk is blocked until the next session"
    );
    run.submit(a, sell("10")).unwrap();
    run.step(1).unwrap();
    run.submit(a, buy("1")).unwrap();
}

#[test]
fn rate_limits_follow_the_simulated_clock() {
    let p = RiskProfile { max_orders_per_minute: Some(2), max_requests_per_minute: Some(4), ..RiskProfile::default() };
    let (mut run, a) = run_with(p, |_| {});
    let far = || OrderRequest::limit("X", Side::Buy, d("1"), d("50"));
    run.submit(a, far()).unwrap();
    run.submit(a, far()).unwrap();
    assert_eq!(code(run.submit(a, far())), "order_rate_limited");
    run.market_for(a, None, 1).unwrap(); // the 4th request, the refused order counted too
    let e = run.market_for(a, None, 1).unwrap_err();
    assert_eq!(e.kind, ErrorKind::RequestRateLimited);
    assert_eq!(e.family(), ErrorFamily::RateLimited);
    run.step(1).unwrap();
    run.submit(a, far()).unwrap();
    run.market_for(a, Some(&["X"]), 1).unwrap();
}

#[test]
fn malformed_orders_are_invalid_input_and_not_recorded() {
    let (mut run, a) = run_with(RiskProfile::default(), |_| {});
    let e = run.submit(a, buy("-1")).unwrap_err();
    assert_eq!((e.code(), e.family()), ("invalid_quantity", ErrorFamily::InvalidInput));
    assert_eq!(e.detail, "`quantity` must be positive, got -1");
    assert!(run.engine().orders(a).unwrap().is_empty());
}

#[test]
fn client_order_ids_are_idempotent() {
    let (mut run, a) = run_with(RiskProfile::default(), |_| {});
    let first = run.submit(a, buy("1").with_client_order_id("c1")).unwrap();
    let again = run.submit(a, buy("1").with_client_order_id("c1")).unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(run.engine().orders(a).unwrap().len(), 1, "nothing placed twice");
    let e = run.submit(a, buy("2").with_client_order_id("c1")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::IdempotencyConflict);
}

#[test]
fn cancelling_ended_or_unknown_orders_says_why() {
    let (mut run, a) = run_with(RiskProfile::default(), |_| {});
    let o = run.submit(a, buy("1")).unwrap();
    run.step(1).unwrap();
    assert_eq!(run.cancel(a, o.id).unwrap_err().kind, ErrorKind::OrderNotCancellable);
    assert_eq!(run.cancel(a, 999).unwrap_err().kind, ErrorKind::OrderNotFound);
}

#[test]
fn every_error_code_is_unique_and_round_trips() {
    let mut seen = std::collections::BTreeSet::new();
    for &k in ErrorKind::ALL {
        assert!(seen.insert(k.code()), "duplicate code {}", k.code());
        assert_eq!(ErrorKind::from_code(k.code()), Some(k));
    }
}
