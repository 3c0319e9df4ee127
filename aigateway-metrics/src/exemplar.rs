//! Exemplars: the trace a record came from, kept beside the cell it went
//! to and exposed in OpenMetrics, where Prometheus (with
//! `--enable-feature=exemplar-storage`) stores them and Grafana links a
//! latency panel's points to their traces.
//!
//! A series keeps one exemplar per counter cell and per histogram bucket:
//! the latest recorded with one. Their storage is made on a series' first
//! record with an exemplar, so that series and records without one cost
//! nothing more; after that, a record with an exemplar takes the series'
//! exemplar lock for a copy of 40 bytes and allocates nothing.

use std::fmt;
use std::time::SystemTime;

use parking_lot::Mutex;
use prometheus_client::encoding::{EncodeLabelSet, LabelSetEncoder};
use prometheus_client::metrics::exemplar::{CounterWithExemplar, Exemplar as Encoded};

/// The trace and span a record was made in: a W3C trace context's ids,
/// exposed as the exemplar's `trace_id` and `span_id` labels in lowercase
/// hex (63 characters with the names, within OpenMetrics' 128).
///
/// ```
/// use aigateway_metrics::Exemplar;
///
/// let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// let exemplar = Exemplar::from_traceparent(header).unwrap();
/// assert_eq!(exemplar.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736/00f067aa0ba902b7");
/// // Not sampled: its trace is not kept, so there is nothing to link to.
/// assert_eq!(Exemplar::from_traceparent(&header.replace("-01", "-00")), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Exemplar {
    trace_id: [u8; 16],
    span_id: [u8; 8],
}

impl Exemplar {
    /// The exemplar of a trace and span id; `None` if either is all zeros,
    /// which W3C trace context and OpenTelemetry read as no trace.
    pub fn new(trace_id: [u8; 16], span_id: [u8; 8]) -> Option<Exemplar> {
        let valid = trace_id != [0; 16] && span_id != [0; 8];
        valid.then_some(Exemplar { trace_id, span_id })
    }

    /// The exemplar of a W3C `traceparent` header
    /// (`version-traceid-spanid-flags`), if it is well formed, of version
    /// `00` or a later one, and sampled: a trace not sampled is not kept
    /// by the tracing backend, so an exemplar could not link to it.
    pub fn from_traceparent(header: &str) -> Option<Exemplar> {
        let mut parts = header.trim().split('-');
        let version = parts.next().filter(|v| v.len() == 2)?;
        let trace_id = hex::<16>(parts.next()?)?;
        let span_id = hex::<8>(parts.next()?)?;
        let flags = hex::<1>(parts.next()?)?[0];
        let version = hex::<1>(version)?[0];
        // Version ff is invalid; 00 has exactly four parts, later versions
        // may add more.
        if version == 0xff || (version == 0 && parts.next().is_some()) {
            return None;
        }
        Exemplar::new(trace_id, span_id).filter(|_| flags & 1 == 1)
    }

    /// The trace id.
    pub fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    /// The span id.
    pub fn span_id(&self) -> [u8; 8] {
        self.span_id
    }
}

#[cfg(feature = "opentelemetry")]
impl Exemplar {
    /// The exemplar of the span in `context`, if it has one that is valid
    /// and sampled. With `tracing` and `tracing-opentelemetry`, a tracing
    /// span's is `Exemplar::from_context(&span.context())`
    /// (`OpenTelemetrySpanExt`).
    pub fn from_context(context: &opentelemetry::Context) -> Option<Exemplar> {
        use opentelemetry::trace::TraceContextExt;
        let span = context.span();
        let span = span.span_context();
        if !(span.is_valid() && span.is_sampled()) {
            return None;
        }
        Exemplar::new(span.trace_id().to_bytes(), span.span_id().to_bytes())
    }

    /// The exemplar of the current OpenTelemetry context's span, if it is
    /// valid and sampled; see [`Exemplar::from_context`].
    pub fn current() -> Option<Exemplar> {
        Exemplar::from_context(&opentelemetry::Context::current())
    }
}

/// `trace_id/span_id`, in lowercase hex.
impl fmt::Display for Exemplar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let labels = TraceLabels::of(self);
        write!(f, "{}/{}", labels.trace_id(), labels.span_id())
    }
}

impl fmt::Debug for Exemplar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Exemplar({self})")
    }
}

/// `N` bytes from exactly `2 * N` hex digits, either case.
fn hex<const N: usize>(digits: &str) -> Option<[u8; N]> {
    let digits = digits.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let nibble = |d: u8| (d as char).to_digit(16).map(|n| n as u8);
    let mut bytes = [0; N];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(bytes)
}

