//! Trading calendars for generated markets: when bars happen and how much market time each spans.
//!
//! An exchange trades on weekdays that are not NYSE holidays, in sessions of a few bars with an
//! overnight gap between sessions; a continuous market (crypto) trades every bar around the clock.
//! Each bar comes out as a [`Slot`] that says how much of a year's variance it carries, so the
//! generator scales volatility the same way whatever the bar size.

use crate::bar::BarResolution;
use crate::time::{MS_PER_DAY, MS_PER_MINUTE, civil_from_days, days_from_civil, weekday};

/// Sessions in a US equity year; an exchange bar's variance is a share of one session's.
const SESSIONS_PER_YEAR: f64 = 252.0;

/// One bar of a generated market.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Slot {
    /// Opening time, UTC milliseconds.
    pub ts: i64,
    /// Trading time inside the bar, in years of variance (open to close).
    pub bar_years: f64,
    /// Market time between the previous bar's close and this bar's open (the overnight gap),
    /// in years of variance; zero inside a session and in continuous markets.
    pub gap_years: f64,
    /// Multiplier of a symbol's daily volume for this bar: its share of the day times the
    /// intraday activity pattern (busier opens and closes, or busier US/EU hours for crypto).
    pub volume_factor: f64,
}

/// The sessions of a US exchange, `bars_per_session` bars of `bar` each starting at
/// `open_minute_utc` minutes after UTC midnight, on every weekday from `first` to `last`
/// (inclusive, as `(year, month, day)`) that is not an NYSE holiday.
///
/// `gap_share` is the fraction of a session's variance that arrives overnight (about a quarter for
/// large US stocks); a gap after a weekend or holiday is somewhat larger than after one night.
pub(crate) fn exchange_sessions(
    first: (i64, u32, u32),
    last: (i64, u32, u32),
    open_minute_utc: u32,
    bar: BarResolution,
    bars_per_session: u32,
    gap_share: f64,
) -> Vec<Slot> {
    let (first_day, last_day) = (days_from_civil(first.0, first.1, first.2), days_from_civil(last.0, last.1, last.2));
    let per_bar_years = (1.0 - gap_share) / (SESSIONS_PER_YEAR * f64::from(bars_per_session));
    let mut slots = Vec::new();
    let mut previous_session: Option<i64> = None;
    for day in first_day..=last_day {
        if weekday(day) >= 5 || is_nyse_holiday(day) {
            continue;
        }
        // The first session of a scenario has no previous close, hence no gap.
        let gap_years = match previous_session {
            // Each extra calendar day (weekend, holiday) adds a quarter of a night's variance.
            Some(prev) => gap_share / SESSIONS_PER_YEAR * (1.0 + 0.25 * (day - prev - 1) as f64),
            None => 0.0,
        };
        previous_session = Some(day);
        for k in 0..bars_per_session {
            let ts = day * MS_PER_DAY + i64::from(open_minute_utc) * MS_PER_MINUTE + i64::from(k) * bar.millis();
            slots.push(Slot {
                ts,
                bar_years: per_bar_years,
                gap_years: if k == 0 { gap_years } else { 0.0 },
                volume_factor: u_shape(k, bars_per_session) / f64::from(bars_per_session),
            });
        }
    }
    slots
}

/// `count` bars of `bar` starting at `start_ts`, around the clock (365 days a year, no gaps).
pub(crate) fn continuous(start_ts: i64, bar: BarResolution, count: usize) -> Vec<Slot> {
    let minutes = f64::from(bar.minutes());
    let bar_years = minutes / (365.0 * 1440.0);
    let day_share = minutes / 1440.0;
    (0..count)
        .map(|i| {
            let ts = start_ts + i as i64 * bar.millis();
            let volume_factor = if bar.is_daily_or_longer() {
                day_share
            } else {
                let minute_of_day = ts.rem_euclid(MS_PER_DAY) / MS_PER_MINUTE;
                day_share * around_the_clock(minute_of_day as f64)
            };
            Slot { ts, bar_years, gap_years: 0.0, volume_factor }
        })
        .collect()
}

/// Intraday volume of an exchange: heavy at the open and the close, light at midday (the
/// well-known U shape). Averages about 1 over a session of 7 bars.
fn u_shape(k: u32, n: u32) -> f64 {
    if n <= 1 {
        return 1.0;
    }
    let x = 2.0 * f64::from(k) / f64::from(n - 1) - 1.0; // -1 at the open, +1 at the close
    (0.7 + 1.2 * x * x) / 1.233
}

/// Crypto volume over the UTC day: busiest when Europe and the US overlap (about 15:00 UTC),
/// quietest in the Asian night.
fn around_the_clock(minute_of_day: f64) -> f64 {
    let phase = (minute_of_day - 15.0 * 60.0) / 1440.0;
    1.0 + 0.35 * libm::cos(core::f64::consts::TAU * phase)
}

