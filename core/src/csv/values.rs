//! Reading one CSV cell: exact decimals and the many ways data files write a point in time.
//!
//! Everything here returns `None` on failure; the caller knows the line and column and builds the
//! error message.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::time::{MS_PER_DAY, MS_PER_MINUTE, days_from_civil, days_in_month, parse_timestamp};

/// How to read a date like `03/04/2024`, decided once per file (see [`slash_dates_are_day_first`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SlashDates {
    /// `MM/DD/YYYY`, the US convention (Nasdaq, Investing.com in English).
    MonthFirst,
    /// `DD/MM/YYYY`, the European convention.
    DayFirst,
}

/// Parses a decimal number exactly from its text (never through `f64`).
///
/// Accepts an optional sign, a leading `$`, scientific notation (`1.5e-3`) and digit grouping:
/// when a cell has both `,` and `.`, the last one is the decimal point; a lone `,` is a decimal
/// comma if `comma_is_decimal` (semicolon- and tab-separated files, as written in Europe) and a
/// thousands separator otherwise.
pub(super) fn parse_decimal(cell: &str, comma_is_decimal: bool) -> Option<Decimal> {
    let s = cell.trim();
    let (negative, s) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let s = s.strip_prefix('$').unwrap_or(s);
    let cleaned: String;
    let s = match (s.rfind(','), s.rfind('.')) {
        (Some(comma), Some(dot)) if comma > dot => {
            cleaned = s.replace('.', "").replace(',', ".");
            cleaned.as_str()
        }
        (Some(_), Some(_)) => {
            cleaned = s.replace(',', "");
            cleaned.as_str()
        }
        (Some(_), None) if comma_is_decimal && s.matches(',').count() == 1 => {
            cleaned = s.replace(',', ".");
            cleaned.as_str()
        }
        (Some(_), None) => {
            cleaned = s.replace(',', "");
            cleaned.as_str()
        }
        _ => s,
    };
    // Check the shape ourselves: `Decimal::from_str` also accepts `_` and other leniencies.
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let dots = mantissa.bytes().filter(|&b| b == b'.').count();
    if digits == 0 || dots > 1 || digits + dots != mantissa.len() {
        return None;
    }
    let value = match exponent {
        Some(e) => {
            let e = e.strip_prefix(['+', '-']).unwrap_or(e);
            if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            crate::num::decimal_exact(s)?
        }
        None => Decimal::from_str_exact(s).ok()?,
    };
    Some(if negative { -value } else { value })
}

/// Parses a timestamp cell into UTC milliseconds. Accepted, besides RFC 3339 and
/// `YYYY-MM-DD[ HH:MM[:SS[.fff]]]`:
/// - dates written `YYYY.MM.DD`, `YYYY/MM/DD`, `YYYYMMDD`, `DD.MM.YYYY`, `DD-MM-YYYY` and
///   `MM/DD/YYYY` or `DD/MM/YYYY` (per `slash`), each optionally followed by a time of day
///   (see [`parse_time_of_day`]) and an offset (`Z`, `+02:00`, `+0200`, `UTC`, `GMT+0200`);
/// - unix epoch numbers: seconds below 10¹¹, milliseconds below 10¹⁴, microseconds below 10¹⁷,
///   nanoseconds above (exchanges use all four); seconds may have a fraction.
///
/// Times without an offset are taken as UTC.
pub(super) fn parse_when(cell: &str, slash: SlashDates) -> Option<i64> {
    let s = cell.trim();
    if let Ok(ts) = parse_timestamp(s) {
        return Some(ts);
    }
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return parse_epoch(s);
    }
    if let Some(ts) = parse_epoch_with_fraction(s) {
        return Some(ts);
    }
    let (date, rest) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let day = parse_date(date, slash)?;
    let (time, offset) = split_offset(rest)?;
    let ms = if time.is_empty() { 0 } else { parse_time_of_day(time)? };
    Some(day * MS_PER_DAY + ms - offset)
}

