//! Property tests of the engine's invariants: money and units are conserved, nothing looks ahead,
//! runs are deterministic, a restored snapshot continues identically, and no input panics.

mod common;
use std::sync::Arc;

use common::*;
use proptest::prelude::*;
use vectrade_core::*;

const SYMBOLS: [&str; 2] = ["X", "Y"];

/// Valid bars by construction: a random walk in cents with random wicks and volumes.
fn bars_strategy(n: usize) -> impl Strategy<Value = Vec<Vec<Bar>>> {
    let one = prop::collection::vec((-300i64..300, -300i64..300, 0i64..400, 0i64..400, 0u32..5000), n);
    prop::collection::vec(one, SYMBOLS.len()).prop_map(move |all| {
        all.into_iter()
            .map(|steps| {
                let mut price = 10_000i64;
                steps
                    .iter()
                    .enumerate()
                    .map(|(i, &(gap, body, up, down, vol))| {
                        let open = (price + gap).max(500);
                        let close = (open + body).max(500);
                        let high = open.max(close) + up;
                        let low = (open.min(close) - down).max(100);
                        price = close;
                        let c = |v: i64| Decimal::new(v, 2);
                        Bar {
                            ts: t0() + i as i64 * HOUR,
                            open: c(open),
                            high: c(high),
                            low: c(low),
                            close: c(close),
                            volume: Decimal::from(vol),
                        }
                    })
                    .collect()
            })
            .collect()
    })
}

#[derive(Debug, Clone)]
enum Act {
    Submit { sym: usize, side: Side, qty: u32, kind: u8, offset: i64, tif: TimeInForce, bracket: bool },
    Cancel(usize),
    Step(u32),
}

fn act_strategy() -> impl Strategy<Value = Act> {
    let side = prop::sample::select(vec![Side::Buy, Side::Sell, Side::Short, Side::Cover]);
    let tif = prop::sample::select(vec![TimeInForce::Gtc, TimeInForce::Day, TimeInForce::Ioc, TimeInForce::Fok]);
    prop_oneof![
        4 => (0..SYMBOLS.len(), side, 1u32..200, 0u8..4, -500i64..500, tif, any::<bool>()).prop_map(
            |(sym, side, qty, kind, offset, tif, bracket)| Act::Submit { sym, side, qty, kind, offset, tif, bracket }
        ),
        1 => (0usize..20).prop_map(Act::Cancel),
        3 => (1u32..4).prop_map(Act::Step),
    ]
}

fn build(bars: &[Vec<Bar>], participation: bool, leverage: &str) -> Arc<Scenario> {
    let mut c = ScenarioConfig::new("prop", "Property", &SYMBOLS);
    c.short_enabled = true;
    c.leverage_cap = d(leverage);
    c.costs.commission = CommissionModel { per_unit: d("0.01"), bps: d("1"), minimum: d("0.5") };
    if participation {
        c.costs.max_volume_participation = Some(d("0.2"));
    }
    let series = SYMBOLS.iter().zip(bars).map(|(s, b)| Series { symbol: s.to_string(), bars: b.clone() }).collect();
    Arc::new(Scenario::new(c, series).unwrap())
}

/// Applies one action; actions refer to the latest close so they depend only on what is observable.
fn apply(run: &mut Run, a: AgentId, act: &Act) {
    if run.is_done() {
        return;
    }
    match *act {
        Act::Submit { sym, side, qty, kind, offset, tif, bracket } => {
            let symbol = SYMBOLS[sym];
            let last = run.bars(symbol, 1).unwrap()[0].close;
            let px = (last + Decimal::new(offset, 2)).max(d("1"));
            let q = Decimal::from(qty);
            let mut req = match kind {
                0 => OrderRequest::market(symbol, side, q),
                1 => OrderRequest::limit(symbol, side, q, px),
                2 => OrderRequest::stop(symbol, side, q, px),
                _ => OrderRequest::stop_limit(symbol, side, q, px, px),
            }
            .with_tif(tif);
            if bracket && side.opens() {
                let (lo, hi) = (last * d("0.97"), last * d("1.03"));
                req = if side == Side::Buy {
                    req.with_stop_loss(lo).with_take_profit(hi)
                } else {
                    req.with_stop_loss(hi).with_take_profit(lo)
                };
                req.order_type = OrderType::Market;
                req.limit_price = None;
                req.stop_price = None;
            }
            let _ = run.submit(a, req);
        }
        Act::Cancel(i) => {
            let ids: Vec<u64> = run.engine().orders(a).unwrap().iter().map(|o| o.id).collect();
            if let Some(&id) = ids.get(i) {
                let _ = run.cancel(a, id);
            }
        }
        Act::Step(n) => {
            run.step(n).unwrap();
        }
    }
}

