//! Trading costs: slippage models (how far a fill lands from the touched price) and commissions.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result, err};

const BPS: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);
const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

/// How much a fill's price moves against the trader, in basis points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum SlippageModel {
    /// The same number of basis points on every fill (the default: 2 bps).
    FixedBps {
        /// Basis points against the trader.
        #[serde(deserialize_with = "crate::num::exact::decimal")]
        bps: Decimal,
    },
    /// `base_bps + bps_per_pct_of_volume * (100 * quantity / bar volume)`: larger orders relative to
    /// the bar's volume move the price more. Participation counts at most 100 % (also for a bar with
    /// zero volume) and the total at most 10000 bps.
    VolumeShare {
        /// Basis points paid on every fill.
        #[serde(deserialize_with = "crate::num::exact::decimal")]
        base_bps: Decimal,
        /// Extra basis points per percent of the bar's volume taken.
        #[serde(deserialize_with = "crate::num::exact::decimal")]
        bps_per_pct_of_volume: Decimal,
    },
}

impl Default for SlippageModel {
    fn default() -> Self {
        SlippageModel::FixedBps { bps: Decimal::TWO }
    }
}

impl SlippageModel {
    /// Checks all parameters are non-negative.
    pub fn validate(&self) -> Result<()> {
        let ok = match self {
            SlippageModel::FixedBps { bps } => !bps.is_sign_negative(),
            SlippageModel::VolumeShare { base_bps, bps_per_pct_of_volume } => {
                !base_bps.is_sign_negative() && !bps_per_pct_of_volume.is_sign_negative()
            }
        };
        let bounded = match self {
            SlippageModel::FixedBps { bps } => *bps <= BPS,
            SlippageModel::VolumeShare { base_bps, bps_per_pct_of_volume } => {
                *base_bps <= BPS && *bps_per_pct_of_volume <= BPS
            }
        };
        if ok && bounded {
            Ok(())
        } else {
            err(ErrorKind::InvalidScenario, "slippage parameters must be in [0, 10000] bps")
        }
    }

    /// Basis points charged for `quantity` on a bar that traded `volume`.
    pub fn bps(&self, quantity: Decimal, volume: Decimal) -> Decimal {
        match self {
            SlippageModel::FixedBps { bps } => *bps,
            SlippageModel::VolumeShare { base_bps, bps_per_pct_of_volume } => {
                // More than the whole bar counts as 100 %; at most 10000 bps (the price doubled or
                // halved) before the fill is clamped into the bar anyway.
                let share = if volume > Decimal::ZERO { quantity.checked_div(volume) } else { None };
                let pct = share.map_or(Decimal::ONE, |s| s.min(Decimal::ONE)) * HUNDRED;
                (*base_bps + *bps_per_pct_of_volume * pct).min(BPS)
            }
        }
    }
}

/// `price * (1 ± bps / 10000)`, against a buyer (up) or a seller (down).
pub(crate) fn apply_bps(price: Decimal, bps: Decimal, buying: bool) -> Decimal {
    if bps.is_zero() {
        // What the formula gives (price × 1, the same digits), without its division.
        return price;
    }
    let factor = bps / BPS;
    if buying { price * (Decimal::ONE + factor) } else { price * (Decimal::ONE - factor) }
}

/// Basis points between a reference price and a fill price (positive = against the trader).
pub(crate) fn bps_between(reference: Decimal, fill: Decimal, buying: bool) -> Decimal {
    if reference.is_zero() {
        return Decimal::ZERO;
    }
    let diff = if buying { fill - reference } else { reference - fill };
    if diff.is_zero() {
        // What the formula gives (zero times anything is `Decimal::ZERO`), without its division.
        return Decimal::ZERO;
    }
    (diff * BPS / reference).round_dp(4)
}

/// Commission charged on each fill: `max(per_unit * quantity + bps * notional / 10000, minimum)`.
/// The minimum applies per fill, so an order filled in three parts pays it up to three times.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionModel {
    /// Money per unit traded (e.g. 0.005 per share).
    #[serde(default, deserialize_with = "crate::num::exact::decimal")]
    pub per_unit: Decimal,
    /// Basis points of notional.
    #[serde(default, deserialize_with = "crate::num::exact::decimal")]
    pub bps: Decimal,
    /// Smallest commission of one fill.
    #[serde(default, deserialize_with = "crate::num::exact::decimal")]
    pub minimum: Decimal,
}

