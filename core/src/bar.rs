//! OHLCV bars and bar resolutions.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result, err};
use crate::time::{MS_PER_DAY, MS_PER_MINUTE, format_rfc3339};

/// Earliest bar time: 0001-01-01T00:00:00Z.
pub const MIN_TS: i64 = -62_135_596_800_000;
/// Latest bar time: 9999-12-31T23:59:59.999Z.
pub const MAX_TS: i64 = 253_402_300_799_999;

/// One OHLCV bar. `ts` is the bar's opening time in UTC milliseconds; a bar is observable once the
/// clock stands at its `ts` (the bar is then complete, as in the hosted benchmark's `sim_time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    /// Opening time, UTC milliseconds since the epoch.
    pub ts: i64,
    /// First traded price.
    #[serde(deserialize_with = "crate::num::exact::decimal")]
    pub open: Decimal,
    /// Highest price.
    #[serde(deserialize_with = "crate::num::exact::decimal")]
    pub high: Decimal,
    /// Lowest price.
    #[serde(deserialize_with = "crate::num::exact::decimal")]
    pub low: Decimal,
    /// Last price.
    #[serde(deserialize_with = "crate::num::exact::decimal")]
    pub close: Decimal,
    /// Amount traded: shares for equities, coin units for crypto (may be fractional).
    #[serde(deserialize_with = "crate::num::exact::decimal")]
    pub volume: Decimal,
}

impl Bar {
    /// Checks low <= open, close <= high, prices > 0 and volume >= 0.
    pub fn validate(&self, symbol: &str) -> Result<()> {
        let Bar { open, high, low, close, volume, .. } = *self;
        if !(MIN_TS..=MAX_TS).contains(&self.ts) {
            return err(
                ErrorKind::InvalidBar,
                format!("{symbol} bar: timestamp {} ms is outside years 1 to 9999", self.ts),
            );
        }
        let at = || format!("{symbol} bar at {}", format_rfc3339(self.ts));
        if low <= Decimal::ZERO {
            return err(ErrorKind::InvalidBar, format!("{}: prices must be positive, low is {low}", at()));
        }
        if high > crate::limits::MAX_PRICE {
            return err(
                ErrorKind::InvalidBar,
                format!("{}: prices must be at most {}, high is {high}", at(), crate::limits::MAX_PRICE),
            );
        }
        if volume < Decimal::ZERO {
            return err(ErrorKind::InvalidBar, format!("{}: volume must be >= 0, got {volume}", at()));
        }
        if low > open || low > close || high < open || high < close {
            return err(
                ErrorKind::InvalidBar,
                format!(
                    "{}: need low <= open, close <= high, got open {open} high {high} low {low} close {close}",
                    at()
                ),
            );
        }
        Ok(())
    }
}

/// Bars from columns of floats (numpy arrays, JS typed arrays), as data libraries hold them.
///
/// Each float becomes the decimal of its shortest round-trip representation — the number a person
/// sees when the float is printed (`101.3`, not `101.2999999999999971578...`) — so prices read
/// from a DataFrame are the prices in the file. Every bar is validated; a NaN, an infinity or a
/// length mismatch is an error naming the row.
pub fn bars_from_columns(
    symbol: &str,
    ts: &[i64],
    open: &[f64],
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
) -> Result<Vec<Bar>> {
    let n = ts.len();
    crate::limits::check_bars(n)?;
    if [open.len(), high.len(), low.len(), close.len(), volume.len()].iter().any(|&l| l != n) {
        return err(
            ErrorKind::InvalidBar,
            format!(
                "{symbol}: columns differ in length (ts {n}, open {}, high {}, low {}, close {}, volume {})",
                open.len(),
                high.len(),
                low.len(),
                close.len(),
                volume.len()
            ),
        );
    }
    let dec = |row: usize, name: &str, v: f64| -> Result<Decimal> {
        if !v.is_finite() {
            return err(ErrorKind::InvalidBar, format!("{symbol} row {row}: {name} is {v}"));
        }
        crate::num::decimal_from_f64(v)
            .ok_or_else(|| Error::new(ErrorKind::InvalidBar, format!("{symbol} row {row}: {name} {v} is out of range")))
    };
    let mut bars = Vec::with_capacity(n);
    for i in 0..n {
        let bar = Bar {
            ts: ts[i],
            open: dec(i, "open", open[i])?,
            high: dec(i, "high", high[i])?,
            low: dec(i, "low", low[i])?,
            close: dec(i, "close", close[i])?,
            volume: dec(i, "volume", volume[i])?,
        };
        bar.validate(symbol).map_err(|e| Error::new(e.kind, format!("row {i}: {}", e.detail)))?;
        bars.push(bar);
    }
    Ok(bars)
}

/// How long one bar lasts. Written as in the hosted API: `1Min`, `5Min`, `1Hour`, `1Day`, `1Week`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BarResolution {
    minutes: u32,
}

impl BarResolution {
    /// One minute.
    pub const MINUTE: BarResolution = BarResolution { minutes: 1 };
    /// One hour.
    pub const HOUR: BarResolution = BarResolution { minutes: 60 };
    /// One day.
    pub const DAY: BarResolution = BarResolution { minutes: 1440 };
    /// One week.
    pub const WEEK: BarResolution = BarResolution { minutes: 10_080 };

    /// A resolution of `minutes` minutes (> 0).
    pub fn from_minutes(minutes: u32) -> Result<Self> {
        if minutes == 0 {
            return err(ErrorKind::InvalidScenario, "bar resolution must be at least one minute");
        }
        Ok(BarResolution { minutes })
    }

    /// Length in minutes.
    pub fn minutes(self) -> u32 {
        self.minutes
    }

