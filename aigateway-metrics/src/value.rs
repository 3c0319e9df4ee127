//! Values a family records, and the typed error for those that make no sense.

use thiserror::Error;

/// Why a value was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum Reason {
    /// The value is NaN.
    #[error("not a number")]
    NaN,
    /// The value is infinite.
    #[error("infinite")]
    Infinite,
    /// The value is below zero where only zero or more makes sense.
    #[error("negative")]
    Negative,
    /// The value is too large to be stored.
    #[error("too large")]
    TooLarge,
}

impl Reason {
    /// Every reason, in order.
    pub const ALL: [Reason; 4] = [
        Reason::NaN,
        Reason::Infinite,
        Reason::Negative,
        Reason::TooLarge,
    ];

    /// The `reason` label value of `aigateway_metrics_rejected_values_total`.
    pub const fn label(self) -> &'static str {
        match self {
            Reason::NaN => "nan",
            Reason::Infinite => "infinite",
            Reason::Negative => "negative",
            Reason::TooLarge => "too_large",
        }
    }
}

/// A value that was rejected; nothing was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[error("{quantity}: rejected {value}: {reason}")]
pub struct ValueError {
    /// What the value was: a metric name, or a quantity such as `USD amount`.
    pub quantity: &'static str,
    /// The value given.
    pub value: f64,
    /// Why it was rejected.
    pub reason: Reason,
}

impl ValueError {
    /// Accepts finite values.
    #[inline]
    pub(crate) fn finite(quantity: &'static str, value: f64) -> Result<f64, ValueError> {
        let reason = if value.is_nan() {
            Reason::NaN
        } else if value.is_infinite() {
            Reason::Infinite
        } else {
            return Ok(value);
        };
        Err(ValueError {
            quantity,
            value,
            reason,
        })
    }

    /// Accepts finite values of zero or more.
    #[inline]
    pub(crate) fn non_negative(quantity: &'static str, value: f64) -> Result<f64, ValueError> {
        let value = Self::finite(quantity, value)?;
        if value < 0.0 {
            return Err(ValueError {
                quantity,
                value,
                reason: Reason::Negative,
            });
        }
        Ok(value)
    }
}

/// What a counter counts: whole units, exposed divided by [`CounterValue::SCALE`].
///
/// `u64` counts ones. [`Usd`] counts nano-dollars and is exposed in dollars,
/// so that adding a million costs of `0.000015` gives exactly `15`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not what a counter counts",
    label = "a counter counts whole units",
    note = "use `u64` (the default) or `Usd` for money, counted in nano-dollars"
)]
pub trait CounterValue {
    /// How many units make one exposed unit.
    const SCALE: u64;

    /// The value in units.
    fn units(self) -> u64;
}

impl CounterValue for u64 {
    const SCALE: u64 = 1;

    fn units(self) -> u64 {
        self
    }
}

/// An amount of US dollars, held as a whole number of nano-dollars.
///
/// Amounts are rounded to the nearest nano-dollar (`1e-9` USD), so sums are
/// exact, whatever their order. A counter of `Usd` holds up to about
/// 18.4 billion dollars per series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Usd {
    nanos: u64,
}

impl Usd {
    const NANOS_PER_USD: u64 = 1_000_000_000;

    /// Dollars, rounded to the nearest nano-dollar; NaN, infinite, negative
    /// and unrepresentably large amounts are rejected.
    #[inline]
    pub fn new(usd: f64) -> Result<Usd, ValueError> {
        let usd = ValueError::non_negative("USD amount", usd)?;
        let nanos = (usd * Self::NANOS_PER_USD as f64).round();
        // `u64::MAX as f64` rounds up to 2^64, which does not fit: `<` is exact.
        if nanos >= u64::MAX as f64 {
            return Err(ValueError {
                quantity: "USD amount",
                value: usd,
                reason: Reason::TooLarge,
            });
        }
        Ok(Usd {
            nanos: nanos as u64,
        })
    }

    /// An amount of whole nano-dollars.
    pub const fn from_nanos(nanos: u64) -> Usd {
        Usd { nanos }
    }

    /// The amount in nano-dollars.
    pub const fn nanos(self) -> u64 {
        self.nanos
    }
}

impl CounterValue for Usd {
    const SCALE: u64 = Usd::NANOS_PER_USD;

    fn units(self) -> u64 {
        self.nanos
    }
}
