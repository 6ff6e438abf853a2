//! Metrics by hand-computed examples, edge cases and an independent implementation.
use super::*;
use crate::account::EquityPoint;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}
fn ds(v: &[&str]) -> Vec<Decimal> {
    v.iter().map(|s| d(s)).collect()
}
fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}
const DAY: i64 = 86_400_000;
fn days(n: usize) -> Vec<i64> {
    (0..n as i64).map(|i| 1_700_000_000_000 + i * DAY).collect()
}
/// Points of a curve; exposure `gx[i]`, or 0 past its end.
fn points(ts: &[i64], eq: &[Decimal], gx: &[Decimal]) -> Vec<EquityPoint> {
    let gross = |i: usize| gx.get(i).copied().unwrap_or_default();
    ts.iter()
        .zip(eq)
        .enumerate()
        .map(|(i, (&ts, &equity))| EquityPoint { ts, equity, gross_exposure: gross(i) })
        .collect()
}
fn curve(points: &[EquityPoint], ppy: f64) -> MetricsInput<'_> {
    MetricsInput { curve: Curve::new(points), periods_per_year: ppy, ..Default::default() }
}
/// Metrics of the curve `eq` at times `ts`, without trades.
fn of(ts: &[i64], eq: &[Decimal], ppy: f64) -> Metrics {
    compute(&curve(&points(ts, eq, &[]), ppy))
}
/// Bars closing at `closes`, at times `ts`.
fn bars(ts: &[i64], closes: &[Decimal]) -> Vec<Bar> {
    ts.iter()
        .zip(closes)
        .map(|(&ts, &c)| Bar { ts, open: c, high: c, low: c, close: c, volume: Decimal::ZERO })
        .collect()
}
fn floats(m: &Metrics) -> Vec<f64> {
    let mut v = vec![
        m.total_return_pct,
        m.cagr_pct,
        m.volatility_pct,
        m.sharpe,
        m.sortino,
        m.max_drawdown,
        m.max_drawdown_pct,
        m.calmar,
        m.win_rate_pct,
        m.exposure_pct,
        m.turnover,
        m.periods_per_year,
    ];
    let opts =
        [m.profit_factor, m.best_trade_pct, m.worst_trade_pct, m.benchmark_return_pct, m.alpha_annual_pct, m.beta];
    v.extend(opts.into_iter().flatten());
    v
}

#[test]
fn small_curve_by_hand() {
    let eq = ds(&["100", "110", "99", "121"]);
    let ts = days(4);
    let rets = returns(&eq);
    assert_eq!(rets, vec![0.1, -0.1, 22.0 / 99.0]);
    assert_eq!(drawdown_series(&eq), vec![0.0, 0.0, 0.1, 0.0]);
    let m = of(&ts, &eq, 252.0);
    assert_eq!(m.total_return_pct, 21.0);
    assert_eq!((m.max_drawdown, m.max_drawdown_pct), (0.1, 10.0));
    assert_eq!((m.max_drawdown_duration_bars, m.max_drawdown_duration_ms), (2, 2 * DAY));
    assert_eq!(m.bars, 3);
    // mean = 2/27, deviations (0.7, −4.7, 4)/27 → sample var = 38.58/729/2 → sd = √19.29/27.
    let sd = 19.29f64.sqrt() / 27.0;
    assert!(close(m.volatility_pct, sd * 252f64.sqrt() * 100.0, 1e-12));
    assert!(close(m.sharpe, 2.0 * (252.0 / 19.29f64).sqrt(), 1e-12));
    // Downside deviation √(0.01/3): sortino = (2/27)·√300·√252.
    assert!(close(m.sortino, 2.0 / 27.0 * (300.0f64 * 252.0).sqrt(), 1e-12));
    // Three days is 3/365.25 years: CAGR = 1.21^(365.25/3) − 1, Calmar = that / 0.1.
    let cagr = 1.21f64.powf(365.25 / 3.0) - 1.0;
    assert!(close(m.cagr_pct, cagr * 100.0, 1e-9) && close(m.calmar, cagr / 0.1, 1e-9));
    assert_eq!(m.starting_equity, d("100"));
    assert_eq!(m.final_equity, d("121"));
}

#[test]
fn cagr_over_two_years_and_drawdown_durations() {
    let eq = ds(&["100", "90", "121", "110"]);
    let year = MS_PER_YEAR as i64;
    let ts = [0, year / 2, year, 2 * year];
    let m = of(&ts, &eq, 1.0);
    // 100 → 110 over two years: √1.1 − 1.
    assert!(close(m.cagr_pct, (1.1f64.sqrt() - 1.0) * 100.0, 1e-12));
    // Two stretches: 0→2 (2 bars, one year) and 2→3 unrecovered (1 bar, one year).
    assert_eq!((m.max_drawdown_duration_bars, m.max_drawdown_duration_ms), (2, year));
    assert_eq!(m.max_drawdown, 0.1);
}

