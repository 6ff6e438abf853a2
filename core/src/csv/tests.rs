//! Tests of CSV parsing: one test per layout found in the wild, then the error cases.

use super::*;
use rust_decimal_macros::dec;

fn ts(text: &str) -> i64 {
    crate::time::parse_timestamp(text).unwrap()
}

fn bar(at: &str, o: Decimal, h: Decimal, l: Decimal, c: Decimal, v: Decimal) -> Bar {
    Bar { ts: ts(at), open: o, high: h, low: l, close: c, volume: v }
}

fn csv_err(result: Result<impl std::fmt::Debug>) -> String {
    let e = result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::CsvParse, "{}", e.detail);
    e.detail
}

#[test]
fn yahoo_with_adj_close() {
    let text = "Date,Open,High,Low,Close,Adj Close,Volume\n\
                2024-01-02,187.150002,188.440002,183.889999,185.639999,184.938217,82488700\n\
                2024-01-03,184.220001,185.880005,183.429993,184.250000,183.553467,58414500\n";
    let bars = parse_bars(text).unwrap();
    assert_eq!(
        bars[0],
        bar("2024-01-02", dec!(187.150002), dec!(188.440002), dec!(183.889999), dec!(185.639999), dec!(82488700))
    );
    assert_eq!(bars[1].close, dec!(184.250000));
    assert_eq!(bars[1].close.scale(), 6, "numbers keep the digits they were written with");
}

#[test]
fn pandas_unnamed_index() {
    // backtesting.py's GOOG.csv, written by `DataFrame.to_csv`.
    let text = ",Open,High,Low,Close,Volume\n2004-08-19,100.0,104.06,95.96,100.34,22351900\n\
                2004-08-20,101.01,109.08,100.5,108.31,11428600\n";
    let bars = parse_bars(text).unwrap();
    assert_eq!(bars.len(), 2);
    assert_eq!(bars[0], bar("2004-08-19", dec!(100.0), dec!(104.06), dec!(95.96), dec!(100.34), dec!(22351900)));
}

#[test]
fn metatrader_date_and_time_columns() {
    let text = "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n\
                2024.01.02\t13:00:00\t1.10350\t1.10420\t1.10280\t1.10390\t2154\t0\t0\n\
                2024.01.02\t14:00\t1.10390\t1.10500\t1.10300\t1.10310\t3012\t0\t0\n";
    let bars = parse_bars(text).unwrap();
    assert_eq!(bars[0].ts, ts("2024-01-02T13:00:00Z"));
    assert_eq!(bars[1].ts, ts("2024-01-02T14:00:00Z"));
    assert_eq!(bars[0].open, dec!(1.10350));
    // <VOL> is all zero in forex exports, so the tick volume stands in.
    assert_eq!(bars[0].volume, dec!(2154));
    // Comma-separated MetaTrader 4 export without volume columns.
    let mt4 = "<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>\n2024.01.02,09:30,10,11,9,10.5\n";
    assert_eq!(parse_bars(mt4).unwrap()[0].volume, Decimal::ZERO);
}

#[test]
fn semicolon_with_decimal_commas() {
    let text = "date;open;high;low;close;volume\n02.01.2024;100,5;101,25;99,75;100;1.234,5\n";
    let bars = parse_bars(text).unwrap();
    assert_eq!(bars[0], bar("2024-01-02", dec!(100.5), dec!(101.25), dec!(99.75), dec!(100), dec!(1234.5)));
}

#[test]
fn tab_separated() {
    let text = "timestamp\to\th\tl\tc\tv\n2024-01-02T13:30:00Z\t10\t11\t9\t10.5\t0.25\n";
    assert_eq!(
        parse_bars(text).unwrap()[0],
        bar("2024-01-02T13:30:00Z", dec!(10), dec!(11), dec!(9), dec!(10.5), dec!(0.25))
    );
}

#[test]
fn epoch_seconds_and_milliseconds() {
    let seconds = "time,open,high,low,close,Volume\n1704200400,10,11,9,10,5\n";
    let millis = "open_time,open,high,low,close,volume\n1704200400000,10,11,9,10,5\n";
    assert_eq!(parse_bars(seconds).unwrap()[0].ts, ts("2024-01-02T13:00:00Z"));
    assert_eq!(parse_bars(millis).unwrap()[0].ts, ts("2024-01-02T13:00:00Z"));
}

