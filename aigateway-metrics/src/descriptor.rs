//! What a family is, as data: the `const` that the derive writes for every
//! family, for code that documents or charts all of them, and the
//! descriptors made at run time for a family exposed under another name or
//! other buckets.

use parking_lot::Mutex;
use prometheus_client::metrics::MetricType;
use thiserror::Error;

use crate::native::Native;

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
    /// A histogram's native buckets, if it has them: set with
    /// `native(schema = N)` or `native(factor = F)`.
    pub native: Option<Native>,
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

/// Why a descriptor made at run time cannot be used.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DescriptorError {
    /// The name is not a metric name.
    #[error(
        "`{0}` is not a metric name: ASCII letters, digits, `_` and `:`, not starting with a digit"
    )]
    Name(String),
    /// A counter's name without `_total`, or another kind's with it.
    #[error("`{0}`: counter names end in `_total`, and only counter names do")]
    Total(String),
    /// A histogram's bounds that are not finite and strictly increasing, or
    /// none without native buckets; or bounds for a family that is not a
    /// histogram.
    #[error("bucket bounds {0:?}: a histogram has at least one (or native buckets), finite and strictly increasing; other kinds have none")]
    Buckets(Vec<f64>),
    /// A descriptor whose kind, labels or exposure differ from those the
    /// family was declared with.
    #[error("`{name}` cannot expose `{declared}`: its kind, labels and exposure must be the declared ones")]
    Mismatch {
        /// The name of the descriptor given.
        name: String,
        /// The name the family was declared with.
        declared: String,
    },
}

/// The descriptors made by [`Descriptor::configured`], each made once.
static CONFIGURED: Mutex<Vec<&'static Descriptor>> = Mutex::new(Vec::new());

impl Descriptor {
    /// This family exposed as `name`, with `buckets` in place of its own
    /// when given: for a [`with_descriptor`](crate::gateway::RequestDurationFamily::with_descriptor)
    /// constructor, which needs a descriptor that lives as long as the
    /// program. Each distinct descriptor is made once and kept, so calling
    /// this again with the same values (for another registry, or in every
    /// test) holds no more memory.
    ///
    /// ```
    /// use aigateway_metrics::gateway::RequestDurationFamily;
    ///
    /// let declared = RequestDurationFamily::DESCRIPTOR;
    /// let mine = declared.configured("myco_request_duration_seconds", Some(&[0.05, 0.5, 5.0]))?;
    /// let family = RequestDurationFamily::with_descriptor(mine)?;
    /// assert_eq!(family.descriptor().buckets, [0.05, 0.5, 5.0]);
    /// assert!(declared.configured("myco_request_duration_seconds", Some(&[1.0, 0.5])).is_err());
    /// # Ok::<(), aigateway_metrics::DescriptorError>(())
    /// ```
    pub fn configured(
        &'static self,
        name: &str,
        buckets: Option<&[f64]>,
    ) -> Result<&'static Descriptor, DescriptorError> {
        let buckets = buckets.unwrap_or(self.buckets);
        check(self.kind, name, buckets, self.native)?;
        let mut configured = CONFIGURED.lock();
        let same = |d: &&&'static Descriptor| {
            d.name == name
                && d.buckets == buckets
                && Descriptor {
                    name: self.name,
                    buckets: self.buckets,
                    ..***d
                } == *self
        };
        if let Some(found) = configured.iter().find(same) {
            return Ok(*found);
        }
        let made: &'static Descriptor = Box::leak(Box::new(Descriptor {
            name: Box::leak(name.into()),
            buckets: Box::leak(buckets.into()),
            ..*self
        }));
        configured.push(made);
        Ok(made)
    }

    /// Checks that this descriptor can expose a family declared as
    /// `declared`: a valid name and buckets, and the declared kind, labels,
    /// exposure and native buckets.
    pub fn check_replaces(&self, declared: &Descriptor) -> Result<(), DescriptorError> {
        check(self.kind, self.name, self.buckets, self.native)?;
        if self.kind != declared.kind
            || self.labels != declared.labels
            || self.expose != declared.expose
            || self.native != declared.native
        {
            return Err(DescriptorError::Mismatch {
                name: self.name.to_owned(),
                declared: declared.name.to_owned(),
            });
        }
        Ok(())
    }
}

/// The rules the derive checks at compile time, for names and buckets
/// given at run time.
fn check(
    kind: MetricKind,
    name: &str,
    buckets: &[f64],
    native: Option<Native>,
) -> Result<(), DescriptorError> {
    let mut chars = name.chars();
    let name_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    if !name_ok {
        return Err(DescriptorError::Name(name.to_owned()));
    }
    if (kind == MetricKind::Counter) != name.ends_with("_total") {
        return Err(DescriptorError::Total(name.to_owned()));
    }
    let buckets_ok = match kind {
        MetricKind::Histogram => {
            (!buckets.is_empty() || native.is_some())
                && buckets.iter().all(|b| b.is_finite())
                && buckets.windows(2).all(|pair| pair[0] < pair[1])
        }
        MetricKind::Counter | MetricKind::Gauge => buckets.is_empty(),
    };
    if !buckets_ok {
        return Err(DescriptorError::Buckets(buckets.to_owned()));
    }
    Ok(())
}
