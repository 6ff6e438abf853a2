//! OHLCV bars from CSV text in the layouts people actually have; parsing only, no file I/O.
//!
//! Understood without configuration:
//! - delimiters `,`, `;` and tab, sniffed from the header line; a UTF-8 byte-order mark, quotes
//!   and blank lines are ignored;
//! - header names in any case, with `<>` (MetaTrader) or quotes around them: a timestamp column
//!   (`date`, `time`, `datetime`, `timestamp`, `ts`, `open_time`, `Gmt time`, ...), or separate
//!   `date` and `time` columns, or an unnamed first column (pandas `to_csv`); `open`/`o`,
//!   `high`/`h`, `low`/`l`, `close`/`c`/`Close/Last`; optional `volume`/`vol`/`v` (MetaTrader's
//!   `<TICKVOL>` stands in when the real volume is all zero); optional `symbol`/`ticker`; other
//!   columns such as `Adj Close` are ignored;
//! - yfinance's three-line header (`Price,Close,...` / `Ticker,AAPL,...` / `Date,,,`), one
//!   series per ticker;
//! - files without a header whose first cell is a time: `time,open,high,low,close[,volume,...]`
//!   or `date,time,open,...` (MetaTrader history, Binance klines);
//! - timestamps as RFC 3339, `2024-01-02 13:30`, `2024.01.02`, `20240102`,
//!   `02.01.2024 13:30:00.000` (Dukascopy), `01/02/2024` (month first unless a day above 12 in
//!   the file says otherwise), unix epoch seconds, milliseconds, microseconds or nanoseconds.
//!   Times without an offset are UTC;
//! - numbers parsed exactly as decimals, with `$`, digit grouping, scientific notation, decimal
//!   commas in `;`- and tab-separated files, and `K`/`M`/`B` suffixes on volumes.
//!
//! Rows may come in any order (newest first is common) and are sorted; two rows of one symbol at
//! the same time are an error, as is any bar that fails [`Bar::validate`]. Every error is
//! [`ErrorKind::CsvParse`] and names the line and the column.

mod layout;
mod values;

use std::borrow::Cow;
use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::bar::Bar;
use crate::error::{Error, ErrorKind, Result};
use crate::scenario::Series;
use crate::time::{MS_PER_DAY, format_rfc3339};
use layout::{
    Clock, Columns, Layout, headerless_layout, named_layout, normalize, require_symbol, sniff_delimiter, split,
    wide_layout,
};
use values::{SlashDates, parse_date, parse_decimal, parse_time_of_day, parse_when, slash_dates_are_day_first};

/// Parses the bars of one symbol. A symbol column is allowed if it names a single symbol.
pub fn parse_bars(text: &str) -> Result<Vec<Bar>> {
    let mut series = parse(text, Some(""), false)?;
    if series.len() > 1 {
        let second = &series[1];
        return Err(csv_error(format!(
            "line {}: a second symbol '{}' after '{}'; this reads one symbol, use parse_multi for several",
            second.first_line, second.symbol, series[0].symbol
        )));
    }
    Ok(series.pop().map(|s| s.bars).unwrap_or_default())
}

/// Parses bars of several symbols from a file with a symbol (or ticker) column, or a yfinance
/// multi-ticker file; series come in the order their symbols first appear.
pub fn parse_multi(text: &str) -> Result<Vec<Series>> {
    parse_multi_with(text, None)
}

/// Like [`parse_multi`], but without a symbol column every bar belongs to `default_symbol` (and
/// rows with an empty symbol cell do too).
pub fn parse_multi_with(text: &str, default_symbol: Option<&str>) -> Result<Vec<Series>> {
    let series = parse(text, default_symbol, default_symbol.is_none())?;
    Ok(series.into_iter().map(|s| Series { symbol: s.symbol, bars: s.bars }).collect())
}

