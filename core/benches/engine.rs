//! Engine benchmarks: bar steps per second with no orders, an SMA-crossover strategy written in
//! Rust, a 50-symbol universe, fills per second on the matching path, and a signal backtest with
//! its grading (the signal API's work), with the SDKs' allocator. Figures go to
//! BENCHMARKS.md; `cargo bench -p vectrade-core --bench engine` prints them.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use vectrade_core::catalog::{SyntheticSpec, synthetic};
use vectrade_core::*;

/// The allocator the Python and Node SDKs ship, so these figures are what they get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BARS: usize = 1_000_000;

/// A synthetic market of `symbols` correlated symbols. With `benchmark: false` the index series
/// the generator adds is dropped, so "1 symbol" means one series on the timeline.
fn scenario(symbols: usize, bars: usize, benchmark: bool) -> Arc<Scenario> {
    let spec =
        SyntheticSpec { slug: format!("bench-{symbols}x{bars}"), symbols, bars, seed: 7, ..SyntheticSpec::default() };
    let full = synthetic(&spec).expect("synthetic scenario");
    if benchmark {
        return Arc::new(full);
    }
    let mut config = full.config().clone();
    config.benchmark_symbol = None;
    let series = full.series()[..symbols].to_vec();
    Arc::new(Scenario::new(config, series).expect("same bars, no benchmark"))
}

fn fresh_run(sc: &Arc<Scenario>) -> (Run, AgentId) {
    Run::start(sc.clone(), "bench", RiskProfile::default()).expect("run starts")
}

/// Rolling fast/slow moving averages of closes, kept incrementally as a real strategy would.
struct SmaCross {
    closes: Vec<Decimal>,
    fast_sum: Decimal,
    slow_sum: Decimal,
}

impl SmaCross {
    const FAST: usize = 10;
    const SLOW: usize = 30;

    fn new() -> Self {
        SmaCross { closes: Vec::with_capacity(BARS), fast_sum: Decimal::ZERO, slow_sum: Decimal::ZERO }
    }

    /// Returns +1 (go long), −1 (go flat) or 0 once per bar.
    fn on_close(&mut self, close: Decimal) -> i8 {
        self.closes.push(close);
        let n = self.closes.len();
        self.fast_sum += close;
        self.slow_sum += close;
        if n > Self::FAST {
            self.fast_sum -= self.closes[n - 1 - Self::FAST];
        }
        if n > Self::SLOW {
            self.slow_sum -= self.closes[n - 1 - Self::SLOW];
        }
        if n < Self::SLOW {
            return 0;
        }
        // fast/FAST > slow/SLOW without dividing.
        let lhs = self.fast_sum * Decimal::from(Self::SLOW);
        let rhs = self.slow_sum * Decimal::from(Self::FAST);
        if lhs > rhs { 1 } else { -1 }
    }
}

fn run_sma(mut run: Run, agent: AgentId) -> usize {
    let mut sma = SmaCross::new();
    let qty = Decimal::from(10);
    let mut long = false;
    while !run.is_done() {
        let close = run.bars("SYM000", 1).expect("observable")[0].close;
        match sma.on_close(close) {
            1 if !long => {
                run.submit(agent, OrderRequest::market("SYM000", Side::Buy, qty)).expect("buy accepted");
                long = true;
            }
            -1 if long => {
                run.submit(agent, OrderRequest::market("SYM000", Side::Sell, qty)).expect("sell accepted");
                long = false;
            }
            _ => {}
        }
        run.advance(1).expect("advances");
    }
    run.engine().fills(agent).expect("agent").len()
}

/// Entry and exit flags of a 10/30 SMA cross (f64 averages, as a data library computes them).
fn sma_cross_signals(bars: &[Bar]) -> signals::Signals {
    let closes: Vec<f64> = bars.iter().map(|b| num::to_f64(b.close)).collect();
    let sma = |n: usize| -> Vec<f64> {
        let mut out = vec![f64::NAN; closes.len()];
        let mut sum = 0.0;
        for i in 0..closes.len() {
            sum += closes[i];
            if i >= n {
                sum -= closes[i - n];
            }
            if i + 1 >= n {
                out[i] = sum / n as f64;
            }
        }
        out
    };
    let (fast, slow) = (sma(10), sma(30));
    let cross = |up: bool| -> Vec<bool> {
        (0..closes.len())
            .map(|i| {
                i > 0
                    && if up {
                        fast[i] > slow[i] && fast[i - 1] <= slow[i - 1]
                    } else {
                        fast[i] < slow[i] && fast[i - 1] >= slow[i - 1]
                    }
            })
            .collect()
    };
    signals::Signals { entries: cross(true), exits: cross(false), ..signals::Signals::default() }
}

