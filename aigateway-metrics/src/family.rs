//! The series of one family, and their encoding through prometheus-client.
//!
//! A family maps each combination of open-set label values (tenant, model,
//! ...) to an array of cells, one per combination of closed-set values
//! (status, error type, ...). Recording looks up the open-set values without
//! allocating, then touches one cell. Every cell of a combination is exposed,
//! so the closed-set values of a known tenant show up at zero rather than
//! missing.

use std::fmt;
use std::sync::Arc;

use hashbrown::{Equivalent, HashMap};
use parking_lot::RwLock;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabel, EncodeLabelSet};
use prometheus_client::registry::Registry;

use crate::cell::Cell;
use crate::descriptor::Descriptor;

/// The storage behind a family handle. Cheap to clone: clones share series.
pub struct Family<C: Cell, const K: usize> {
    inner: Arc<Inner<C, K>>,
}

struct Inner<C: Cell, const K: usize> {
    desc: &'static Descriptor,
    config: C::Config,
    cells_per_series: usize,
    series: RwLock<HashMap<Key<K>, Arc<[C]>>>,
}

/// The open-set values of a series, owned.
#[derive(PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key<const K: usize>([Box<str>; K]);

/// The open-set values of a series, borrowed from the caller. It hashes as
/// [`Key`] does (an array of strings), so a lookup needs no allocation.
#[derive(Hash)]
struct KeyRef<'a, const K: usize>([&'a str; K]);

impl<const K: usize> Equivalent<Key<K>> for KeyRef<'_, K> {
    fn equivalent(&self, key: &Key<K>) -> bool {
        self.0.iter().zip(&key.0).all(|(a, b)| *a == &**b)
    }
}

impl<const K: usize> From<&KeyRef<'_, K>> for Key<K> {
    fn from(key: &KeyRef<'_, K>) -> Self {
        Key(key.0.map(Box::from))
    }
}

impl<C: Cell, const K: usize> Family<C, K> {
    /// An empty family.
    pub fn new(desc: &'static Descriptor, config: C::Config) -> Self {
        let open = desc.labels.iter().filter(|l| l.values.is_none()).count();
        assert_eq!(open, K, "{}: descriptor and storage disagree", desc.name);
        let family = Family {
            inner: Arc::new(Inner {
                desc,
                config,
                cells_per_series: desc.cells_per_series(),
                series: RwLock::new(HashMap::new()),
            }),
        };
        if K == 0 {
            // A family of closed sets only is a fixed set of series: expose
            // them all from the start.
            family.series([""; K]);
        }
        family
    }

    /// The family's descriptor.
    pub fn descriptor(&self) -> &'static Descriptor {
        self.inner.desc
    }

    /// Calls `f` with cell `index` of the series of `key`, creating the
    /// series if it does not exist yet.
    #[inline]
    pub fn with<R>(&self, key: [&str; K], index: usize, f: impl FnOnce(&C) -> R) -> R {
        if let Some(cells) = self.inner.series.read().get(&KeyRef(key)) {
            return f(&cells[index]);
        }
        f(&self.series(key)[index])
    }

    /// The cells of the series of `key`, created if need be; for guards and
    /// timers, which outlive the lookup.
    pub fn series(&self, key: [&str; K]) -> Arc<[C]> {
        if let Some(cells) = self.inner.series.read().get(&KeyRef(key)) {
            return Arc::clone(cells);
        }
        let desc = self.inner.desc;
        let mut series = self.inner.series.write();
        let cells = series.entry_ref(&KeyRef(key)).or_insert_with(|| {
            (0..self.inner.cells_per_series)
                .map(|_| C::new(desc))
                .collect()
        });
        Arc::clone(cells)
    }

    /// Registers the family, so that encoding the registry exposes it.
    pub fn register(&self, registry: &mut Registry) {
        registry.register_collector(Box::new(Family {
            inner: Arc::clone(&self.inner),
        }));
    }
}

impl<C: Cell, const K: usize> Clone for Family<C, K> {
    fn clone(&self) -> Self {
        Family {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<C: Cell, const K: usize> fmt::Debug for Family<C, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("name", &self.inner.desc.name)
            .field("series", &self.inner.series.read().len())
            .finish()
    }
}

impl<C: Cell, const K: usize> Collector for Family<C, K> {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let Inner { desc, config, .. } = *self.inner;
        let mut metric = encoder.encode_descriptor(
            desc.base_name(),
            desc.help,
            None,
            desc.kind.metric_type(),
        )?;
        let series = self.inner.series.read();
        // Sorted, so that the exposition is the same from scrape to scrape.
        let mut entries: Vec<_> = series.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (key, cells) in entries {
            for (index, cell) in cells.iter().enumerate() {
                if desc.labels.is_empty() {
                    cell.encode(config, desc, &mut metric)?;
                } else {
                    let labels = Labels {
                        desc,
                        key: &key.0,
                        index,
                    };
                    cell.encode(config, desc, &mut metric.encode_family(&labels)?)?;
                }
            }
        }
        Ok(())
    }
}

/// The labels of one cell: open-set values from the key, closed-set values
/// from the cell's index, in the order the family declares them.
struct Labels<'a, const K: usize> {
    desc: &'static Descriptor,
    key: &'a [Box<str>; K],
    index: usize,
}

impl<const K: usize> EncodeLabelSet for Labels<'_, K> {
    fn encode(&self, encoder: &mut prometheus_client::encoding::LabelSetEncoder) -> fmt::Result {
        let mut open = self.key.iter();
        // The index is a number in mixed radix, the last closed label's digit
        // last: take the digits from the right.
        let mut rest = self.index;
        let mut closed: Vec<&str> = Vec::new();
        for values in self.desc.labels.iter().rev().filter_map(|l| l.values) {
            closed.push(values[rest % values.len()]);
            rest /= values.len();
        }
        for label in self.desc.labels {
            let value: &str = match label.values {
                None => open.next().expect("one key value per open label"),
                Some(_) => closed.pop().expect("one digit per closed label"),
            };
            (label.name, value).encode(encoder.encode_label())?;
        }
        Ok(())
    }
}