/// Why a cell is no number: a number too long to be held exactly (`1e-30`, 29 decimals) is said
/// to be one, not called "not a number".
fn not_a_number(text: &str) -> String {
    let t = text.trim();
    let numeric =
        t.bytes().any(|b| b.is_ascii_digit()) && t.bytes().all(|b| b.is_ascii_digit() || b".,eE+-$ ".contains(&b));
    if numeric {
        format!("'{text}' has more digits than a decimal holds exactly (28 places, about 7.9e28); it is not rounded")
    } else {
        format!("'{text}' is not a number")
    }
}

fn csv_error(detail: String) -> Error {
    Error::new(ErrorKind::CsvParse, detail)
}

/// A series being collected, with the line of every bar for messages.
struct Collected {
    symbol: String,
    first_line: usize,
    bars: Vec<Bar>,
    lines: Vec<usize>,
    tick_volumes: Vec<Option<Decimal>>,
}

impl Collected {
    fn new(symbol: &str, first_line: usize) -> Self {
        Collected {
            symbol: symbol.to_string(),
            first_line,
            bars: Vec::new(),
            lines: Vec::new(),
            tick_volumes: Vec::new(),
        }
    }
}

fn parse(text: &str, default_symbol: Option<&str>, need_symbol: bool) -> Result<Vec<Collected>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Old Mac files end their lines with a bare `\r`.
    let lines_of_cr;
    let text = if text.contains('\r') && !text.contains('\n') {
        lines_of_cr = text.replace('\r', "\n");
        lines_of_cr.as_str()
    } else {
        text
    };
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| !l.trim().is_empty()).peekable();
    let Some((header_line, header)) = lines.next() else {
        return Err(csv_error("the CSV text is empty".to_string()));
    };
    let delimiter = sniff_delimiter(header);
    let header_cells = split(header, delimiter).map_err(|e| csv_error(format!("line {header_line}: {e}")))?;
    let mut pending_first_row = None;
    let layout = if normalize(&header_cells[0]) == "price"
        && let Some(&(ticker_line, ticker_text)) = lines.peek()
        && let Ok(tickers) = split(ticker_text, delimiter)
        && normalize(&tickers[0]) == "ticker"
    {
        lines.next();
        if let Some(&(_, next)) = lines.peek()
            && let Ok(cells) = split(next, delimiter)
            && matches!(normalize(&cells[0]).as_str(), "date" | "datetime")
            && cells[1..].iter().all(|c| c.is_empty())
        {
            lines.next();
        }
        wide_layout(&header_cells, &tickers, ticker_line)?
    } else if let Some(layout) = headerless_layout(&header_cells) {
        pending_first_row = Some((header_line, header));
        layout
    } else {
        named_layout(&header_cells, header_line)?
    };
    if need_symbol {
        require_symbol(&layout, header_line)?;
    }
    let rows: Vec<(usize, &str)> = pending_first_row.into_iter().chain(lines).collect();
    crate::limits::check_bars(rows.len()).map_err(|e| csv_error(e.detail))?;
    let slash = slash_order(&layout, &rows, delimiter);
    let reader = RowReader { layout: &layout, comma_is_decimal: delimiter != b',', slash, default_symbol };
    let mut series: Vec<Collected> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut last: Option<usize> = None;
    for (line, text) in rows {
        let cells = split(text, delimiter).map_err(|e| csv_error(format!("line {line}: {e}")))?;
        let ts = reader.time(&cells, line)?;
        for group in &layout.groups {
            let Some((symbol, bar, tick_volume)) = reader.bar(&cells, group, ts, line)? else {
                continue;
            };
            // Rows of one symbol usually come together: check the previous row's series first.
            let i = match last {
                Some(i) if series[i].symbol == symbol => i,
                _ => match index.get(symbol) {
                    Some(&i) => i,
                    None => {
                        index.insert(symbol.to_string(), series.len());
                        series.push(Collected::new(symbol, line));
                        series.len() - 1
                    }
                },
            };
            last = Some(i);
            let s = &mut series[i];
            s.bars.push(bar);
            s.lines.push(line);
            s.tick_volumes.push(tick_volume);
        }
    }
    if series.is_empty() {
        return Err(csv_error(format!("line {header_line}: the CSV has a header but no data rows")));
    }
    for s in &mut series {
        use_tick_volume_if_no_volume(s, &layout)?;
        sort_and_check(s, &layout)?;
    }
    Ok(series)
}