#[test]
fn empty_single_point_and_no_trades_are_zero() {
    for eq in [vec![], ds(&["1000"])] {
        let ts = days(eq.len());
        let m = of(&ts, &eq, 252.0);
        assert!(floats(&m).iter().all(|x| *x == 0.0 || *x == 252.0), "{m:?}");
        assert_eq!((m.bars, m.round_trips, m.max_drawdown_duration_bars), (0, 0, 0));
        assert_eq!(m.expectancy, Decimal::ZERO);
        assert_eq!((m.profit_factor, m.best_trade, m.best_trade_pct, m.beta), (None, None, None, None));
    }
    let m = compute(&MetricsInput::default());
    assert_eq!(m.periods_per_year, 0.0);
    assert_eq!(m.starting_equity, Decimal::ZERO);
}

#[test]
fn trade_statistics() {
    let pnls = ds(&["5", "3", "-1", "-2", "-4", "0", "7", "-1.005"]);
    let rets = [5.0, 3.0, -1.0, -2.0, -4.0, 0.0, 7.0, -1.0];
    let m = compute(&MetricsInput { trade_pnls: &pnls, trade_returns_pct: &rets, ..Default::default() });
    assert_eq!((m.round_trips, m.max_consecutive_wins, m.max_consecutive_losses), (8, 2, 3));
    assert_eq!(m.win_rate_pct, 37.5);
    // wins 15, losses 8.005 → 15/8.005 in Decimal.
    assert_eq!(m.profit_factor, Some(to_f64(d("15") / d("8.005"))));
    // Σ = 6.995, / 8 = 0.874375 → 0.87.
    assert_eq!(m.expectancy, d("0.87"));
    assert_eq!((m.best_trade, m.worst_trade), (Some(d("7")), Some(d("-4"))));
    assert_eq!((m.best_trade_pct, m.worst_trade_pct), (Some(7.0), Some(-4.0)));

    // A zero-pnl trade breaks a streak; no losses → no profit factor.
    let z = ds(&["-1", "0", "-1", "2", "0", "3"]);
    let m = compute(&MetricsInput { trade_pnls: &z, ..Default::default() });
    assert_eq!((m.max_consecutive_wins, m.max_consecutive_losses), (1, 1));
    let w = ds(&["1", "2"]);
    let m = compute(&MetricsInput { trade_pnls: &w, ..Default::default() });
    assert_eq!((m.profit_factor, m.win_rate_pct, m.expectancy), (None, 100.0, d("1.50")));
    let l = ds(&["-1"]);
    assert_eq!(compute(&MetricsInput { trade_pnls: &l, ..Default::default() }).profit_factor, Some(0.0));
}

#[test]
fn exposure_turnover_fees() {
    let eq = ds(&["100", "100", "100", "100", "100"]);
    let gx = ds(&["50", "0", "50", "-0", "80"]);
    let ts = days(5);
    let pts = points(&ts, &eq, &gx);
    let m = compute(&MetricsInput { traded_notional: d("250"), fees: d("1.25"), fill_count: 3, ..curve(&pts, 252.0) });
    assert_eq!((m.exposure_pct, m.turnover, m.fees, m.fill_count), (50.0, 2.5, d("1.25"), 3));
}

#[test]
fn benchmark_identical_to_strategy_has_beta_one() {
    let eq = ds(&["100", "103", "101", "106", "104.5", "108"]);
    let ts = days(eq.len());
    let pts = points(&ts, &eq, &[]);
    let same = bars(&ts, &eq);
    let m = compute(&MetricsInput { benchmark: Some(&same), ..curve(&pts, 252.0) });
    assert_eq!(m.beta, Some(1.0));
    assert!(m.alpha_annual_pct.unwrap().abs() < 1e-12);
    assert_eq!(m.benchmark_return_pct, Some(8.0));
    // A flat benchmark has no variance: no alpha/beta, but a buy-and-hold return of 0.
    let flat = ds(&["50", "50", "50", "50", "50", "50"]);
    let flat = bars(&ts, &flat);
    let m = compute(&MetricsInput { benchmark: Some(&flat), ..curve(&pts, 252.0) });
    assert_eq!((m.beta, m.alpha_annual_pct, m.benchmark_return_pct), (None, None, Some(0.0)));
    // Benchmark returns (1 %, −1 %, 3 %), strategy 2·b + 0.1 % each bar → beta 2, alpha 0.1 % × 252.
    let b = ds(&["100", "101", "99.99", "102.9897"]);
    let s = ds(&["100", "102.1", "100.1601", "106.2698661"]);
    let (b, s) = (bars(&ts[..4], &b), points(&ts[..4], &s, &[]));
    let m = compute(&MetricsInput { benchmark: Some(&b), ..curve(&s, 252.0) });
    assert!(close(m.beta.unwrap(), 2.0, 1e-12) && close(m.alpha_annual_pct.unwrap(), 25.2, 1e-9), "{m:?}");
}

