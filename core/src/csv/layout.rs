//! Reading a CSV header: delimiter, cell splitting, and which column holds what.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::csv_error;
use super::values::{SlashDates, parse_time_of_day, parse_when};
use crate::error::Result;

/// Accepted header names per role, lower case with `_` and `-` read as spaces.
const TIMESTAMP_NAMES: &[&str] = &[
    "timestamp",
    "datetime",
    "date time",
    "ts",
    "open time",
    "opentime",
    "gmt time",
    "local time",
    "utc time",
    "time utc",
    "time (utc)",
    "unix",
    "epoch",
    "t",
];
const DATE_NAMES: &[&str] = &["date", "day", "trade date", "trading date"];
const TIME_NAMES: &[&str] = &["time"];
const OPEN_NAMES: &[&str] = &["open", "o", "open price", "opening price"];
const HIGH_NAMES: &[&str] = &["high", "h", "high price"];
const LOW_NAMES: &[&str] = &["low", "l", "low price"];
const CLOSE_NAMES: &[&str] = &["close", "c", "close price", "closing price", "close/last", "last", "last price"];
const VOLUME_NAMES: &[&str] = &["volume", "vol", "v", "vol.", "base volume", "real volume"];
const TICK_VOLUME_NAMES: &[&str] = &["tickvol", "tick volume", "tick vol", "tickvolume"];
const SYMBOL_NAMES: &[&str] = &["symbol", "ticker", "sym", "instrument", "pair", "asset"];

/// Where a row's time comes from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Clock {
    /// One cell holding date and time (or just a date).
    One(usize),
    /// A date cell and a time-of-day cell.
    DateAndTime(usize, usize),
}

/// The price and volume columns of one symbol.
#[derive(Debug, Clone)]
pub(super) struct Columns {
    /// Symbol of these columns (wide yfinance files); `None` = from the symbol column or default.
    pub(super) symbol: Option<String>,
    /// Column of the open price.
    pub(super) open: usize,
    /// Column of the high price.
    pub(super) high: usize,
    /// Column of the low price.
    pub(super) low: usize,
    /// Column of the close price.
    pub(super) close: usize,
    /// Column of the volume; none means volume 0.
    pub(super) volume: Option<usize>,
    /// Tick volume, used when every real volume is zero (MetaTrader forex exports).
    pub(super) tick_volume: Option<usize>,
}

/// How to read the data rows.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    /// Column names as written (for messages).
    pub(super) names: Vec<String>,
    /// Where the time is.
    pub(super) clock: Clock,
    /// One group per symbol in wide files, a single group otherwise.
    pub(super) groups: Vec<Columns>,
    /// Column of the symbol in long files.
    pub(super) symbol: Option<usize>,
    /// Wide files leave a symbol's cells empty on dates it did not trade.
    pub(super) skip_empty: bool,
}

/// The delimiter that occurs most often in the header (outside quotes); `,` if none does.
pub(super) fn sniff_delimiter(header: &str) -> u8 {
    let mut counts = [(b'\t', 0), (b';', 0), (b',', 0)];
    let mut quoted = false;
    for b in header.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(c) = counts.iter_mut().find(|(d, _)| *d == b) {
            c.1 += 1;
        }
    }
    counts.iter().max_by_key(|(_, n)| *n).filter(|(_, n)| *n > 0).map_or(b',', |(d, _)| *d)
}

/// Splits a line into trimmed cells, unquoting `"..."` cells (`""` inside is a quote).
pub(super) fn split(line: &str, delimiter: u8) -> std::result::Result<Vec<Cow<'_, str>>, String> {
    let delimiter = char::from(delimiter);
    if !line.contains('"') {
        return Ok(line.split(delimiter).map(|c| Cow::Borrowed(c.trim())).collect());
    }
    let mut cells = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ').is_some() {}
        let mut cell = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') if chars.next_if_eq(&'"').is_some() => cell.push('"'),
                    Some('"') => break,
                    Some(c) => cell.push(c),
                    None => return Err("a quoted cell is not closed".to_string()),
                }
            }
            while chars.next_if(|c| *c != delimiter).is_some() {}
        } else {
            while let Some(c) = chars.next_if(|c| *c != delimiter) {
                cell.push(c);
            }
        }
        cells.push(Cow::Owned(cell.trim().to_string()));
        if chars.next().is_none() {
            return Ok(cells);
        }
    }
}

/// A header name as compared: trimmed, without `<>`, lower case, `_` and `-` as spaces.
pub(super) fn normalize(name: &str) -> String {
    display(name).to_ascii_lowercase().replace(['_', '-'], " ")
}

/// A header name as shown in messages: trimmed, without MetaTrader's `<>`.
pub(super) fn display(name: &str) -> String {
    let t = name.trim();
    t.strip_prefix('<').and_then(|t| t.strip_suffix('>')).unwrap_or(t).trim().to_string()
}

pub(super) fn find(normalized: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| normalized.iter().position(|h| h == n))
}