fn signal_run(sc: &Arc<Scenario>, flags: &signals::Signals) -> (Run, AgentId) {
    let size = SignalSize::Units(Decimal::TEN);
    signals::backtest_signals(sc.clone(), "SYM000", flags, size, RunOptions::default()).expect("signal run")
}

fn benches(c: &mut Criterion) {
    let one = scenario(1, BARS, false);
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BARS as u64 - 1));

    g.bench_function("steps_1_agent_1_symbol_1M_bars_no_orders", |b| {
        b.iter_batched(
            || fresh_run(&one),
            |(mut run, _)| {
                while !run.is_done() {
                    run.advance(1).expect("advances");
                }
                black_box(run.sim_time())
            },
            BatchSize::LargeInput,
        )
    });

    g.bench_function("step_reports_1_agent_1_symbol_1M_bars_no_orders", |b| {
        b.iter_batched(
            || fresh_run(&one),
            |(mut run, _)| {
                while !run.is_done() {
                    black_box(run.step(1).expect("steps"));
                }
            },
            BatchSize::LargeInput,
        )
    });

    g.bench_function("sma_cross_strategy_1M_bars", |b| {
        b.iter_batched(|| fresh_run(&one), |(run, a)| black_box(run_sma(run, a)), BatchSize::LargeInput)
    });

    g.bench_function("fills_every_bar_1M_bars", |b| {
        b.iter_batched(
            || fresh_run(&one),
            |(mut run, a)| {
                let qty = Decimal::ONE;
                let mut buy = true;
                while !run.is_done() {
                    let side = if buy { Side::Buy } else { Side::Sell };
                    run.submit(a, OrderRequest::market("SYM000", side, qty)).expect("accepted");
                    buy = !buy;
                    run.advance(1).expect("advances");
                }
                black_box(run.engine().fills(a).expect("agent").len())
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    // The signal API's work, as vt.backtest_signals does it: SMA 10/30 cross flags in, a graded
    // run out (the scenario keeps its index series as the benchmark, as in the Python benchmark).
    let indexed = scenario(1, BARS, true);
    let signals = sma_cross_signals(&indexed.series()[0].bars);
    let mut g = c.benchmark_group("signals");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BARS as u64 - 1));
    g.bench_function("sma_cross_flags_1M_bars_run", |b| b.iter(|| black_box(signal_run(&indexed, &signals))));
    let (finished, agent) = signal_run(&indexed, &signals);
    g.bench_function("grading_1M_bars", |b| b.iter(|| black_box(finished.results(agent).expect("graded"))));
    g.finish();

    let wide = scenario(50, 20_000, true);
    let mut g = c.benchmark_group("universe_50");
    g.sample_size(10);
    g.throughput(Throughput::Elements(50 * 20_000));
    g.bench_function("steps_50_symbols_20k_bars_rebalance_every_100", |b| {
        b.iter_batched(
            || fresh_run(&wide),
            |(mut run, a)| {
                let symbols = run.scenario().config().universe.clone();
                let mut t = 0usize;
                while !run.is_done() {
                    if t % 100 == 0 {
                        let view = run.market(None, 1).expect("scan");
                        let k = (t / 100) % symbols.len();
                        let held = run.engine().account(a).expect("agent").positions[k].quantity;
                        let side = if held.is_zero() { Side::Buy } else { Side::Sell };
                        let qty = if held.is_zero() { Decimal::from(5) } else { held };
                        black_box(&view);
                        run.submit(a, OrderRequest::market(&symbols[k], side, qty)).expect("accepted");
                    }
                    run.advance(1).expect("advances");
                    t += 1;
                }
                black_box(run.engine().fills(a).expect("agent").len())
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