#[test]
fn annualisation_scales_sharpe_by_sqrt_ratio() {
    let eq = ds(&["100", "101", "100.5", "102", "101.7", "103"]);
    let ts = days(eq.len());
    let daily = of(&ts, &eq, 252.0);
    let hourly = of(&ts, &eq, 1764.0);
    assert!(close(hourly.sharpe / daily.sharpe, 7f64.sqrt(), 1e-12));
    assert!(close(hourly.sortino / daily.sortino, 7f64.sqrt(), 1e-12));
    assert!(close(hourly.volatility_pct / daily.volatility_pct, 7f64.sqrt(), 1e-12));
    // A positive risk-free rate lowers the Sharpe ratio.
    let pts = points(&ts, &eq, &[]);
    let rf = compute(&MetricsInput { risk_free_rate_annual: 0.05, ..curve(&pts, 252.0) });
    assert!(rf.sharpe < daily.sharpe && rf.sharpe > 0.0);
}

#[test]
fn a_curve_with_a_start_point_is_the_same_curve() {
    let eq = ds(&["100", "90", "121", "110", "95"]);
    let ts = days(eq.len());
    let pts = points(&ts, &eq, &ds(&["0", "5", "0", "7", "9"]));
    let split = Curve { start: Some(pts[0]), points: &pts[1..] };
    assert_eq!((split.len(), split.get(0), split.get(4), split.get(5)), (5, Some(&pts[0]), Some(&pts[4]), None));
    let bench = bars(&ts, &ds(&["10", "11", "10.5", "12", "11"]));
    let whole = compute(&MetricsInput { benchmark: Some(&bench), ..curve(&pts, 252.0) });
    let parts =
        compute(&MetricsInput { curve: split, benchmark: Some(&bench), periods_per_year: 252.0, ..Default::default() });
    assert_eq!(whole, parts);
    assert_eq!((whole.max_drawdown_duration_bars, whole.exposure_pct), (2, 75.0));
}

#[test]
fn ruin_is_counted_once() {
    let eq = ds(&["100", "50", "-10", "5", "20"]);
    assert_eq!(returns(&eq), vec![-0.5, -1.0, 0.0, 0.0]);
    assert_eq!(returns(&ds(&["0", "10", "20"])), vec![-1.0, 0.0]);
    assert_eq!(drawdown_series(&eq), vec![0.0, 0.5, 1.1, 0.95, 0.8]);
}

#[test]
fn random_walk_with_zero_equity_stays_finite() {
    let mut seed: u64 = 42;
    let mut next = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as i64 % 2001 - 1000
    };
    let mut eq = Vec::new();
    let mut bench = Vec::new();
    let mut e = Decimal::from(1000);
    for i in 0..300 {
        e += Decimal::new(next(), 2);
        let e_i = if i == 150 { Decimal::ZERO } else { e };
        eq.push(e_i);
        bench.push(if i % 97 == 5 { Decimal::ZERO } else { Decimal::from(100) + Decimal::new(next(), 2) });
    }
    let gx: Vec<Decimal> = eq.iter().map(|e| e.abs()).collect();
    let pnls = ds(&["1", "-2", "0"]);
    let tr = [1.0, f64::NAN, -2.0];
    let ts = days(eq.len());
    let (pts, bench) = (points(&ts, &eq, &gx), bars(&ts, &bench));
    for ppy in [252.0, 1764.0, 0.0, f64::NAN, f64::INFINITY] {
        let m = compute(&MetricsInput {
            benchmark: Some(&bench),
            trade_pnls: &pnls,
            trade_returns_pct: &tr,
            risk_free_rate_annual: 0.03,
            ..curve(&pts, ppy)
        });
        assert!(floats(&m).iter().all(|x| x.is_finite()), "{m:?}");
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Metrics>(&json).unwrap(), m);
    }
    // A one-minute run compounding 10 % annualises past f64: saturated, not infinite.
    let m = of(&[0, 60_000], &ds(&["100", "110"]), 252.0);
    assert_eq!(m.cagr_pct, f64::MAX);
}

