//! CSV text of any shape: parsing answers with bars or a typed error, and bars it accepts make
//! a scenario or a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vectrade_core::{Error, ErrorKind, Scenario, ScenarioConfig, csv};

fn typed(e: &Error) {
    assert!(ErrorKind::from_code(e.code()).is_some());
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match csv::parse_bars(&text) {
        Ok(bars) => {
            let config = ScenarioConfig::new("fuzz", "Fuzz", &["X"]);
            let series = vec![vectrade_core::Series { symbol: "X".into(), bars }];
            if let Err(e) = Scenario::new(config, series) {
                typed(&e);
            }
        }
        Err(e) => assert_eq!(e.kind, ErrorKind::CsvParse, "{e}"),
    }
    match csv::parse_multi_with(&text, Some("X")) {
        Ok(series) => {
            let symbols: Vec<&str> = series.iter().map(|s| s.symbol.as_str()).collect();
            let config = ScenarioConfig::new("fuzz", "Fuzz", &symbols);
            if let Err(e) = Scenario::new(config, series.clone()) {
                typed(&e);
            }
        }
        Err(e) => typed(&e),
    }
});