fn play(sc: &Arc<Scenario>, acts: &[Act]) -> (Run, AgentId) {
    let (mut run, a) = Run::start(sc.clone(), "p", RiskProfile::default()).unwrap();
    for act in acts {
        apply(&mut run, a, act);
    }
    (run, a)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn cash_and_positions_are_conserved(bars in bars_strategy(24), acts in prop::collection::vec(act_strategy(), 1..60), cap in any::<bool>()) {
        let sc = build(&bars, cap, "2");
        let (run, a) = play(&sc, &acts);
        let fills = run.engine().fills(a).unwrap();
        let account = run.engine().account(a).unwrap();
        // Units: each position is the signed sum of its fills.
        for (i, s) in SYMBOLS.iter().enumerate() {
            let net: Decimal = fills.iter().filter(|f| f.symbol == *s).map(|f| f.side.sign() * f.quantity).sum();
            prop_assert_eq!(net, account.positions[i].quantity);
        }
        // Money: cash moved by exactly the fills' values and commissions.
        let flows: Decimal = fills.iter().map(|f| -(f.side.sign() * f.total_value) - f.commission).sum();
        prop_assert_eq!(account.cash, account.starting_cash + flows);
        // Equity = start + realised + unrealised − fees. Cash and equity are exact; the PnL split goes
        // through the average cost, a quotient kept to 28 significant digits, hence the tolerance.
        let p = run.portfolio(a).unwrap();
        let attributed = account.starting_cash + account.realized_pnl + p.total_unrealized_pnl - account.fees_paid;
        prop_assert!((p.equity - attributed).abs() < d("0.0000000001"), "{} vs {}", p.equity, attributed);
        // Fills never leave the bar they happened on.
        for f in fills {
            let s = sc.series_of(&f.symbol).unwrap();
            let bar = s.bars.iter().find(|b| b.ts == f.ts).unwrap();
            prop_assert!(bar.low <= f.fill_price && f.fill_price <= bar.high);
        }
        // Every order ended or still works; filled quantities never exceed the order.
        for o in run.engine().orders(a).unwrap() {
            prop_assert!(o.filled_quantity <= o.request.quantity);
        }
    }

    #[test]
    fn nothing_after_sim_time_is_seen_or_filled(bars in bars_strategy(20), acts in prop::collection::vec(act_strategy(), 1..50), cut in 1usize..18, noise in 1i64..5000) {
        let sc = build(&bars, false, "1");
        let mut changed = bars.clone();
        for series in &mut changed {
            for b in series.iter_mut().skip(cut + 1) {
                let bump = Decimal::new(noise, 2);
                b.open += bump; b.high += bump * d("2"); b.close += bump; b.volume += Decimal::ONE;
            }
        }
        let other = build(&changed, false, "1");
        // Play only while the clock is at or before `cut`.
        let (mut r1, a1) = Run::start(sc, "p", RiskProfile::default()).unwrap();
        let (mut r2, a2) = Run::start(other, "p", RiskProfile::default()).unwrap();
        for act in &acts {
            let act = match act { Act::Step(n) => Act::Step((*n).min((cut - r1.step_index()) as u32)), other => other.clone() };
            if matches!(act, Act::Step(0)) { continue; }
            apply(&mut r1, a1, &act);
            apply(&mut r2, a2, &act);
        }
        prop_assert_eq!(r1.market(None, 1000).unwrap(), r2.market(None, 1000).unwrap());
        prop_assert_eq!(r1.engine().fills(a1).unwrap(), r2.engine().fills(a2).unwrap());
        prop_assert_eq!(r1.engine().orders(a1).unwrap(), r2.engine().orders(a2).unwrap());
        prop_assert_eq!(r1.engine().equity_curve(a1).unwrap(), r2.engine().equity_curve(a2).unwrap());
    }

    #[test]
    fn runs_are_deterministic_and_snapshots_continue_identically(bars in bars_strategy(20), acts in prop::collection::vec(act_strategy(), 2..50), split in 0usize..50) {
        let sc = build(&bars, true, "2");
        let (full, fa) = play(&sc, &acts);
        let (again, _) = play(&sc, &acts);
        prop_assert_eq!(full.snapshot_json(), again.snapshot_json());

        let split = split.min(acts.len());
        let (half, ha) = play(&sc, &acts[..split]);
        let mut restored = Run::restore_json(sc.clone(), &half.snapshot_json()).unwrap();
        for act in &acts[split..] {
            apply(&mut restored, ha, act);
        }
        prop_assert_eq!(restored.snapshot_json(), full.snapshot_json());
        if full.is_done() {
            prop_assert_eq!(restored.results(ha).unwrap(), full.results(fa).unwrap());
        }
    }

    #[test]
    fn arbitrary_orders_never_panic(
        qty in any::<i64>(), scale in 0u32..=28, price in any::<i64>(), side in 0u8..4, kind in 0u8..4,
        tif in 0u8..4, sl in proptest::option::of(any::<i32>()), tp in proptest::option::of(any::<i32>()),
        symbol in "[A-Z]{0,3}", coid in proptest::option::of(".{0,200}"),
    ) {
        let bars = vec![hourly(&["100 101 99 100 1000"; 4]), hourly(&["50 51 49 50 1000"; 4])];
        let sc = build(&bars, true, "3");
        let (mut run, a) = Run::start(sc, "p", RiskProfile { max_position_size_pct: Some(d("50")), ..RiskProfile::default() }).unwrap();
        let req = OrderRequest {
            symbol: if symbol.is_empty() { "X".into() } else { symbol },
            side: Side::ALL[side as usize],
            quantity: Decimal::new(qty, scale),
            order_type: OrderType::ALL[kind as usize],
            limit_price: (kind % 2 == 1).then(|| Decimal::new(price, scale)),
            stop_price: (kind >= 2).then(|| Decimal::new(price / 3, scale)),
            time_in_force: TimeInForce::ALL[tif as usize],
            asset_type: None,
            client_order_id: coid,
            stop_loss: sl.map(|v| Decimal::new(i64::from(v), 2)),
            take_profit: tp.map(|v| Decimal::new(i64::from(v), 2)),
            // A fraction beside an absolute level is refused; alone, any value is checked.
            stop_loss_fraction: tp.map(|v| Decimal::new(i64::from(v), 4)),
            take_profit_fraction: sl.map(|v| Decimal::new(i64::from(v), 3)),
            trims: Vec::new(),
            reasoning: None,
        };
        let _ = run.submit(a, req);
        run.step(3).unwrap();
        let _ = run.results(a).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_pushed_bars_and_orders_never_panic(
        rows in prop::collection::vec((any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>(), 0u32..=28, -3i64..5), 1..12),
        qty in 1i64..10_000_000, side in 0u8..4, kind in 0u8..4,
    ) {
        let mut c = ScenarioConfig::new("push", "Push", &["X"]);
        c.short_enabled = true;
        c.leverage_cap = d("5");
        c.costs.max_volume_participation = Some(d("0.5"));
        let mut e = Engine::new(EngineConfig::from_scenario(&c)).unwrap();
        let a = e.add_agent("a", RiskProfile::default()).unwrap();
        let mut ts = t0();
        for (o, h, l, cl, v, scale, dt) in rows {
            ts += dt * HOUR;
            let bar = Bar { ts, open: Decimal::new(o, scale), high: Decimal::new(h, scale), low: Decimal::new(l, scale), close: Decimal::new(cl, scale), volume: Decimal::new(v, scale) };
            let _ = e.push_bar("X", bar);
            if let Some(mark) = e.mark("X") {
                let q = Decimal::new(qty, 2);
                let req = match kind {
                    0 => OrderRequest::market("X", Side::ALL[side as usize], q),
                    1 => OrderRequest::limit("X", Side::ALL[side as usize], q, mark),
                    2 => OrderRequest::stop("X", Side::ALL[side as usize], q, mark),
                    _ => OrderRequest::stop_limit("X", Side::ALL[side as usize], q, mark, mark),
                };
                let _ = e.submit(a, req.with_stop_loss(mark).with_take_profit(mark));
                let _ = e.submit(a, OrderRequest::market("X", Side::ALL[side as usize], q));
            }
            let p = e.portfolio(a).unwrap();
            prop_assert!(p.buying_power >= Decimal::ZERO);
        }
    }
}