#[test]
fn headerless_binance_klines() {
    let text = "1704067200000,42283.58,42554.57,42261.02,42475.23,1271.68108,1704070799999,53957248.97,47134,\
                682.57581,28957416.82,0\n";
    let bars = parse_bars(text).unwrap();
    assert_eq!(
        bars[0],
        bar("2024-01-01", dec!(42283.58), dec!(42554.57), dec!(42261.02), dec!(42475.23), dec!(1271.68108))
    );
    let mt = "2024.01.02,13:00,1.1,1.2,1.0,1.1,17\n";
    assert_eq!(parse_bars(mt).unwrap()[0].ts, ts("2024-01-02T13:00:00Z"));
    assert_eq!(parse_multi_with(mt, Some("EURUSD")).unwrap()[0].symbol, "EURUSD");
    assert!(csv_err(parse_multi(mt)).starts_with("line 1: no symbol column"));
}

#[test]
fn dukascopy_gmt_time() {
    let text = "\u{feff}Gmt time,Open,High,Low,Close,Volume\n02.01.2024 13:00:00.000,1.1,1.2,1.0,1.1,1234.56\n";
    assert_eq!(parse_bars(text).unwrap()[0].ts, ts("2024-01-02T13:00:00Z"));
}

#[test]
fn nasdaq_newest_first_with_dollars() {
    let text = "Date,Close/Last,Volume,Open,High,Low\n\
                01/03/2024,$184.25,58414460,$184.22,$185.88,$183.43\n\
                01/02/2024,$185.64,82488670,$187.15,$188.44,$183.885\n";
    let bars = parse_bars(text).unwrap();
    assert_eq!(bars[0].ts, ts("2024-01-02"));
    assert_eq!(bars[0].low, dec!(183.885));
    assert_eq!(bars[1].close, dec!(184.25));
}

#[test]
fn quoted_cells_and_blank_lines() {
    let text = "\"Date\",\"Open\",\"High\",\"Low\",\"Close\",\"Volume\"\r\n\r\n\
                \"2024-01-02\",\"1,000.5\",\"1,010\",\"990\",\"1,005\",\"12,345\"\r\n\n";
    assert_eq!(
        parse_bars(text).unwrap()[0],
        bar("2024-01-02", dec!(1000.5), dec!(1010), dec!(990), dec!(1005), dec!(12345))
    );
}

#[test]
fn multi_symbol_long_format() {
    let text = "ticker,date,open,high,low,close,volume\n\
                MSFT,2024-01-02,10,11,9,10,1\n\
                AAPL,2024-01-02,20,21,19,20,1\n\
                MSFT,2024-01-03,10,11,9,10,1\n\
                AAPL,2024-01-03,20,21,19,20,1\n";
    let series = parse_multi(text).unwrap();
    assert_eq!(series.iter().map(|s| s.symbol.as_str()).collect::<Vec<_>>(), ["MSFT", "AAPL"]);
    assert!(series.iter().all(|s| s.bars.len() == 2));
    let e = csv_err(parse_bars(text));
    assert!(e.contains("line 3: a second symbol 'AAPL' after 'MSFT'"), "{e}");
}

#[test]
fn yfinance_multi_ticker_header() {
    let text = "Price,Close,Close,High,High,Low,Low,Open,Open,Volume,Volume\n\
                Ticker,AAPL,MSFT,AAPL,MSFT,AAPL,MSFT,AAPL,MSFT,AAPL,MSFT\n\
                Date,,,,,,,,,,\n\
                2024-01-02,185.6,370.6,188.4,375.9,183.9,366.5,187.1,373.8,82488700,25258600\n\
                2024-01-03,184.2,,185.8,,183.4,,184.2,,58414500,\n";
    let series = parse_multi(text).unwrap();
    assert_eq!(series[0].symbol, "AAPL");
    assert_eq!(series[0].bars.len(), 2);
    assert_eq!(series[1].bars, [bar("2024-01-02", dec!(373.8), dec!(375.9), dec!(366.5), dec!(370.6), dec!(25258600))]);
}