/// An exemplar as recorded: the trace, the value recorded with it, when.
/// Public only for the cells' trait, in a private module.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    exemplar: Exemplar,
    value: f64,
    at: SystemTime,
}

impl Sample {
    /// `value`, recorded now with `exemplar`.
    pub(crate) fn now(exemplar: &Exemplar, value: f64) -> Sample {
        Sample {
            exemplar: *exemplar,
            value,
            at: SystemTime::now(),
        }
    }

    /// The exemplar in prometheus-client's type, for its encoders.
    pub(crate) fn encoded(&self) -> Encoded<TraceLabels, f64> {
        // prometheus-client makes its `Exemplar` only inside its own
        // metrics: the one public way to get one is a counter's, by
        // reference. The copy taken of it is sound because the type owns
        // nothing (no drop glue, checked at compile time), so the counter
        // and the copy can both be dropped.
        const { assert!(!std::mem::needs_drop::<Encoded<TraceLabels, f64>>()) };
        let counter = CounterWithExemplar::<TraceLabels, f64>::default();
        counter.inc_by(
            self.value,
            Some(TraceLabels::of(&self.exemplar)),
            Some(self.at),
        );
        let (_, exemplar) = counter.get();
        let exemplar: &Encoded<TraceLabels, f64> = exemplar.as_ref().expect("just set");
        // SAFETY: `exemplar` is a valid, initialized value, read once; its
        // type has no drop glue and no invariant tied to where it lives.
        unsafe { std::ptr::read(exemplar) }
    }
}

/// The latest exemplar of each slot of a series (a counter cell, or a
/// histogram cell's bucket), made on its first record with one.
#[derive(Debug)]
pub(crate) struct Exemplars(Mutex<Box<[Option<Sample>]>>);

impl Exemplars {
    /// `slots` slots, empty.
    pub(crate) fn new(slots: usize) -> Exemplars {
        Exemplars(Mutex::new(vec![None; slots].into_boxed_slice()))
    }

    /// Keeps `sample` as slot `slot`'s latest.
    pub(crate) fn set(&self, slot: usize, sample: Sample) {
        self.0.lock()[slot] = Some(sample);
    }

    /// Calls `f` with every slot.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&[Option<Sample>]) -> R) -> R {
        f(&self.0.lock())
    }
}

/// An exemplar's labels: `trace_id` and `span_id`, as hex digits.
#[derive(Debug)]
pub(crate) struct TraceLabels {
    trace_id: [u8; 32],
    span_id: [u8; 16],
}

impl TraceLabels {
    fn of(exemplar: &Exemplar) -> TraceLabels {
        TraceLabels {
            trace_id: to_hex(exemplar.trace_id),
            span_id: to_hex(exemplar.span_id),
        }
    }

    fn trace_id(&self) -> &str {
        std::str::from_utf8(&self.trace_id).expect("hex digits")
    }

    fn span_id(&self) -> &str {
        std::str::from_utf8(&self.span_id).expect("hex digits")
    }
}

/// `N` bytes as `M = 2 * N` lowercase hex digits.
fn to_hex<const N: usize, const M: usize>(bytes: [u8; N]) -> [u8; M] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0; M];
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
    out
}

impl EncodeLabelSet for TraceLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> fmt::Result {
        use prometheus_client::encoding::EncodeLabel;
        ("trace_id", self.trace_id()).encode(encoder.encode_label())?;
        ("span_id", self.span_id()).encode(encoder.encode_label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_is_read_as_w3c_defines_it() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        let span = "00f067aa0ba902b7";
        let good = Exemplar::from_traceparent(&format!("00-{id}-{span}-01")).unwrap();
        assert_eq!(good.to_string(), format!("{id}/{span}"));
        // Upper case digits, other flags beside sampled, a later version
        // with more parts: all read.
        let upper = format!("00-{}-{}-03", id.to_uppercase(), span.to_uppercase());
        assert_eq!(Exemplar::from_traceparent(&upper), Some(good));
        assert_eq!(
            Exemplar::from_traceparent(&format!("01-{id}-{span}-01-extra")),
            Some(good)
        );
        for bad in [
            format!("00-{id}-{span}-00"),
            format!("00-{id}-{span}-01-extra"),
            format!("ff-{id}-{span}-01"),
            format!("00-{}-{span}-01", "0".repeat(32)),
            format!("00-{id}-{}-01", "0".repeat(16)),
            format!("00-{id}-{span}"),
            format!("00-{}-{span}-01", &id[1..]),
            format!("00-{id}-{span}-0g"),
            format!("00-{id}x-{span}-01"),
            String::new(),
        ] {
            assert_eq!(Exemplar::from_traceparent(&bad), None, "{bad}");
        }
    }
}