#[test]
fn ten_point_example_matches_independent_python() {
    // Values from a hand-written plain-Python script (float arithmetic, math.sqrt, no numpy):
    // r_i = e_i/e_{i-1} - 1; sd with n-1; sharpe = mean/sd*sqrt(252); downside = sqrt(sum(min(r,0)^2)/n);
    // sortino = mean/downside*sqrt(252); volatility = sd*sqrt(252)*100; mdd = max((peak-e)/peak).
    let eq = ds(&["10000", "10150", "10080", "9900", "10230", "10410", "10120", "9870", "10350", "10500"]);
    let ts = days(eq.len());
    let m = of(&ts, &eq, 252.0);
    assert!(close(m.volatility_pct, PY_VOL, 1e-12), "{}", m.volatility_pct);
    assert!(close(m.sharpe, PY_SHARPE, 1e-12), "{}", m.sharpe);
    assert!(close(m.sortino, PY_SORTINO, 1e-12), "{}", m.sortino);
    assert!(close(m.max_drawdown, PY_MDD, 1e-12), "{}", m.max_drawdown);
}
const PY_VOL: f64 = 42.284681340529936;
const PY_SHARPE: f64 = 3.42601356543673;
const PY_SORTINO: f64 = 6.539301449486706;
const PY_MDD: f64 = 0.05187319884726225;

mod one_scale_reading {
    //! The integer reading at one scale ([`Scaled`]) gives exactly what reading each `Decimal`
    //! ([`Exact`]) gives: same returns, drawdowns, stretches, sums and benchmark series, bit for bit.
    use proptest::prelude::*;

    use super::*;

    /// Money: a few decimals, sometimes zero or negative.
    fn money() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            8 => (1i64..20_000_000, 0u32..5).prop_map(|(m, s)| Decimal::new(m, s)),
            1 => (-5_000i64..=0, 0u32..3).prop_map(|(m, s)| Decimal::new(m, s)),
        ]
    }

    /// Amounts along a curve: money only (read at one scale), or now and then a scale the fast
    /// path cannot hold or a mantissa too large for it (so the reading falls back midway).
    fn amounts(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Decimal>> {
        let odd = prop_oneof![
            8 => money(),
            1 => (1i64..1_000, 23u32..28).prop_map(|(m, s)| Decimal::new(m, s)),
            1 => (1i64 << 52..i64::MAX, 0u32..3).prop_map(|(m, s)| Decimal::new(m, s)),
        ];
        prop_oneof![prop::collection::vec(money(), len.clone()), prop::collection::vec(odd, len)]
    }

    fn exact_scan(curve: &Curve, bench: &[Bar]) -> (Scan, Vec<f64>) {
        let (scan, _) = scan_equity(Exact, curve.iter().map(|p| (p.equity, !is_non_positive(p.gross_exposure))));
        let closes = curve.iter().map(|p| {
            let j = bench.partition_point(|b| b.ts <= p.ts).saturating_sub(1);
            bench[j].close
        });
        (scan, return_series(Exact, closes).0)
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    proptest! {
        #[test]
        fn integer_reading_matches_decimal_reading(
            eq in amounts(0..60),
            closes in amounts(1..40),
            offset in 0i64..30,
        ) {
            let ts = days(eq.len());
            let gx: Vec<Decimal> = eq.iter().map(|e| if e.is_sign_negative() { Decimal::ZERO } else { *e }).collect();
            let pts = points(&ts, &eq, &gx);
            let bench_ts: Vec<i64> = days(closes.len()).iter().map(|t| t + offset * DAY / 3).collect();
            let bench = bars(&bench_ts, &closes);
            let curve = Curve::new(&pts);
            let fast = scan(&curve, Some(&bench));
            let (exact, exact_bench) = exact_scan(&curve, &bench);
            prop_assert_eq!(bits(&fast.returns), bits(&exact.returns));
            prop_assert_eq!(fast.max_drawdown.to_bits(), exact.max_drawdown.to_bits());
            prop_assert_eq!(&fast.stretches, &exact.stretches);
            prop_assert_eq!(fast.exposed, exact.exposed);
            prop_assert_eq!(fast.equity_sum, exact.equity_sum);
            prop_assert_eq!(fast.equity_sum.scale(), exact.equity_sum.scale());
            if !eq.is_empty() {
                prop_assert_eq!(bits(fast.benchmark_returns.as_deref().unwrap()), bits(&exact_bench));
            }
            prop_assert_eq!(bits(&returns(&eq)), bits(&return_series(Exact, eq.iter().copied()).0));
            let mut stream = DrawdownStream::new(Exact);
            let dd: Vec<f64> = eq.iter().map(|&e| stream.push(e).0).collect();
            prop_assert_eq!(bits(&drawdown_series(&eq)), bits(&dd));
        }
    }
}
