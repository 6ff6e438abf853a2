//! A run driven by arbitrary actions decoded from the bytes — submit (any side, type, size, price,
//! time in force, exits), cancel, step, market views, snapshot and restore, reset, liquidate,
//! profile changes, idempotency keys — under rules picked from the bytes (cash from 0.01 to 10^15,
//! leverage, commission, prices scaled from 10^-8 to 10^7 times the market's). After every action the engine must pass its own consistency check
//! (each account is what its fills book, the working list is the working orders, ...) and a
//! snapshot must restore; every error must be typed.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use vectrade_core::{
    AgentId, Bar, Decimal, Error, ErrorKind, OrderRequest, OrderType, RiskProfile, Run, Scenario, Series, Side,
    SyntheticSpec, TimeInForce, Trim, catalog,
};

fn base() -> &'static Scenario {
    static SCENARIO: OnceLock<Scenario> = OnceLock::new();
    SCENARIO.get_or_init(|| {
        let spec = SyntheticSpec { symbols: 2, bars: 60, ..SyntheticSpec::default() };
        catalog::synthetic(&spec).expect("a small synthetic market")
    })
}

/// The bytes, read from the front; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else { return 0 };
        self.0 = rest;
        b
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[usize::from(self.byte()) % from.len()]
    }

    /// A decimal: an extreme, or digits at a scale; sometimes past the limits on purpose.
    fn decimal(&mut self) -> Decimal {
        let extremes = ["0.00000001", "0.01", "1", "3.5", "100", "99.99", "10000000000", "1000000000000000", "-1", "0"];
        match self.byte() % 3 {
            0 => extremes[usize::from(self.byte()) % extremes.len()].parse().expect("a decimal"),
            _ => {
                let m = u32::from_le_bytes([self.byte(), self.byte(), self.byte(), 0]);
                Decimal::new(i64::from(m), u32::from(self.byte() % 10))
            }
        }
    }

    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

fn typed(e: &Error) {
    assert!(ErrorKind::from_code(e.code()).is_some(), "{e:?}");
}

fn check(run: &Run) {
    run.engine().check_consistency().expect("a live run is consistent");
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let mut config = base().config().clone();
    config.starting_cash = b.pick(&["0.01", "1", "100000", "1000000000000000"]).parse().expect("cash");
    config.leverage_cap = b.pick(&["1", "2", "1000"]).parse().expect("leverage");
    config.short_enabled = b.byte() % 2 == 0;
    config.costs.commission.per_unit = b.pick(&["0", "0.01", "10000000000"]).parse().expect("commission");
    config.costs.max_volume_participation = b.pick(&[None, Some(Decimal::new(1, 1))]);
    // Prices scaled from satoshis to the price limit, so sums reach the edges of the arithmetic.
    let scale: Decimal = b.pick(&["1", "0.00000001", "0.0001", "1000", "10000000"]).parse().expect("scale");
    let series = base()
        .series()
        .iter()
        .map(|s| Series {
            symbol: s.symbol.clone(),
            bars: s
                .bars
                .iter()
                .map(|bar| Bar {
                    open: bar.open * scale,
                    high: bar.high * scale,
                    low: bar.low * scale,
                    close: bar.close * scale,
                    ..*bar
                })
                .collect(),
        })
        .collect();
    let Ok(scenario) = Scenario::new(config, series) else { return };
    let scenario = Arc::new(scenario);
    let symbols: Vec<String> = scenario.series().iter().map(|s| s.symbol.clone()).collect();
    let mut run = Run::new(scenario.clone()).expect("a run");
    let agents = 1 + usize::from(b.byte() % 2);
    for k in 0..agents {
        let profile = RiskProfile {
            max_position_size_pct: b.pick(&[None, Some(Decimal::ONE_HUNDRED), Some(Decimal::TEN)]),
            max_open_orders: b.pick(&[None, Some(3)]),
            ..RiskProfile::default()
        };
        run.add_agent(&format!("a{k}"), profile).expect("an agent");
    }
    let mut steps = 0;
    while !b.done() && steps < 64 {
        steps += 1;
        let agent = AgentId(usize::from(b.byte()) % agents);
        let result: Result<(), Error> = match b.byte() % 12 {
            0 | 1 => {
                // One past the scenario's symbols: an unknown one, rejected and kept in the history.
                let symbol = symbols.get(usize::from(b.byte()) % (symbols.len() + 1)).map_or("NOPE", String::as_str);
                let side = b.pick(Side::ALL);
                let quantity = b.decimal();
                let (p1, p2) = (b.decimal(), b.decimal());
                let mut r = match b.pick(OrderType::ALL) {
                    OrderType::Market => OrderRequest::market(symbol, side, quantity),
                    OrderType::Limit => OrderRequest::limit(symbol, side, quantity, p1),
                    OrderType::Stop => OrderRequest::stop(symbol, side, quantity, p1),
                    OrderType::StopLimit => OrderRequest::stop_limit(symbol, side, quantity, p1, p2),
                };
                r.time_in_force = b.pick(TimeInForce::ALL);
                let exits = b.byte();
                if exits & 1 != 0 {
                    r.stop_loss = Some(b.decimal());
                }
                if exits & 2 != 0 {
                    r.take_profit = Some(b.decimal());
                }
                if exits & 4 != 0 {
                    r.trims.push(Trim { level: 1, price: b.decimal(), quantity: b.decimal() });
                }
                if exits & 8 != 0 {
                    r.client_order_id = Some(format!("c{}", b.byte() % 4));
                }
                run.submit(agent, r).map(drop)
            }
            2 => run.cancel(agent, u64::from(b.byte() % 32)).map(drop),
            3 | 4 => run.step(u32::from(b.byte() % 4)).map(drop),
            5 => {
                let wanted: Vec<&str> = symbols.iter().filter(|_| b.byte() % 2 == 0).map(String::as_str).collect();
                run.market_for(agent, Some(&wanted), usize::from(b.byte()) * 5).map(drop)
            }
            6 => {
                let json = run.snapshot_json();
                let restored = Run::restore_json(scenario.clone(), &json).expect("a run's own snapshot restores");
                assert_eq!(restored.snapshot_json(), json, "and continues where it was");
                run = restored;
                Ok(())
            }
            7 => run.reset_agent(agent),
            8 => run.liquidate_and_finish(agent, "fuzz", Some(u32::from(b.byte() % 3))).map(drop),
            9 => {
                let _ = run.portfolio(agent).map_err(|e| typed(&e));
                let _ = run.metrics(agent).map_err(|e| typed(&e));
                let _ = run.trades(agent);
                run.engine().open_orders(agent).map(drop)
            }
            10 => run.advance_until_next_session(Some(u32::from(b.byte() % 8))).map(drop),
            _ => {
                let key = format!("k{}", b.byte() % 4);
                if b.byte() % 2 == 0 {
                    run.step_with_key(1, &key).map(drop)
                } else {
                    run.submit_with_key(agent, OrderRequest::market(&symbols[0], Side::Buy, b.decimal()), &key)
                        .map(drop)
                }
            }
        };
        if let Err(e) = result {
            typed(&e);
        }
        check(&run);
    }
    let _ = run.hold_until_end(None, None);
    check(&run);
    for k in 0..agents {
        let _ = run.results(AgentId(k)).map_err(|e| typed(&e));
    }
});