/// A header that names its columns: each role takes the first column with an accepted name.
pub(super) fn named_layout(header: &[Cow<'_, str>], line: usize) -> Result<Layout> {
    let normalized: Vec<String> = header.iter().map(|h| normalize(h)).collect();
    let names: Vec<String> = header.iter().map(|h| display(h)).collect();
    let found = || names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
    let missing = |role: &str, names: &[&str]| {
        csv_error(format!(
            "line {line}: no {role} column (looked for {}); found columns: {}",
            names.join(", "),
            found()
        ))
    };
    let unnamed = normalized.first().filter(|h| h.is_empty() || h.starts_with("unnamed") || *h == "index").map(|_| 0);
    let clock = match (find(&normalized, TIMESTAMP_NAMES), find(&normalized, DATE_NAMES), find(&normalized, TIME_NAMES))
    {
        (Some(ts), _, _) => Clock::One(ts),
        (None, Some(date), Some(time)) => Clock::DateAndTime(date, time),
        (None, Some(date), None) => Clock::One(date),
        (None, None, Some(time)) => Clock::One(time),
        (None, None, None) => {
            Clock::One(unnamed.ok_or_else(|| missing("timestamp", &["date", "time", "datetime", "timestamp", "ts"]))?)
        }
    };
    let symbol = find(&normalized, SYMBOL_NAMES);
    let columns = Columns {
        symbol: None,
        open: find(&normalized, OPEN_NAMES).ok_or_else(|| missing("open", OPEN_NAMES))?,
        high: find(&normalized, HIGH_NAMES).ok_or_else(|| missing("high", HIGH_NAMES))?,
        low: find(&normalized, LOW_NAMES).ok_or_else(|| missing("low", LOW_NAMES))?,
        close: find(&normalized, CLOSE_NAMES).ok_or_else(|| missing("close", CLOSE_NAMES))?,
        volume: find(&normalized, VOLUME_NAMES),
        tick_volume: find(&normalized, TICK_VOLUME_NAMES),
    };
    Ok(Layout { names, clock, groups: vec![columns], symbol, skip_empty: false })
}

/// Refuses a layout that gives no symbol when the caller has no default symbol either.
pub(super) fn require_symbol(layout: &Layout, line: usize) -> Result<()> {
    if layout.symbol.is_some() || layout.groups.iter().all(|g| g.symbol.is_some()) {
        return Ok(());
    }
    let found = layout.names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
    Err(csv_error(format!(
        "line {line}: no symbol column (looked for {}); found columns: {found}; pass a default symbol to read \
         a file of one symbol",
        SYMBOL_NAMES.join(", ")
    )))
}

/// yfinance's `download(...).to_csv()`: a row of fields, a row of tickers, then dates.
pub(super) fn wide_layout(fields: &[Cow<'_, str>], tickers: &[Cow<'_, str>], line: usize) -> Result<Layout> {
    let mut order: Vec<String> = Vec::new();
    let mut by_ticker: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (i, (field, ticker)) in fields.iter().zip(tickers).enumerate().skip(1) {
        if ticker.is_empty() {
            continue;
        }
        if !by_ticker.contains_key(ticker.as_ref()) {
            order.push(ticker.to_string());
        }
        by_ticker.entry(ticker.to_string()).or_default().entry(normalize(field)).or_insert(i);
    }
    let mut groups = Vec::new();
    for ticker in order {
        let cols = &by_ticker[&ticker];
        let get = |role: &str, names: &[&str]| {
            names.iter().find_map(|n| cols.get(*n).copied()).ok_or_else(|| {
                csv_error(format!("line {line}: no {role} column for ticker '{ticker}' in the yfinance header"))
            })
        };
        groups.push(Columns {
            open: get("open", OPEN_NAMES)?,
            high: get("high", HIGH_NAMES)?,
            low: get("low", LOW_NAMES)?,
            close: get("close", CLOSE_NAMES)?,
            volume: get("volume", VOLUME_NAMES).ok(),
            tick_volume: None,
            symbol: Some(ticker),
        });
    }
    if groups.is_empty() {
        return Err(csv_error(format!("line {line}: the yfinance ticker row names no ticker")));
    }
    let names = fields
        .iter()
        .zip(tickers.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|(f, t)| match t {
            Some(t) if !t.is_empty() => format!("{} {}", display(f), t),
            _ => display(f),
        })
        .collect();
    Ok(Layout { names, clock: Clock::One(0), groups, symbol: None, skip_empty: true })
}

/// A file without a header: the first line's first cell is already a time.
pub(super) fn headerless_layout(first: &[Cow<'_, str>]) -> Option<Layout> {
    let normalized: Vec<String> = first.iter().map(|h| normalize(h)).collect();
    let known = [TIMESTAMP_NAMES, DATE_NAMES, TIME_NAMES, OPEN_NAMES, HIGH_NAMES, LOW_NAMES, CLOSE_NAMES];
    if known.iter().any(|names| find(&normalized, names).is_some())
        || parse_when(&first[0], SlashDates::MonthFirst)
            .or_else(|| parse_when(&first[0], SlashDates::DayFirst))
            .is_none()
    {
        return None;
    }
    let with_time = first.len() > 1 && first[1].contains(':') && parse_time_of_day(&first[1]).is_some();
    let (clock, roles): (Clock, &[&str]) = if with_time {
        (Clock::DateAndTime(0, 1), &["date", "time", "open", "high", "low", "close", "volume"])
    } else {
        (Clock::One(0), &["time", "open", "high", "low", "close", "volume"])
    };
    let at = |role: &str| roles.iter().position(|r| *r == role).expect("known role");
    if first.len() < at("close") + 1 {
        return None;
    }
    let volume = (first.len() > at("volume")).then(|| at("volume"));
    let names = (0..first.len()).map(|i| roles.get(i).map_or_else(|| format!("column {}", i + 1), |r| r.to_string()));
    Some(Layout {
        names: names.collect(),
        clock,
        groups: vec![Columns {
            symbol: None,
            open: at("open"),
            high: at("high"),
            low: at("low"),
            close: at("close"),
            volume,
            tick_volume: None,
        }],
        symbol: None,
        skip_empty: false,
    })
}
