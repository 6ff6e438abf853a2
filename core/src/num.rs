//! Conversions between exact decimals and floats, the one place numbers cross that border.
//!
//! Both directions are exact where exactness is possible and correctly rounded otherwise, in pure
//! Rust with no platform math library, so they give the same bits on every target (WebAssembly
//! included):
//! - [`decimal_from_f64`] reads a float as the decimal a person sees when it is printed (its
//!   shortest round-trip representation);
//! - [`to_f64`] gives the float nearest to a decimal (IEEE round-half-even).

use std::cmp::Ordering;

use rust_decimal::Decimal;

/// Powers of ten that `f64` holds exactly.
pub(crate) const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// The `f64` nearest to `d`, correctly rounded.
///
/// Money in a run has few digits, so nearly every call takes the fast path: a mantissa below
/// 2^53 and a scale up to 22 are both exact in `f64`, and one IEEE division of exact operands is
/// correctly rounded. Anything else goes through Rust's (correctly rounding) decimal parser.
#[must_use]
pub fn to_f64(d: Decimal) -> f64 {
    let mantissa = d.mantissa();
    let scale = d.scale() as usize;
    if mantissa.unsigned_abs() < 1u128 << 53 && scale < EXACT_POWERS_OF_TEN.len() {
        // Both casts are exact: |mantissa| < 2^53 fits i64 and f64.
        return mantissa as i64 as f64 / EXACT_POWERS_OF_TEN[scale];
    }
    d.to_string().parse().unwrap_or(0.0)
}

/// `to_f64(a - b)` (the float nearest to the exact difference), without building the difference
/// when `a` and `b` share a scale — the usual case along an equity curve. Same bits either way; a
/// difference beyond `Decimal` falls back to the difference of the floats.
#[must_use]
pub fn diff_to_f64(a: Decimal, b: Decimal) -> f64 {
    let scale = a.scale() as usize;
    if scale == b.scale() as usize && scale < EXACT_POWERS_OF_TEN.len() {
        // Both mantissas are below 2^96 in magnitude: no i128 overflow.
        let m = a.mantissa() - b.mantissa();
        if m.unsigned_abs() < 1u128 << 53 {
            return m as i64 as f64 / EXACT_POWERS_OF_TEN[scale];
        }
    }
    match a.checked_sub(b) {
        Some(d) => to_f64(d),
        None => to_f64(a) - to_f64(b),
    }
}

/// A running sum of decimals, as repeated `saturating_add` gives it, with the additions of a run of
/// equal scales done on the mantissas (a plain integer add). Exact while the sum fits `Decimal`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecimalSum {
    /// Everything added before the current run of one scale.
    folded: Decimal,
    /// The current run: its scale and the sum of its mantissas.
    scale: u32,
    run: i128,
}

impl DecimalSum {
    /// Largest run kept as an integer: what `Decimal` holds as a mantissa.
    const MAX_RUN: u128 = (1u128 << 96) - 1;

    /// Adds `d`.
    pub fn add(&mut self, d: Decimal) {
        let m = d.mantissa();
        if d.scale() == self.scale
            && let Some(next) = self.run.checked_add(m)
            && next.unsigned_abs() <= Self::MAX_RUN
        {
            self.run = next;
            return;
        }
        self.folded = self.total();
        (self.scale, self.run) = (d.scale(), m);
    }

    /// The sum so far.
    #[must_use]
    pub fn total(&self) -> Decimal {
        // The run fits a mantissa (checked on every add) and its scale is a Decimal's.
        let run = Decimal::from_i128_with_scale(self.run, self.scale);
        self.folded.saturating_add(run)
    }
}

/// `a.cmp(&b)`, with a fast path for the usual case of equal scales (a plain integer comparison
/// of the mantissas); `Decimal`'s own comparison rescales first, which per-bar loops feel.
#[must_use]
pub fn cmp(a: Decimal, b: Decimal) -> Ordering {
    if a.scale() == b.scale() { a.mantissa().cmp(&b.mantissa()) } else { a.cmp(&b) }
}

/// True when `d` is zero or negative.
#[must_use]
pub fn is_non_positive(d: Decimal) -> bool {
    d.is_zero() || d.is_sign_negative()
}

/// The decimal of `v`'s shortest round-trip representation (`101.3`, not
/// `101.2999999999999971578...`); `None` for NaN, infinities and magnitudes `Decimal` cannot hold
/// (beyond ~7.9e28, or so small that 28 decimal places would round them to zero).
#[must_use]
pub fn decimal_from_f64(v: f64) -> Option<Decimal> {
    if !v.is_finite() {
        return None;
    }
    // `Display` of f64 is the shortest representation that reads back as the same float.
    let text = format!("{v}");
    let d = text.parse::<Decimal>().ok().or_else(|| Decimal::from_scientific(&format!("{v:e}")).ok())?;
    (v == 0.0 || !d.is_zero()).then_some(d)
}

