//! What the library says about itself: how many records went to a family's
//! overflow series, and how many values were rejected. Exposed as
//! `aigateway_metrics_series_overflow_total{family}` and
//! `aigateway_metrics_rejected_values_total{family,reason}`.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::value::{Reason, ValueError};

/// The library's counts about one family.
#[derive(Debug)]
pub struct FamilyStats {
    name: &'static str,
    overflowed: AtomicU64,
    rejected: [AtomicU64; Reason::ALL.len()],
}

impl FamilyStats {
    pub(crate) fn new(name: &'static str) -> FamilyStats {
        FamilyStats {
            name,
            overflowed: AtomicU64::new(0),
            rejected: Default::default(),
        }
    }

    /// The family's metric name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Records that went to the overflow series because the family was full.
    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Relaxed)
    }

    /// Values rejected for `reason`.
    pub fn rejected(&self, reason: Reason) -> u64 {
        self.rejected[reason as usize].load(Relaxed)
    }

    pub(crate) fn count_overflow(&self) {
        self.overflowed.fetch_add(1, Relaxed);
    }

    pub(crate) fn count_rejected(&self, error: &ValueError) {
        self.rejected[error.reason as usize].fetch_add(1, Relaxed);
    }
}

/// Registers a family's collector into `registry`, with what writes the
/// self-metrics of every family encoded before it.
///
/// A self-metric family may appear only once in an exposition, whatever the
/// number of families and groups registered, and prometheus-client's
/// registry cannot be asked what it already holds. So each family's
/// collector notes its stats on the encoding thread as it is encoded, and
/// each registration adds a [`SelfMetrics`] in a sub-registry of its own,
/// with the parent's prefix and labels: sub-registries are encoded after
/// every collector of their parent, so the first `SelfMetrics` of a pass
/// writes the stats of all the families before it, and the others find
/// nothing left to write.
pub(crate) fn register(registry: &mut Registry, collector: Box<dyn Collector>) {
    registry.register_collector(collector);
    registry
        .sub_registry_with_labels(std::iter::empty())
        .register_collector(Box::new(SelfMetrics));
}

thread_local! {
    /// The stats of the families encoded on this thread since the last
    /// self-metrics were written.
    static ENCODED: RefCell<Vec<Arc<FamilyStats>>> = const { RefCell::new(Vec::new()) };
}

/// Notes that the family of `stats` is being encoded, for the self-metrics
/// that follow it; false if it already was in this pass (registered twice),
/// when it must not be written again.
///
/// A pass whose writer failed leaves its notes until the next self-metrics
/// or [`start_pass`]: a family it noted is then left out of the next pass
/// on this thread, if that pass runs through prometheus-client's encoders
/// directly, rather than [`crate::encode`].
pub(crate) fn note_encoded(stats: &Arc<FamilyStats>) -> bool {
    ENCODED
        .try_with(|encoded| {
            let mut encoded = encoded.borrow_mut();
            let first = !encoded.iter().any(|s| Arc::ptr_eq(s, stats));
            if first {
                encoded.push(Arc::clone(stats));
            }
            first
        })
        .unwrap_or(true)
}

/// Forgets what an earlier pass on this thread noted; called before a pass.
pub(crate) fn start_pass() {
    let _ = ENCODED.try_with(|encoded| encoded.borrow_mut().clear());
}

/// Writes the self-metrics of the families encoded before it in this pass,
/// if no earlier `SelfMetrics` of the pass has.
#[derive(Debug)]
struct SelfMetrics;

impl Collector for SelfMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let families = ENCODED
            .try_with(|encoded| std::mem::take(&mut *encoded.borrow_mut()))
            .unwrap_or_default();
        if families.is_empty() {
            return Ok(());
        }
        let mut overflow = encoder.encode_descriptor(
            "aigateway_metrics_series_overflow",
            "Records that went to a family's overflow series because the family had reached its series limit.",
            None,
            MetricType::Counter,
        )?;
        for stats in &families {
            let labels = [("family", stats.name)];
            overflow
                .encode_family(&labels)?
                .encode_counter::<NoLabelSet, _, f64>(&stats.overflowed(), None)?;
        }
        let mut rejected = encoder.encode_descriptor(
            "aigateway_metrics_rejected_values",
            "Values rejected by a family (NaN, infinite, negative or too large), which changed nothing.",
            None,
            MetricType::Counter,
        )?;
        for stats in &families {
            for reason in Reason::ALL {
                let labels = [("family", stats.name), ("reason", reason.label())];
                rejected
                    .encode_family(&labels)?
                    .encode_counter::<NoLabelSet, _, f64>(&stats.rejected(reason), None)?;
            }
        }
        Ok(())
    }
}
