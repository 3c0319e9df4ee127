//! A family's series written out through prometheus-client's encoders.

use std::fmt;
use std::sync::atomic::Ordering::Relaxed;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabel, EncodeLabelSet, LabelSetEncoder,
};

use super::shard::CellSet;
use super::{Family, OVERFLOW};
use crate::cell::Cell;
use crate::descriptor::Descriptor;

impl<C: Cell, const K: usize> Collector for Family<C, K> {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        self.expire_idle();
        let inner = &*self.inner;
        let desc = inner.desc;
        let mut metric = encoder.encode_descriptor(
            desc.base_name(),
            desc.help,
            None,
            desc.kind.metric_type(),
        )?;
        let series = inner.series.read();
        // Sorted, so that the exposition is the same from scrape to scrape.
        let mut entries: Vec<Entry<C, K>> = series
            .iter()
            .map(|s| Entry {
                key: &s.key,
                cells: &s.cells,
            })
            .collect();
        entries.sort_unstable_by(|a, b| a.key.cmp(b.key));
        let no_key: [Box<str>; K] = std::array::from_fn(|_| Box::from(""));
        if K == 0 {
            entries.push(Entry {
                key: &no_key,
                cells: &inner.fixed,
            });
        }
        let overflow_key: [Box<str>; K] = std::array::from_fn(|_| Box::from(OVERFLOW));
        if inner.overflow_used.load(Relaxed) {
            entries.push(Entry {
                key: &overflow_key,
                cells: &inner.overflow,
            });
        }
        for Entry { key, cells } in entries {
            for (index, cell) in cells.shared.iter().enumerate() {
                // The cell and every thread's copy of it.
                let all = std::iter::once(cell).chain(cells.copies().map(|c| &c[index]));
                if desc.labels.is_empty() {
                    C::encode(all, inner.config, desc, &mut metric)?;
                } else {
                    let labels = Labels { desc, key, index };
                    C::encode(all, inner.config, desc, &mut metric.encode_family(&labels)?)?;
                }
            }
        }
        Ok(())
    }
}

/// A series to write out: its key, and its cells with the recording
/// threads' copies of them.
struct Entry<'a, C, const K: usize> {
    key: &'a [Box<str>; K],
    cells: &'a CellSet<C>,
}

/// The labels of one cell: open-set values from the key, closed-set values
/// from the cell's index, in the order the family declares them.
struct Labels<'a, const K: usize> {
    desc: &'static Descriptor,
    key: &'a [Box<str>; K],
    index: usize,
}

impl<const K: usize> EncodeLabelSet for Labels<'_, K> {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> fmt::Result {
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
