//! A family's series written out through prometheus-client's encoders.

use std::fmt;
use std::sync::atomic::Ordering::Relaxed;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabel, EncodeLabelSet, LabelSetEncoder,
};

use super::{Family, OVERFLOW};
use crate::cell::Cell;
use crate::descriptor::{Descriptor, Expose};
use crate::exemplar::Sample;
use crate::series::{Series, SeriesExt};

impl<C: Cell, const K: usize> Collector for Family<C, K> {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        self.expire_idle();
        let inner = &*self.inner;
        if !crate::stats::note_encoded(&inner.stats) {
            return Ok(());
        }
        let desc = inner.desc;
        let mut metric = encoder.encode_descriptor(
            desc.base_name(),
            desc.help,
            None,
            desc.kind.metric_type(),
        )?;
        inner.series.with_all(|all| {
            // Every key's bytes in one buffer, and where each value ends.
            let mut bytes = Vec::new();
            let ends: Vec<[usize; K]> = all.iter().map(|s| s.key_into(&mut bytes)).collect();
            let bytes = std::str::from_utf8(&bytes).expect("keys made from `&str`s");
            let mut start = 0;
            let mut entries: Vec<(&Series, [&str; K])> = all
                .iter()
                .zip(&ends)
                .map(|(series, ends)| {
                    let key = std::array::from_fn(|i| {
                        let value = &bytes[start..ends[i]];
                        start = ends[i];
                        value
                    });
                    (*series, key)
                })
                .collect();
            // Sorted, so that the exposition is the same from scrape to scrape.
            entries.sort_unstable_by(|a, b| a.1.cmp(&b.1));
            if K == 0 {
                entries.push((&inner.fixed, [""; K]));
            }
            if inner.overflow_used.load(Relaxed) {
                entries.push((&inner.overflow, [OVERFLOW; K]));
            }
            let slots = C::exemplar_slots(desc);
            for (series, key) in entries {
                let mut encode_cells = |exemplars: &[Option<Sample>]| -> fmt::Result {
                    for index in 0..inner.cells_per_series {
                        if desc.expose == Expose::Recorded && !series.was_recorded(index) {
                            continue;
                        }
                        let word = index * inner.cell_words;
                        let words = series
                            .cells_and_stripes()
                            .map(|words| &words[word..word + inner.cell_words]);
                        let exemplars = exemplars
                            .get(index * slots..(index + 1) * slots)
                            .unwrap_or_default();
                        let native = series.native(index);
                        if desc.labels.is_empty() {
                            C::encode(words, exemplars, native, inner.config, desc, &mut metric)?;
                        } else {
                            let labels = Labels { desc, key, index };
                            let mut family = metric.encode_family(&labels)?;
                            C::encode(words, exemplars, native, inner.config, desc, &mut family)?;
                        }
                    }
                    Ok(())
                };
                match series.exemplars() {
                    Some(exemplars) => exemplars.with(encode_cells)?,
                    None => encode_cells(&[])?,
                }
            }
            Ok(())
        })
    }
}

/// The labels of one cell: open-set values from the key, closed-set values
/// from the cell's index, in the order the family declares them.
struct Labels<'a, const K: usize> {
    desc: &'static Descriptor,
    key: [&'a str; K],
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
