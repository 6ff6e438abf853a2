//! Timestamps: integer UTC milliseconds inside the engine, RFC 3339 at the edges.

use crate::error::{Error, ErrorKind, Result};

/// Milliseconds in one day.
pub const MS_PER_DAY: i64 = 86_400_000;
/// Milliseconds in one minute.
pub const MS_PER_MINUTE: i64 = 60_000;

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Day of the week, 0 = Monday ... 6 = Sunday.
pub fn weekday(days: i64) -> u32 {
    (days + 3).rem_euclid(7) as u32
}

/// Renders `ts` (UTC ms) as RFC 3339, e.g. `2024-04-01T13:30:00Z`; milliseconds only when non-zero.
pub fn format_rfc3339(ts: i64) -> String {
    let days = ts.div_euclid(MS_PER_DAY);
    let ms_of_day = ts.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss, ms) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
    if ms == 0 {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{ms:03}Z")
    }
}

/// Parses RFC 3339 (`2024-04-01T13:30:00Z`, offsets, fractions), `2024-04-01 13:30:00`
/// (taken as UTC) or a bare date `2024-04-01` (midnight UTC) into UTC milliseconds.
pub fn parse_timestamp(text: &str) -> Result<i64> {
    let s = text.trim();
    let bad =
        || Error::new(ErrorKind::InvalidTimestamp, format!("'{text}' is not an RFC 3339 timestamp or YYYY-MM-DD date"));
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Result<i64> {
        let part = s.get(from..from + len).ok_or_else(bad)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse::<i64>().map_err(|_| bad())
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)? as u32, num(8, 2)? as u32);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(bad());
    }
    let mut ms = days_from_civil(year, month, day) * MS_PER_DAY;
    if b.len() == 10 {
        return Ok(ms);
    }
    if !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') || b.len() < 16 || b[13] != b':' {
        return Err(bad());
    }
    let (hh, mi) = (num(11, 2)?, num(14, 2)?);
    let mut i = 16;
    let mut ss = 0;
    if b.len() > 16 && b[16] == b':' {
        ss = num(17, 2)?;
        i = 19;
    }
    if hh > 23 || mi > 59 || ss > 60 {
        return Err(bad());
    }
    ms += hh * 3_600_000 + mi * 60_000 + ss * 1000;
    if i < b.len() && b[i] == b'.' {
        let start = i + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        if end == start {
            return Err(bad());
        }
        let frac = &s[start..end.min(start + 3)];
        let scale = [100, 10, 1][frac.len() - 1];
        ms += frac.parse::<i64>().map_err(|_| bad())? * scale;
        i = end;
    }
    let rest = &s[i..];
    match rest {
        "" | "Z" | "z" => Ok(ms),
        // Bytes, not `&rest[3..4]`: a multi-byte character there is no char boundary.
        _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) && rest.as_bytes()[3] == b':' => {
            let oh = num(i + 1, 2)?;
            let om = num(i + 4, 2)?;
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let offset = (oh * 60 + om) * MS_PER_MINUTE;
            Ok(if rest.starts_with('+') { ms - offset } else { ms + offset })
        }
        _ => Err(bad()),
    }
}

/// The session (day number) of `ts` with sessions shifted `offset_minutes` from UTC midnight.
pub fn session_of(ts: i64, offset_minutes: i32) -> i64 {
    (ts + i64::from(offset_minutes) * MS_PER_MINUTE).div_euclid(MS_PER_DAY)
}

/// True when `ts` falls in `session` ([`session_of`] without its division: a per-bar check).
pub(crate) fn in_session(ts: i64, session: i64, offset_minutes: i32) -> bool {
    let start = session * MS_PER_DAY - i64::from(offset_minutes) * MS_PER_MINUTE;
    ts >= start && ts - start < MS_PER_DAY
}

/// Days in a month of the proleptic Gregorian calendar.
pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc3339() {
        let ts = parse_timestamp("2024-04-01T13:30:00Z").unwrap();
        assert_eq!(ts, 1_711_978_200_000);
        assert_eq!(format_rfc3339(ts), "2024-04-01T13:30:00Z");
        assert_eq!(parse_timestamp("2024-04-01T15:30:00+02:00").unwrap(), ts);
        assert_eq!(parse_timestamp("2024-04-01 13:30:00.250").unwrap(), ts + 250);
        assert_eq!(format_rfc3339(ts + 250), "2024-04-01T13:30:00.250Z");
        assert_eq!(parse_timestamp("1969-12-31").unwrap(), -MS_PER_DAY);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "2024-13-01",
            "2024-02-30",
            "2024-04-01T25:00:00Z",
            "yesterday",
            "2024-04-01Tx",
            "2024-01-01T00:00:00+99:99",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00-05:60",
            "0046-01-02T00:00:00+\u{fffd}00", // found by the csv fuzz target: it panicked slicing
            "2024-01-01T00:00:00+é:00",
        ] {
            assert_eq!(parse_timestamp(bad).unwrap_err().kind, ErrorKind::InvalidTimestamp, "{bad}");
        }
    }

    #[test]
    fn weekday_of_known_dates() {
        assert_eq!(weekday(days_from_civil(2024, 4, 1)), 0); // a Monday
        assert_eq!(weekday(0), 3); // 1970-01-01 was a Thursday
    }
}
