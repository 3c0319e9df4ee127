//! What a family is, as data: the `const` that the derive writes for every
//! family, for code that documents or charts all of them.

use prometheus_client::metrics::MetricType;

/// The kind of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// Only goes up: exposed with the `_total` suffix.
    Counter,
    /// Goes up and down.
    Gauge,
    /// Counts observations into buckets, with their sum and count.
    Histogram,
}

impl MetricKind {
    /// The kind's name in `# TYPE` lines: `counter`, `gauge` or `histogram`.
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
        }
    }

    pub(crate) fn metric_type(self) -> MetricType {
        match self {
            MetricKind::Counter => MetricType::Counter,
            MetricKind::Gauge => MetricType::Gauge,
            MetricKind::Histogram => MetricType::Histogram,
        }
    }
}

/// One label of a family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelDescriptor {
    /// The label name, as exposed.
    pub name: &'static str,
    /// Every value of a closed set (an enum), in declaration order; `None`
    /// for an open set (tenant ids, models), whose values come at run time.
    pub values: Option<&'static [&'static str]>,
}

/// Which closed-set values of a series a family exposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expose {
    /// Every value, at zero until recorded: a tenant's `status="error"`
    /// reads 0 rather than being absent, so ratios in PromQL need no
    /// `or vector(0)`. The default.
    All,
    /// Only the values recorded into (`inc_by(0)` counts), for families
    /// whose closed sets are large and mostly unused. Of a series' first 32
    /// combinations of closed-set values; any past those are always exposed.
    Recorded,
}

/// A metric family as declared: everything but its values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Descriptor {
    /// The exposition name in full, as declared: `aigateway_requests_total`.
    pub name: &'static str,
    /// Counter, gauge or histogram.
    pub kind: MetricKind,
    /// The HELP text: the first paragraph of the family's doc comment.
    pub help: &'static str,
    /// The labels, in exposition order.
    pub labels: &'static [LabelDescriptor],
    /// A histogram's bucket upper bounds, without `+Inf`; empty otherwise.
    pub buckets: &'static [f64],
    /// The most combinations of open-set values the family keeps; records of
    /// further ones go to its overflow series. Set with `limit = N`.
    pub series_limit: usize,
    /// Which closed-set values are exposed. Set with `expose = "recorded"`.
    pub expose: Expose,
}

/// The series limit of a family that does not set one.
pub const DEFAULT_SERIES_LIMIT: usize = 10_000;

impl Descriptor {
    /// The name given to prometheus-client's encoders, which add `_total` to
    /// counters themselves.
    pub(crate) fn base_name(&self) -> &'static str {
        match self.kind {
            MetricKind::Counter => self.name.strip_suffix("_total").unwrap_or(self.name),
            MetricKind::Gauge | MetricKind::Histogram => self.name,
        }
    }

    /// The label names, in order.
    pub fn label_names(&self) -> impl Iterator<Item = &'static str> {
        self.labels.iter().map(|l| l.name)
    }

    /// How many series one combination of open-set values holds: the product
    /// of the sizes of the closed sets.
    pub(crate) fn cells_per_series(&self) -> usize {
        self.labels
            .iter()
            .filter_map(|l| l.values)
            .map(<[_]>::len)
            .product()
    }
}
