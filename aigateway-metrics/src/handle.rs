//! What every family handle made by `#[derive(Metric)]` offers, for code that
//! works on any family, such as `#[derive(MetricGroup)]`.

use prometheus_client::registry::Registry;

use crate::descriptor::Descriptor;

/// A family handle: the type `#[derive(Metric)]` writes for a family
/// declared as struct `Foo`, named `FooFamily`.
pub trait MetricFamily: Clone + Default + Send + Sync + 'static {
    /// What the family is.
    const DESCRIPTOR: &'static Descriptor;

    /// Adds the family to `registry`, which then exposes its series.
    fn register(&self, registry: &mut Registry);
}
