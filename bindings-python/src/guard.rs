//! The last guard at the Python boundary: every entry of `vectrade._native` runs inside [`guard`],
//! so a panic in the engine (a bug: no input may reach one) comes out as `vectrade.InternalError`,
//! an ordinary exception with code `internal_error`, instead of pyo3's `PanicException`, a
//! `BaseException` that `except Exception` misses.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::prelude::*;

use crate::InternalError;

/// Runs `f`; a panic inside it becomes `InternalError` naming the panic's message.
pub(crate) fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        Err(internal_error(&message))
    })
}

fn internal_error(message: &str) -> PyErr {
    let detail = format!(
        "internal error in the VecTrade engine (a bug, please report it with the call that caused it): {message}; \
         the object it happened on may be in an inconsistent state"
    );
    let err = InternalError::new_err(detail.clone());
    Python::attach(|py| {
        let value = err.value(py);
        // Setting attributes on a fresh exception instance cannot fail in practice.
        let _ = value.setattr("code", vectrade_core::error::INTERNAL_ERROR_CODE);
        let _ = value.setattr("detail", detail.as_str());
        let _ = value.setattr("family", "internal");
    });
    err
}

/// Panics inside the guard, for the test that a panic of the engine comes out as
/// `InternalError` and the interpreter goes on (no input reaches a panic any more). Only in builds
/// with the `test-hooks` feature, never in the published wheel.
#[cfg(feature = "test-hooks")]
#[pyfunction]
pub(crate) fn _panic_for_tests(message: &str) -> PyResult<()> {
    guard(|| panic!("{message}"))
}

#[cfg(test)]
mod tests {
    /// Every entry of the module runs inside [`super::guard`]: an entry added without it would let a
    /// panic out as `PanicException` again.
    #[test]
    fn every_entry_runs_inside_the_guard() {
        let sources = [("lib.rs", include_str!("lib.rs")), ("strategy.rs", include_str!("strategy.rs"))];
        let mut entries = 0;
        for (file, text) in sources {
            let lines: Vec<&str> = text.lines().collect();
            let (mut in_methods, mut entry_next) = (false, false);
            for (i, line) in lines.iter().enumerate() {
                let t = line.trim();
                if t == "#[pymethods]" {
                    in_methods = true;
                } else if in_methods && *line == "}" {
                    in_methods = false;
                } else if t == "#[pyfunction]" {
                    entry_next = true;
                }
                let is_fn = t.starts_with("fn ") || t.starts_with("pub(crate) fn ") || t.starts_with("pub fn ");
                if !is_fn || !(in_methods || entry_next) {
                    continue;
                }
                entry_next = false;
                entries += 1;
                let open = (i..lines.len()).find(|&k| lines[k].ends_with('{')).expect("a body");
                let first = lines[open + 1].trim();
                assert!(first.starts_with("guard("), "{file}:{}: `{t}` does not run inside guard(...)", i + 1);
            }
        }
        assert!(entries > 60, "found only {entries} entries: the scan no longer matches the sources");
    }
}