#[test]
fn default_symbol_when_there_is_no_symbol_column() {
    let text = "date,open,high,low,close\n2024-01-02,10,11,9,10\n";
    let series = parse_multi_with(text, Some("SPY")).unwrap();
    assert_eq!(series[0].symbol, "SPY");
    assert_eq!(series[0].bars[0].volume, Decimal::ZERO, "no volume column means volume 0");
    let e = csv_err(parse_multi(text));
    assert!(e.starts_with("line 1: no symbol column (looked for symbol, ticker"), "{e}");
}

#[test]
fn descending_rows_are_sorted() {
    let text = "date,open,high,low,close\n2024-01-04,3,3,3,3\n2024-01-03,2,2,2,2\n2024-01-02,1,1,1,1\n";
    let bars = parse_bars(text).unwrap();
    assert_eq!(bars.iter().map(|b| b.close).collect::<Vec<_>>(), [dec!(1), dec!(2), dec!(3)]);
}

#[test]
fn bad_number_names_line_and_column() {
    let text = "date,open,high,low,close\n\n2024-01-02,1,1,1,1\n2024-01-03,1,1,1,1\n2024-01-04,1,1,1,1\n\
                2024-01-05,1,1,1,1\n2024-01-06,1,1,1,abc\n";
    assert_eq!(csv_err(parse_bars(text)), "line 7, column 'close': 'abc' is not a number");
    let short = "date,open,high,low,close\n2024-01-02,1,1\n";
    assert_eq!(csv_err(parse_bars(short)), "line 2, column 'low': missing value (the row has 3 fields)");
    let when = "Date,Open,High,Low,Close\nyesterday,1,1,1,1\n";
    assert!(csv_err(parse_bars(when)).starts_with("line 2, column 'Date': 'yesterday' is not a date or time"));
}

#[test]
fn missing_column_lists_what_was_found() {
    let text = "Date,Open,High,Low,Adj Close,Volume\n2024-01-02,1,1,1,1,1\n";
    assert_eq!(
        csv_err(parse_bars(text)),
        "line 1: no close column (looked for close, c, close price, closing price, close/last, last, last price); \
         found columns: 'Date', 'Open', 'High', 'Low', 'Adj Close', 'Volume'"
    );
    let no_time = "Open,High,Low,Close\n1,1,1,1\n";
    assert!(csv_err(parse_bars(no_time)).starts_with("line 1: no timestamp column"));
}

#[test]
fn duplicate_timestamps_are_refused() {
    let text = "symbol,date,open,high,low,close\nAAPL,2024-01-03,1,1,1,1\nAAPL,2024-01-02,1,1,1,1\n\
                MSFT,2024-01-02,1,1,1,1\nAAPL,2024-01-03,2,2,2,2\n";
    assert_eq!(
        csv_err(parse_multi(text)),
        "line 5, column 'date': a second bar of AAPL at 2024-01-03T00:00:00Z (the first is on line 2)"
    );
}

#[test]
fn invalid_bars_name_their_line() {
    let text = "date,open,high,low,close\n2024-01-02,10,9,11,10\n";
    assert_eq!(
        csv_err(parse_bars(text)),
        "line 2: bar at 2024-01-02T00:00:00Z: need low <= open, close <= high, got open 10 high 9 low 11 close 10"
    );
    let negative = "symbol,date,open,high,low,close,volume\nX,2024-01-02,1,1,1,1,-5\n";
    assert!(csv_err(parse_multi(negative)).starts_with("line 2: X bar at 2024-01-02T00:00:00Z: volume must be >= 0"));
}

#[test]
fn empty_inputs() {
    assert_eq!(csv_err(parse_bars("")), "the CSV text is empty");
    assert_eq!(csv_err(parse_bars("date,open,high,low,close\n")), "line 1: the CSV has a header but no data rows");
    assert!(csv_err(parse_bars("date,open,high,low,close\n\"2024-01-02,1,1,1,1\n")).contains("not closed"));
}

#[test]
fn lines_ended_by_a_bare_carriage_return() {
    // Issue 10, finding 15: a CR-only file was one line (and Python took it for a path).
    let text = "date,open,high,low,close\r2024-01-02,1,2,0.5,1.5\r2024-01-03,1.5,1.5,1.5,1.5\r";
    let bars = parse_bars(text).unwrap();
    assert_eq!(bars.len(), 2);
    assert_eq!(bars[1], bar("2024-01-03", dec!(1.5), dec!(1.5), dec!(1.5), dec!(1.5), dec!(0)));
}
