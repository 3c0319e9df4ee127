//! A family's series written out through prometheus-client's encoders.

use std::fmt;
use std::sync::atomic::Ordering::Relaxed;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabel, EncodeLabelSet, LabelSetEncoder,
};

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
        let mut entries: Vec<(&[Box<str>; K], &[C])> =
            series.iter().map(|s| (&s.key, &*s.cells)).collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let no_key: [Box<str>; K] = std::array::from_fn(|_| Box::from(""));
        if K == 0 {
            entries.push((&no_key, &inner.fixed));
        }
        let overflow_key: [Box<str>; K] = std::array::from_fn(|_| Box::from(OVERFLOW));
        if inner.overflow_used.load(Relaxed) {
            entries.push((&overflow_key, &inner.overflow));
        }
        for (key, cells) in entries {
            for (index, cell) in cells.iter().enumerate() {
                if desc.labels.is_empty() {
                    cell.encode(inner.config, desc, &mut metric)?;
                } else {
                    let labels = Labels { desc, key, index };
                    cell.encode(inner.config, desc, &mut metric.encode_family(&labels)?)?;
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
