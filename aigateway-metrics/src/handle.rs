//! What every family handle made by `#[derive(Metric)]` offers, for code that
//! works on any family, such as `#[derive(MetricGroup)]`.

use std::sync::Arc;

use prometheus_client::registry::Registry;

use crate::descriptor::{Descriptor, DescriptorError};
use crate::stats::FamilyStats;

/// A family handle: the type `#[derive(Metric)]` writes for a family
/// declared as struct `Foo`, named `FooFamily`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a metric family",
    label = "a group's fields are family handles",
    note = "the handle of a family declared as `struct Foo` with `#[derive(Metric)]` is `FooFamily`"
)]
pub trait MetricFamily: Clone + Default + Send + Sync + 'static {
    /// What the family is.
    const DESCRIPTOR: &'static Descriptor;

    /// A family exposed under `descriptor` rather than as declared; see
    /// the derived handle's `with_descriptor`.
    fn with_descriptor(descriptor: &'static Descriptor) -> Result<Self, DescriptorError>;

    /// Adds the family to `registry`, which then exposes its series.
    fn register(&self, registry: &mut Registry);

    /// The library's counts about this family: records that went to its
    /// overflow series, rejected values.
    fn stats(&self) -> Arc<FamilyStats>;
}