/// Whole numbers: an 8-digit `YYYYMMDD` date when it is one, else an epoch count.
fn parse_epoch(s: &str) -> Option<i64> {
    if s.len() == 8
        && let Some(day) = parse_date(s, SlashDates::MonthFirst)
    {
        return Some(day * MS_PER_DAY);
    }
    let n: i64 = s.parse().ok()?;
    let magnitude = n.unsigned_abs();
    Some(if magnitude < 100_000_000_000 {
        n * 1000
    } else if magnitude < 100_000_000_000_000 {
        n
    } else if magnitude < 100_000_000_000_000_000 {
        n / 1000
    } else {
        n / 1_000_000
    })
}

/// Epoch seconds with a fraction, e.g. `1704067200.5` (Python's `time.time()`).
fn parse_epoch_with_fraction(s: &str) -> Option<i64> {
    let (whole, fraction) = s.split_once('.')?;
    // Nine to eleven digits: 1973 to 5138; shorter numbers are more likely a broken date.
    if !(9..=11).contains(&whole.len()) || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis: i64 = format!("{:0<3}", &fraction[..fraction.len().min(3)]).parse().ok()?;
    Some(whole.parse::<i64>().ok()? * 1000 + millis)
}

/// A calendar date as days since 1970-01-01.
pub(super) fn parse_date(s: &str, slash: SlashDates) -> Option<i64> {
    let number = |p: &str| -> Option<i64> {
        if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let (y, m, d) = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        (number(&s[..4])?, number(&s[4..6])?, number(&s[6..])?)
    } else {
        let sep = s.chars().find(|c| matches!(c, '-' | '.' | '/'))?;
        let mut parts = s.split(sep);
        let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        if a.len() == 4 {
            (number(a)?, number(b)?, number(c)?)
        } else if c.len() == 4 && (sep != '/' || slash == SlashDates::DayFirst) {
            (number(c)?, number(b)?, number(a)?)
        } else if c.len() == 4 {
            (number(c)?, number(a)?, number(b)?)
        } else {
            return None;
        }
    };
    let (m, d) = (u32::try_from(m).ok()?, u32::try_from(d).ok()?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// A time of day in milliseconds: `H:MM`, `HH:MM`, `HH:MM:SS`, `HH:MM:SS.fff` (more fraction
/// digits are cut at milliseconds), or the compact `HHMM` and `HHMMSS`.
pub(super) fn parse_time_of_day(s: &str) -> Option<i64> {
    let two = |p: &str| -> Option<i64> {
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let (clock, fraction) = match s.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (s, None),
    };
    let (h, m, sec) = if clock.contains(':') {
        let mut parts = clock.split(':');
        let (h, m) = (two(parts.next()?)?, two(parts.next()?)?);
        let sec = match parts.next() {
            Some(p) => two(p)?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        (h, m, sec)
    } else if clock.bytes().all(|b| b.is_ascii_digit()) {
        match clock.len() {
            4 => (two(&clock[..2])?, two(&clock[2..])?, 0),
            6 => (two(&clock[..2])?, two(&clock[2..4])?, two(&clock[4..])?),
            _ => return None,
        }
    } else {
        return None;
    };
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let millis = match fraction {
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{:0<3}", &f[..f.len().min(3)]).parse::<i64>().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    Some(h * 3_600_000 + m * 60_000 + sec * 1000 + millis)
}

/// Splits a trailing UTC offset off a time: returns the time and the offset in milliseconds
/// (local time minus UTC). Understands `Z`, `UTC`, `GMT`, `GMT+0200`, `+02:00`, `+0200`, `-05`.
fn split_offset(s: &str) -> Option<(&str, i64)> {
    let upper = s.to_ascii_uppercase();
    for suffix in ["Z", " UTC", "UTC", " GMT", "GMT"] {
        if upper.ends_with(suffix) {
            return Some((s[..s.len() - suffix.len()].trim_end(), 0));
        }
    }
    let Some(i) = s.rfind(['+', '-']) else {
        return Some((s, 0));
    };
    let (time, offset) = (&s[..i], &s[i + 1..]);
    let time = time.trim_end();
    let time = time.strip_suffix("GMT").or_else(|| time.strip_suffix("UTC")).unwrap_or(time).trim_end();
    let digits: String = offset.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = if digits.len() == 4 { digits[2..].parse().ok()? } else { 0 };
    if hours > 23 || minutes > 59 {
        return None;
    }
    let ms = (hours * 60 + minutes) * MS_PER_MINUTE;
    Some((time, if s.as_bytes()[i] == b'+' { ms } else { -ms }))
}

/// Whether the `A/B/YYYY` dates of a column put the day first: yes as soon as one has `A > 12`,
/// no (the US order) otherwise. Deciding per file keeps `03/04` from meaning two things.
pub(super) fn slash_dates_are_day_first<'a>(cells: impl Iterator<Item = &'a str>) -> SlashDates {
    for cell in cells {
        let mut parts = cell.trim().split('/');
        if let (Some(a), Some(_), Some(c)) = (parts.next(), parts.next(), parts.next())
            && a.len() <= 2
            && c.len() >= 4
            && u32::from_str(a).is_ok_and(|a| a > 12)
        {
            return SlashDates::DayFirst;
        }
    }
    SlashDates::MonthFirst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_rfc3339;

    fn when(s: &str) -> String {
        format_rfc3339(parse_when(s, SlashDates::MonthFirst).unwrap_or_else(|| panic!("{s}")))
    }

    #[test]
    fn reads_timestamps_in_many_spellings() {
        let cases = [
            ("2024-01-02", "2024-01-02T00:00:00Z"),
            ("2024-01-02 13:00", "2024-01-02T13:00:00Z"),
            ("2024-01-02T13:00:00-05:00", "2024-01-02T18:00:00Z"),
            ("2024.01.02", "2024-01-02T00:00:00Z"),
            ("2024.01.02 13:00", "2024-01-02T13:00:00Z"),
            ("2024/01/02 9:30", "2024-01-02T09:30:00Z"),
            ("20240102", "2024-01-02T00:00:00Z"),
            ("02.01.2024 13:00:00.250", "2024-01-02T13:00:00.250Z"),
            ("02.01.2024 13:00:00.000 GMT+0200", "2024-01-02T11:00:00Z"),
            ("01/02/2024", "2024-01-02T00:00:00Z"),
            ("2024-01-02 13:00:00 UTC", "2024-01-02T13:00:00Z"),
            ("2024-01-02 13:00:00+0100", "2024-01-02T12:00:00Z"),
            ("1704200400", "2024-01-02T13:00:00Z"),
            ("1704200400000", "2024-01-02T13:00:00Z"),
            ("1704200400000000", "2024-01-02T13:00:00Z"),
            ("1704200400000000000", "2024-01-02T13:00:00Z"),
            ("1704200400.5", "2024-01-02T13:00:00.500Z"),
        ];
        for (text, expected) in cases {
            assert_eq!(when(text), expected, "{text}");
        }
        assert_eq!(format_rfc3339(parse_when("03/04/2024", SlashDates::DayFirst).unwrap()), "2024-04-03T00:00:00Z");
        for bad in ["", "yesterday", "2024-02-30", "2024.13.01", "32.01.2024", "2024-01-02 25:00", "1/2"] {
            assert_eq!(parse_when(bad, SlashDates::MonthFirst), None, "{bad}");
        }
    }

    #[test]
    fn reads_decimals_exactly() {
        let d = |s: &str, comma: bool| parse_decimal(s, comma).map(|d| d.to_string());
        assert_eq!(d("185.64", false).unwrap(), "185.64");
        assert_eq!(d("$185.64", false).unwrap(), "185.64");
        assert_eq!(d("-0.5", false).unwrap(), "-0.5");
        assert_eq!(d("1.5e-3", false).unwrap(), "0.0015");
        assert_eq!(d("2E+2", false).unwrap(), "200");
        assert_eq!(d("1,234,567.5", false).unwrap(), "1234567.5");
        assert_eq!(d("1.234.567,5", true).unwrap(), "1234567.5");
        assert_eq!(d("185,64", true).unwrap(), "185.64");
        assert_eq!(d("0.1000000000000000055511151231", false).unwrap(), "0.1000000000000000055511151231");
        for bad in ["", "abc", "1_000", "1.2.3", "nan", "inf", "1e", "--1", "$", "1e5.5"] {
            assert_eq!(d(bad, false), None, "{bad}");
        }
    }

    #[test]
    fn decides_slash_order_per_column() {
        assert_eq!(slash_dates_are_day_first(["01/02/2024", "01/03/2024"].into_iter()), SlashDates::MonthFirst);
        assert_eq!(slash_dates_are_day_first(["01/02/2024", "13/02/2024"].into_iter()), SlashDates::DayFirst);
    }
}