impl CommissionModel {
    /// Checks all parameters are non-negative.
    pub fn validate(&self) -> Result<()> {
        let bounded =
            self.per_unit <= crate::limits::MAX_PRICE && self.bps <= BPS && self.minimum <= crate::limits::MAX_PRICE;
        if self.per_unit.is_sign_negative()
            || self.bps.is_sign_negative()
            || self.minimum.is_sign_negative()
            || !bounded
        {
            return err(ErrorKind::InvalidScenario, "commission parameters must be >= 0 (bps at most 10000)");
        }
        Ok(())
    }

    /// Commission for one fill, rounded to cents (half away from zero).
    pub fn commission(&self, quantity: Decimal, price: Decimal) -> Decimal {
        // Without per-unit or bps charges every product is `Decimal::ZERO`: skip the division.
        let raw = if self.per_unit.is_zero() && self.bps.is_zero() {
            Decimal::ZERO
        } else {
            self.per_unit * quantity + self.bps / BPS * quantity * price
        };
        let c = raw.max(self.minimum);
        c.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    }
}

/// The costs of trading in a scenario: slippage, commission and an optional volume participation cap.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostModel {
    /// Slippage on every fill.
    #[serde(default)]
    pub slippage: SlippageModel,
    /// Commission on every fill.
    #[serde(default)]
    pub commission: CommissionModel,
    /// At most this fraction of a bar's volume fills per agent and symbol (e.g. 0.1 = 10 %);
    /// the rest stays working as a partial fill. `None` = no cap.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub max_volume_participation: Option<Decimal>,
}

impl CostModel {
    /// Validates every part.
    pub fn validate(&self) -> Result<()> {
        self.slippage.validate()?;
        self.commission.validate()?;
        if let Some(p) = self.max_volume_participation
            && (p <= Decimal::ZERO || p > Decimal::ONE)
        {
            return err(ErrorKind::InvalidScenario, format!("max_volume_participation must be in (0, 1], got {p}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn zero_cost_shortcuts_give_the_formulas_digits() {
        // The shortcuts must give the very representation (digits and scale) of the formulas.
        for price in ["48.45", "0.00012345", "123456.789", "7"] {
            for zero in ["0", "0.00", "0.0000"] {
                let (p, z) = (d(price), d(zero));
                for buying in [true, false] {
                    let formula = if buying { p * (Decimal::ONE + z / BPS) } else { p * (Decimal::ONE - z / BPS) };
                    assert_eq!(apply_bps(p, z, buying).serialize(), formula.serialize(), "{price} {zero}");
                    assert_eq!(bps_between(p, p, buying).serialize(), ((p - p) * BPS / p).round_dp(4).serialize());
                }
                let m = CommissionModel { per_unit: z, bps: z, minimum: z };
                let formula = (z * d("10") + z / BPS * d("10") * p)
                    .max(z)
                    .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
                assert_eq!(m.commission(d("10"), p).serialize(), formula.serialize(), "{price} {zero}");
            }
        }
    }

    #[test]
    fn commission_takes_the_minimum_per_fill() {
        let m = CommissionModel { per_unit: d("0.005"), bps: d("0"), minimum: d("1") };
        assert_eq!(m.commission(d("100"), d("50")), d("1.00"));
        assert_eq!(m.commission(d("1000"), d("50")), d("5.00"));
        let b = CommissionModel { per_unit: d("0"), bps: d("10"), minimum: d("0") };
        assert_eq!(b.commission(d("10"), d("100")), d("1.00"));
    }

    #[test]
    fn volume_share_slippage_grows_with_participation() {
        let m = SlippageModel::VolumeShare { base_bps: d("1"), bps_per_pct_of_volume: d("0.5") };
        assert_eq!(m.bps(d("100"), d("10000")), d("1.5"));
        assert_eq!(m.bps(d("1000"), d("10000")), d("6"));
        assert_eq!(m.bps(d("1"), d("0")), d("51"));
        assert_eq!(m.bps(d("1000000000000000"), d("0.00000000000000000001")), d("51"), "capped at 100 %");
    }

    #[test]
    fn bps_helpers_agree() {
        let p = apply_bps(d("100"), d("2"), true);
        assert_eq!(p, d("100.0200"));
        assert_eq!(bps_between(d("100"), p, true), d("2"));
        assert_eq!(bps_between(d("100"), apply_bps(d("100"), d("2"), false), false), d("2"));
    }
}
