//! The two kinds of label values: open sets, whose values come from requests
//! (tenant ids, models), and closed sets, known when the program is built
//! (statuses, error types).

/// A label whose values are an open set: a borrowed string.
///
/// Implemented for `&str` and by `#[derive(LabelValue)]` on a newtype such as
/// `struct TenantId<'a>(&'a str)`. A distinct newtype per label is what makes
/// two swapped labels a compile error. A field of a family is an open-set
/// label exactly when its type has a lifetime.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an open-set label",
    label = "a label type with a lifetime is an open set: a borrowed string",
    note = "use `&'a str`, or `#[derive(LabelValue)]` on a newtype such as `struct TenantId<'a>(&'a str)`"
)]
pub trait LabelStr {
    /// The label value.
    fn as_str(&self) -> &str;
}

impl LabelStr for &str {
    fn as_str(&self) -> &str {
        self
    }
}

/// A label whose values are a closed set: an enum.
///
/// Implemented by `#[derive(LabelValue)]` on an enum of unit variants. A
/// family keeps one series per value of every closed-set label, in an array
/// indexed by [`LabelEnum::index`]: recording needs no hashing for them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a closed-set label",
    label = "a label type without a lifetime is a closed set: an enum",
    note = "use `#[derive(LabelValue)]` on an enum; for an open set borrow a string (`&'a str`, or a newtype over it)"
)]
pub trait LabelEnum {
    /// The label value of each variant, in declaration order.
    const VALUES: &'static [&'static str];

    /// The position of this value in [`LabelEnum::VALUES`].
    fn index(&self) -> usize;

    /// The label value.
    fn as_str(&self) -> &'static str {
        Self::VALUES[self.index()]
    }
}