/// The decimal written in `text`, read exactly: an optional sign, digits with at most one `.`, and
/// an optional exponent (`1.5e-3`). `None` when the text is not such a number, or when its value
/// cannot be held exactly (beyond ~7.9e28, or more than 28 decimal places): it is never rounded.
/// Trailing zeros of the fraction count only when they must (`1.50` keeps its scale 2).
#[must_use]
pub fn decimal_exact(text: &str) -> Option<Decimal> {
    let t = text.trim();
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let digits = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
    let dots = digits.bytes().filter(|&b| b == b'.').count();
    let count = digits.bytes().filter(u8::is_ascii_digit).count();
    if count == 0 || dots > 1 || count + dots != digits.len() {
        return None;
    }
    let mut value = Decimal::from_str_exact(mantissa).ok().or_else(|| {
        // Zeros past the 28th decimal place change nothing: drop them and try again.
        let trimmed = if dots == 1 { mantissa.trim_end_matches('0').trim_end_matches('.') } else { mantissa };
        Decimal::from_str_exact(trimmed).ok()
    })?;
    let Some(exponent) = exponent else { return Some(value) };
    let e = exponent.strip_prefix('+').unwrap_or(exponent);
    if e.is_empty() || e.len() > 4 || !e.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let e: i32 = e.parse().ok()?;
    if e >= 0 {
        // Places of the mantissa are used up first (`1.0e3` is 1000, as `Decimal::from_scientific`
        // and Python's `format(d, "f")` write it), then zeros are appended.
        let used = value.scale().min(e.unsigned_abs());
        value.set_scale(value.scale() - used).ok()?;
        for _ in used..e.unsigned_abs() {
            value = value.checked_mul(Decimal::TEN)?;
        }
        return Some(value);
    }
    let mut scale = value.scale() + e.unsigned_abs();
    if scale > 28 {
        value = value.normalize();
        scale = value.scale() + e.unsigned_abs();
    }
    if scale > 28 {
        return None;
    }
    value.set_scale(scale).ok()?;
    Some(value)
}

/// Serde readers of decimals given by users: exact, never rounded (see [`decimal_exact`]). A
/// JSON number is read as the decimal of its shortest representation, as [`decimal_from_f64`].
pub mod exact {
    use rust_decimal::Decimal;
    use serde::Deserializer;
    use serde::de::{Error, Unexpected, Visitor};

    /// What the error of an inexact decimal says; `wire::from_json` recognises it by this.
    pub const INEXACT: &str = "would be rounded";

    struct Exact;