/// Looks at the date column once to decide how `A/B/YYYY` dates read.
fn slash_order(layout: &Layout, rows: &[(usize, &str)], delimiter: u8) -> SlashDates {
    let column = match layout.clock {
        Clock::One(c) | Clock::DateAndTime(c, _) => c,
    };
    let slashed = |text: &str| split(text, delimiter).ok().and_then(|c| c.get(column).map(|c| c.contains('/')));
    // Most files have no slash dates: one look at the first row saves a second pass.
    if rows.first().is_none_or(|(_, text)| slashed(text) != Some(true)) {
        return SlashDates::MonthFirst;
    }
    let cells: Vec<String> = rows
        .iter()
        .filter_map(|(_, text)| split(text, delimiter).ok()?.get(column).map(|c| c.to_string()))
        .filter(|c| c.contains('/'))
        .collect();
    slash_dates_are_day_first(cells.iter().map(String::as_str))
}

/// Reads cells of one data row according to the layout.
struct RowReader<'a> {
    layout: &'a Layout,
    comma_is_decimal: bool,
    slash: SlashDates,
    default_symbol: Option<&'a str>,
}

impl RowReader<'_> {
    fn cell<'c>(&self, cells: &'c [Cow<'_, str>], column: usize, line: usize) -> Result<&'c str> {
        match cells.get(column) {
            Some(c) if !c.is_empty() => Ok(c.as_ref()),
            Some(_) => Err(self.error(line, column, "missing value".to_string())),
            None => Err(self.error(line, column, format!("missing value (the row has {} fields)", cells.len()))),
        }
    }

    fn error(&self, line: usize, column: usize, what: String) -> Error {
        let name = self.layout.names.get(column).map_or_else(|| format!("column {}", column + 1), Clone::clone);
        csv_error(format!("line {line}, column '{name}': {what}"))
    }

    fn time(&self, cells: &[Cow<'_, str>], line: usize) -> Result<i64> {
        match self.layout.clock {
            Clock::One(c) => {
                let text = self.cell(cells, c, line)?;
                parse_when(text, self.slash).ok_or_else(|| {
                    self.error(
                        line,
                        c,
                        format!(
                            "'{text}' is not a date or time (expected e.g. 2024-01-02, 2024-01-02 13:30:00, \
                             2024.01.02, 02.01.2024 13:30:00.000 or unix seconds or milliseconds)"
                        ),
                    )
                })
            }
            Clock::DateAndTime(d, t) => {
                let date = self.cell(cells, d, line)?;
                let day = parse_date(date, self.slash)
                    .ok_or_else(|| self.error(line, d, format!("'{date}' is not a date (expected e.g. 2024.01.02)")))?;
                let time = self.cell(cells, t, line)?;
                let ms = parse_time_of_day(time).ok_or_else(|| {
                    self.error(line, t, format!("'{time}' is not a time of day (expected HH:MM[:SS])"))
                })?;
                Ok(day * MS_PER_DAY + ms)
            }
        }
    }

    fn number(&self, cells: &[Cow<'_, str>], column: usize, line: usize) -> Result<Decimal> {
        let text = self.cell(cells, column, line)?;
        parse_decimal(text, self.comma_is_decimal).ok_or_else(|| self.error(line, column, not_a_number(text)))
    }

    /// A volume cell: empty means 0; `K`, `M` and `B` suffixes multiply (Investing.com).
    fn volume(&self, cells: &[Cow<'_, str>], column: usize, line: usize) -> Result<Decimal> {
        let text = cells.get(column).map_or("", |c| c.as_ref());
        if text.is_empty() || text == "-" {
            return Ok(Decimal::ZERO);
        }
        let (digits, factor) = match text.as_bytes()[text.len() - 1].to_ascii_uppercase() {
            b'K' => (&text[..text.len() - 1], 1_000),
            b'M' => (&text[..text.len() - 1], 1_000_000),
            b'B' => (&text[..text.len() - 1], 1_000_000_000),
            _ => (text, 1),
        };
        parse_decimal(digits, self.comma_is_decimal)
            .and_then(|v| v.checked_mul(Decimal::from(factor)))
            .ok_or_else(|| self.error(line, column, not_a_number(text)))
    }

    /// The bar of `group` on this row, its symbol and its tick volume; `None` for a wide file's
    /// symbol that has no prices on this date.
    fn bar<'s>(
        &'s self,
        cells: &'s [Cow<'_, str>],
        group: &'s Columns,
        ts: i64,
        line: usize,
    ) -> Result<Option<(&'s str, Bar, Option<Decimal>)>> {
        let prices = [group.open, group.high, group.low, group.close];
        if self.layout.skip_empty && prices.iter().all(|&c| cells.get(c).is_none_or(|c| c.is_empty())) {
            return Ok(None);
        }
        let symbol = match (&group.symbol, self.layout.symbol) {
            (Some(s), _) => s.as_str(),
            (None, Some(c)) => match (cells.get(c).map(|c| c.as_ref()), self.default_symbol) {
                (Some(s), _) if !s.is_empty() => s,
                (_, Some(d)) => d,
                _ => return Err(self.error(line, c, "missing symbol".to_string())),
            },
            (None, None) => self.default_symbol.unwrap_or_default(),
        };
        let bar = Bar {
            ts,
            open: self.number(cells, group.open, line)?,
            high: self.number(cells, group.high, line)?,
            low: self.number(cells, group.low, line)?,
            close: self.number(cells, group.close, line)?,
            volume: match group.volume {
                Some(c) => self.volume(cells, c, line)?,
                None => Decimal::ZERO,
            },
        };
        bar.validate(symbol).map_err(|e| csv_error(format!("line {line}: {}", e.detail.trim_start())))?;
        // Parse problems in a spare column only matter if it is used (see `use_tick_volume_if_no_volume`).
        let tick_volume = group.tick_volume.and_then(|c| self.volume(cells, c, line).ok());
        Ok(Some((symbol, bar, tick_volume)))
    }
}

/// MetaTrader 5 exports forex with `<VOL>` all zero and the activity in `<TICKVOL>`.
fn use_tick_volume_if_no_volume(s: &mut Collected, layout: &Layout) -> Result<()> {
    let group = &layout.groups[0];
    let Some(column) = group.tick_volume else { return Ok(()) };
    if group.volume.is_some() && s.bars.iter().any(|b| !b.volume.is_zero()) {
        return Ok(());
    }
    for ((bar, tick), line) in s.bars.iter_mut().zip(&s.tick_volumes).zip(&s.lines) {
        bar.volume = tick
            .filter(|v| !v.is_sign_negative())
            .ok_or_else(|| csv_error(format!("line {line}, column '{}': not a volume", layout.names[column])))?;
    }
    Ok(())
}

/// Sorts a series by time (files often list the newest first) and refuses repeated times.
fn sort_and_check(s: &mut Collected, layout: &Layout) -> Result<()> {
    if !s.bars.windows(2).all(|w| w[0].ts < w[1].ts) {
        let mut order: Vec<usize> = (0..s.bars.len()).collect();
        // Stable, so of two rows with one time the earlier line comes first in the message.
        order.sort_by_key(|&i| s.bars[i].ts);
        s.bars = order.iter().map(|&i| s.bars[i]).collect();
        s.lines = order.iter().map(|&i| s.lines[i]).collect();
    }
    if let Some(i) = s.bars.windows(2).position(|w| w[0].ts == w[1].ts) {
        let column = match layout.clock {
            Clock::One(c) | Clock::DateAndTime(c, _) => c,
        };
        let of = if s.symbol.is_empty() { String::new() } else { format!(" of {}", s.symbol) };
        return Err(csv_error(format!(
            "line {}, column '{}': a second bar{of} at {} (the first is on line {})",
            s.lines[i + 1],
            layout.names[column],
            format_rfc3339(s.bars[i].ts),
            s.lines[i]
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