/// Whether the NYSE is closed all day on `day` (days since 1970-01-01) for a holiday: New Year's
/// Day, Martin Luther King Jr. Day, Washington's Birthday, Good Friday, Memorial Day, Juneteenth
/// (from 2022), Independence Day, Labor Day, Thanksgiving and Christmas, with the exchange's rule
/// for holidays falling on a weekend. Weekends themselves and one-off closures are not included.
pub(crate) fn is_nyse_holiday(day: i64) -> bool {
    let (year, _, _) = civil_from_days(day);
    nyse_holidays(year).contains(&day)
}

fn nyse_holidays(year: i64) -> Vec<i64> {
    let mut days = Vec::with_capacity(10);
    // New Year's Day on a Saturday is not made up on the Friday before (NYSE rule 7.2).
    let new_year = days_from_civil(year, 1, 1);
    match weekday(new_year) {
        5 => {}
        6 => days.push(new_year + 1),
        _ => days.push(new_year),
    }
    days.push(nth_weekday(year, 1, 0, 3)); // MLK Day: third Monday of January
    days.push(nth_weekday(year, 2, 0, 3)); // Washington's Birthday: third Monday of February
    days.push(easter_sunday(year) - 2); // Good Friday
    days.push(last_weekday(year, 5, 0)); // Memorial Day: last Monday of May
    if year >= 2022 {
        days.push(observed(days_from_civil(year, 6, 19))); // Juneteenth
    }
    days.push(observed(days_from_civil(year, 7, 4)));
    days.push(nth_weekday(year, 9, 0, 1)); // Labor Day: first Monday of September
    days.push(nth_weekday(year, 11, 3, 4)); // Thanksgiving: fourth Thursday of November
    days.push(observed(days_from_civil(year, 12, 25)));
    days
}

/// A fixed-date holiday on a Saturday is observed on Friday, on a Sunday on Monday.
fn observed(day: i64) -> i64 {
    match weekday(day) {
        5 => day - 1,
        6 => day + 1,
        _ => day,
    }
}

/// The `n`-th `wd` (0 = Monday) of a month.
fn nth_weekday(year: i64, month: u32, wd: u32, n: u32) -> i64 {
    let first = days_from_civil(year, month, 1);
    first + i64::from((wd + 7 - weekday(first)) % 7) + 7 * i64::from(n - 1)
}

/// The last `wd` (0 = Monday) of a month.
fn last_weekday(year: i64, month: u32, wd: u32) -> i64 {
    let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    let last = days_from_civil(y, m, 1) - 1;
    last - i64::from((weekday(last) + 7 - wd) % 7)
}

/// Easter Sunday of the Gregorian calendar (the anonymous "Meeus/Jones/Butcher" algorithm).
fn easter_sunday(year: i64) -> i64 {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    days_from_civil(year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d)
    }

    #[test]
    fn knows_the_nyse_holidays_of_2024() {
        let expected = [(1, 1), (1, 15), (2, 19), (3, 29), (5, 27), (6, 19), (7, 4), (9, 2), (11, 28), (12, 25)];
        let got: Vec<i64> = nyse_holidays(2024);
        assert_eq!(got, expected.iter().map(|&(m, d)| date(2024, m, d)).collect::<Vec<_>>());
        // 2022: New Year's Day was a Saturday (not made up), Christmas a Sunday (Monday off).
        assert!(!is_nyse_holiday(date(2021, 12, 31)));
        assert!(is_nyse_holiday(date(2022, 12, 26)));
        assert!(is_nyse_holiday(date(2021, 7, 5)));
        assert_eq!(easter_sunday(2019), date(2019, 4, 21));
    }

    #[test]
    fn q2_2024_has_63_sessions_of_seven_bars() {
        let slots = exchange_sessions((2024, 4, 1), (2024, 6, 28), 13 * 60 + 30, BarResolution::HOUR, 7, 0.25);
        assert_eq!(slots.len(), 63 * 7);
        assert_eq!(crate::time::format_rfc3339(slots[0].ts), "2024-04-01T13:30:00Z");
        assert_eq!(crate::time::format_rfc3339(slots[slots.len() - 1].ts), "2024-06-28T19:30:00Z");
        assert_eq!(slots[0].gap_years, 0.0);
        // Monday 2024-04-08 opens after a weekend: a larger gap than Tuesday's.
        assert!(slots[5 * 7].gap_years > slots[6 * 7].gap_years);
        let session_years: f64 = slots[7..14].iter().map(|s| s.bar_years + s.gap_years).sum();
        assert!((session_years * 252.0 - 1.0).abs() < 1e-9);
    }

    #[test]
    fn continuous_markets_never_gap() {
        let slots = continuous(0, BarResolution::HOUR, 48);
        assert!(slots.iter().all(|s| s.gap_years == 0.0));
        let day: f64 = slots[..24].iter().map(|s| s.volume_factor).sum();
        assert!((day - 1.0).abs() < 1e-9, "{day}");
    }
}