    impl Visitor<'_> for Exact {
        type Value = Decimal;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a decimal number")
        }

        fn visit_i64<E: Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_f64<E: Error>(self, v: f64) -> Result<Decimal, E> {
            if !v.is_finite() {
                return Err(E::invalid_value(Unexpected::Float(v), &self));
            }
            super::decimal_exact(&v.to_string())
                .ok_or_else(|| E::custom(format!("{v} has more digits than a decimal holds (28 places); it {INEXACT}")))
        }

        fn visit_str<E: Error>(self, v: &str) -> Result<Decimal, E> {
            super::decimal_exact(v).ok_or_else(|| {
                let shown: String = v.chars().take(60).collect();
                let more = if v.chars().nth(60).is_some() { "..." } else { "" };
                let looks_numeric = !v.trim().is_empty()
                    && v.trim().bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
                if looks_numeric {
                    E::custom(format!(
                        "'{shown}{more}' has more digits than a decimal holds (at most 28 significant digits and 28 places); it {INEXACT}"
                    ))
                } else {
                    E::custom(format!("'{shown}{more}' is not a decimal number"))
                }
            })
        }
    }

    /// A decimal field.
    pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(Exact)
    }

    /// An optional decimal field (`null` or absent is `None`).
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        struct Opt;
        impl<'de> Visitor<'de> for Opt {
            type Value = Option<Decimal>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a decimal number or null")
            }
            fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                decimal(d).map(Some)
            }
        }
        d.deserialize_option(Opt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn to_f64_is_the_nearest_float() {
        for text in [
            "0",
            "-0",
            "1",
            "0.1",
            "0.3",
            "-2.675",
            "101.3",
            "12345.6789",
            "1e-28",
            "0.0000000000000000000000000001",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "9007199254740993",
            "123456789012345678.9",
            "1.000000000000000000000000001",
            "3.3333333333333333333333333333",
        ] {
            let dec = if text.contains('e') { Decimal::from_scientific(text).unwrap() } else { d(text) };
            let expected: f64 = dec.to_string().parse().unwrap();
            assert_eq!(to_f64(dec).to_bits(), expected.to_bits(), "{text}");
        }
        // rust_decimal's own `to_f64` is not correctly rounded; ours is.
        assert_eq!(to_f64(d("0.1")), 0.1);
        assert_eq!(to_f64(d("2.675")), 2.675);
    }

    #[test]
    fn fast_comparison_agrees_with_decimal_ordering() {
        let values = ["-1.50", "-1.5", "-0", "0", "0.00", "1", "1.0", "1.01", "2", "-79228162514264337593543950335"];
        for a in values {
            for b in values {
                assert_eq!(cmp(d(a), d(b)), d(a).cmp(&d(b)), "{a} vs {b}");
            }
            assert_eq!(is_non_positive(d(a)), d(a) <= Decimal::ZERO, "{a}");
        }
    }

    #[test]
    fn differences_and_sums_match_decimal_arithmetic() {
        let values = ["100000.2500", "99999.1234", "-5.5", "0", "123.456", "79228162514264337593543950335", "-0.0001"];
        for a in values {
            for b in values {
                let expected = d(a).checked_sub(d(b)).map_or(to_f64(d(a)) - to_f64(d(b)), to_f64);
                assert_eq!(diff_to_f64(d(a), d(b)).to_bits(), expected.to_bits(), "{a} - {b}");
            }
        }
        let mut sum = DecimalSum::default();
        let mut expected = Decimal::ZERO;
        for text in ["100000.2500", "100001.0000", "99999.7500", "5", "5.25", "-3.125", "0.0001"] {
            sum.add(d(text));
            expected = expected.saturating_add(d(text));
            assert_eq!(sum.total(), expected);
        }
        let mut big = DecimalSum::default();
        for _ in 0..3 {
            big.add(Decimal::MAX);
        }
        assert_eq!(big.total(), Decimal::MAX, "saturates like Decimal");
    }

    #[test]
    fn floats_read_as_printed() {
        assert_eq!(decimal_from_f64(101.3), Some(d("101.3")));
        assert_eq!(decimal_from_f64(0.1 + 0.2), Some(d("0.30000000000000004")));
        assert_eq!(decimal_from_f64(1e-30), None, "not silently zero");
        assert_eq!(decimal_from_f64(-0.0), Some(Decimal::ZERO));
        assert_eq!(decimal_from_f64(f64::NAN), None);
        assert_eq!(decimal_from_f64(f64::INFINITY), None);
        assert_eq!(decimal_from_f64(1e30), None);
        for v in [0.5, -3.25, 1e-7, 123456.789, 9.87654321e15] {
            assert_eq!(to_f64(decimal_from_f64(v).unwrap()), v, "round trip of {v}");
        }
    }

    #[test]
    fn exact_decimals_read_every_spelling_and_round_none() {
        for (text, want) in [
            ("+1.5", "1.5"),
            ("-0.25", "-0.25"),
            (".5", "0.5"),
            ("5.", "5"),
            (" 7 ", "7"),
            ("1.50", "1.50"),
            ("2.5E3", "2500"),
            ("1.0E+3", "1000"),
            ("1.25e1", "12.5"),
            ("25e-1", "2.5"),
            ("0e9999", "0"),
            ("1.0000000000000000000000000000000", "1"),
        ] {
            assert_eq!(decimal_exact(text).map(|d| d.to_string()).as_deref(), Some(want), "{text}");
        }
        for text in ["", "-", ".", "1..2", "1_000", "1e", "1e+", "abc", "0x10", "1e-29", "1e29", "١٠", "1 2"] {
            assert_eq!(decimal_exact(text), None, "{text}");
        }
        assert_eq!(decimal_exact("0.99999999999999999999999999999"), None, "29 places would be rounded");
        assert_eq!(decimal_exact("0.9999999999999999999999999999").map(|d| d.scale()), Some(28));
    }

    #[test]
    fn exact_decimals_have_the_digits_the_rounding_parser_gives_where_it_is_exact() {
        // The old reading (`from_str`, then `from_scientific`) for every text it read exactly:
        // same value and same scale, so outputs keep their bytes.
        for mantissa in ["0", "1", "25", "1000", "123456789", "99999999999999", "-7"] {
            for places in 0..6 {
                let text = if places == 0 || mantissa.len() <= places {
                    mantissa.to_string()
                } else {
                    format!("{}.{}", &mantissa[..mantissa.len() - places], &mantissa[mantissa.len() - places..])
                };
                for exponent in ["", "e-3", "e0", "E+2", "e5", "E-1"] {
                    let text = format!("{text}{exponent}");
                    let old = text.parse::<Decimal>().or_else(|_| Decimal::from_scientific(&text)).unwrap();
                    let new = decimal_exact(&text).unwrap();
                    assert_eq!(new.serialize(), old.serialize(), "{text}: {new} vs {old}");
                }
            }
        }
    }
}