    /// Length in milliseconds.
    pub fn millis(self) -> i64 {
        i64::from(self.minutes) * MS_PER_MINUTE
    }

    /// True for resolutions of a day or longer.
    pub fn is_daily_or_longer(self) -> bool {
        self.millis() >= MS_PER_DAY
    }

    /// The resolution of bars at `times` (UTC ms, ascending): their most common spacing, the
    /// shorter one on a tie, in whole minutes; one day when there is no spacing to go by.
    /// Overnight and weekend gaps are rarer than the bar spacing, so they do not decide it.
    pub fn infer(times: &[i64]) -> BarResolution {
        let mut gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).filter(|g| *g > 0).collect();
        gaps.sort_unstable();
        let (mut best, mut best_count, mut i) = (None, 0usize, 0usize);
        while i < gaps.len() {
            let j = gaps[i..].iter().take_while(|g| **g == gaps[i]).count();
            if j > best_count {
                (best, best_count) = (Some(gaps[i]), j);
            }
            i += j;
        }
        match best {
            None => BarResolution::DAY,
            Some(ms) => {
                let minutes = ((ms + MS_PER_MINUTE / 2) / MS_PER_MINUTE).clamp(1, i64::from(u32::MAX));
                BarResolution { minutes: minutes as u32 }
            }
        }
    }

    /// Parses `1Min`, `15Min`, `1Hour`, `4Hour`, `1Day`, `1Week` (also `1m`, `1h`, `1d`, `1w`).
    pub fn parse(text: &str) -> Result<Self> {
        let digits: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
        let unit = &text[digits.len()..];
        let n: u32 = digits.parse().map_err(|_| bad_resolution(text))?;
        let per = match unit.to_ascii_lowercase().as_str() {
            "min" | "m" | "minute" | "t" => 1,
            "hour" | "h" => 60,
            "day" | "d" => 1440,
            "week" | "w" => 10_080,
            _ => return Err(bad_resolution(text)),
        };
        let minutes = n.checked_mul(per).ok_or_else(|| bad_resolution(text))?;
        BarResolution::from_minutes(minutes).map_err(|_| bad_resolution(text))
    }
}

fn bad_resolution(text: &str) -> Error {
    Error::new(
        ErrorKind::InvalidEnumValue,
        format!("`bar_resolution` must look like '1Min', '15Min', '1Hour', '1Day' or '1Week', got '{text}'"),
    )
}

impl std::fmt::Display for BarResolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.minutes;
        if m % 10_080 == 0 {
            write!(f, "{}Week", m / 10_080)
        } else if m % 1440 == 0 {
            write!(f, "{}Day", m / 1440)
        } else if m % 60 == 0 {
            write!(f, "{}Hour", m / 60)
        } else {
            write!(f, "{m}Min")
        }
    }
}

impl Serialize for BarResolution {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BarResolution {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        BarResolution::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn resolution_is_inferred_from_the_most_common_spacing() {
        let h = 3_600_000;
        // Seven hourly bars a day with an overnight gap: hourly, not daily.
        let times: Vec<i64> = (0..3).flat_map(|d| (0..7).map(move |k| d * 24 * h + k * h)).collect();
        assert_eq!(BarResolution::infer(&times), BarResolution::HOUR);
        let days: Vec<i64> = [0, 1, 2, 3, 4, 7, 8].iter().map(|d| d * 24 * h).collect();
        assert_eq!(BarResolution::infer(&days), BarResolution::DAY);
        assert_eq!(BarResolution::infer(&[0, 5 * 60_000, 10 * 60_000]).to_string(), "5Min");
        assert_eq!(BarResolution::infer(&[42]), BarResolution::DAY);
    }

    #[test]
    fn resolution_round_trips() {
        for text in ["1Min", "15Min", "1Hour", "4Hour", "1Day", "1Week"] {
            assert_eq!(BarResolution::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(BarResolution::parse("1h").unwrap(), BarResolution::HOUR);
        assert_eq!(BarResolution::parse("2fortnights").unwrap_err().kind, ErrorKind::InvalidEnumValue);
    }

    #[test]
    fn float_columns_become_the_decimals_people_see() {
        let bars = bars_from_columns(
            "X",
            &[0, 3_600_000],
            &[101.3, 0.1],
            &[102.0, 0.3],
            &[100.25, 0.1],
            &[101.9, 0.2],
            &[1e6, 0.5],
        )
        .unwrap();
        assert_eq!((bars[0].open, bars[0].low, bars[0].volume), (dec!(101.3), dec!(100.25), dec!(1000000)));
        assert_eq!((bars[1].high, bars[1].close), (dec!(0.3), dec!(0.2)));
        let e = bars_from_columns("X", &[0], &[f64::NAN], &[1.0], &[1.0], &[1.0], &[1.0]).unwrap_err();
        assert_eq!(e.detail, "X row 0: open is NaN");
        let short = bars_from_columns("X", &[0, 1], &[1.0], &[1.0], &[1.0], &[1.0], &[1.0]).unwrap_err();
        assert!(short.detail.contains("columns differ in length"), "{}", short.detail);
        let bad = bars_from_columns("X", &[0], &[1.0], &[0.5], &[1.0], &[1.0], &[1.0]).unwrap_err();
        assert!(bad.detail.starts_with("row 0: X bar at 1970-01-01T00:00:00Z"), "{}", bad.detail);
    }

    #[test]
    fn bar_validation_names_the_problem() {
        let bar = Bar { ts: 0, open: dec!(10), high: dec!(9), low: dec!(8), close: dec!(9), volume: dec!(1) };
        let e = bar.validate("AAPL").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidBar);
        assert!(e.detail.contains("AAPL bar at 1970-01-01T00:00:00Z"), "{}", e.detail);
    }
}
