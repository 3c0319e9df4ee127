//! Writing a registry out in a text format (or, with the `protobuf`
//! feature, Prometheus' protobuf format), and choosing the format the way
//! Prometheus servers and `client_golang` negotiate it.

use std::fmt;

use prometheus_client::encoding::{prometheus_text, text};
use prometheus_client::registry::Registry;

use crate::LabelEnum;

/// An exposition format; as a label value, `prometheus`, `openmetrics` or
/// `protobuf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The Prometheus text format, version 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0 text, ending in `# EOF`.
    OpenMetrics,
    /// Prometheus' protobuf format, length-delimited `MetricFamily`
    /// messages: the one that carries native histograms.
    #[cfg(feature = "protobuf")]
    Protobuf,
}

impl LabelEnum for Format {
    #[cfg(feature = "protobuf")]
    const VALUES: &'static [&'static str] = &["prometheus", "openmetrics", "protobuf"];
    #[cfg(not(feature = "protobuf"))]
    const VALUES: &'static [&'static str] = &["prometheus", "openmetrics"];

    fn index(&self) -> usize {
        match self {
            Format::Prometheus => 0,
            Format::OpenMetrics => 1,
            #[cfg(feature = "protobuf")]
            Format::Protobuf => 2,
        }
    }
}

/// The media type of Prometheus' protobuf format.
const PROTOBUF: &str = "application/vnd.google.protobuf";

impl Format {
    /// The `Content-Type` of a response in this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => prometheus_text::CONTENT_TYPE,
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            #[cfg(feature = "protobuf")]
            Format::Protobuf => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            }
        }
    }

    /// Every format this build can write, in the order it prefers them.
    pub const ALL: &'static [Format] = &[
        #[cfg(feature = "protobuf")]
        Format::Protobuf,
        Format::OpenMetrics,
        Format::Prometheus,
    ];

    /// The format to answer a request with this `Accept` header, falling
    /// back to the Prometheus text format, which every scraper reads, when
    /// the header names neither ([`Format::negotiate`] tells those apart).
    ///
    /// ```
    /// use aigateway_metrics::Format;
    /// // What Prometheus 2.x sends by default.
    /// let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
    ///               version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    /// assert_eq!(Format::from_accept(accept), Format::OpenMetrics);
    /// assert_eq!(Format::from_accept("text/plain"), Format::Prometheus);
    /// assert_eq!(Format::from_accept(""), Format::Prometheus);
    /// assert_eq!(Format::from_accept("application/json"), Format::Prometheus);
    /// ```
    pub fn from_accept(accept: &str) -> Format {
        Format::negotiate(accept).unwrap_or(Format::Prometheus)
    }

    /// The format to answer a request with this `Accept` header, or `None`
    /// when the header allows neither (an HTTP 406).
    ///
    /// Media ranges are taken by falling quality (`q`), in the order given
    /// among equals; ranges with `q=0` or a malformed `q` are skipped. The
    /// first `application/openmetrics-text` (version `1.0.0`, `0.0.1` or none)
    /// or `text/plain` (version `0.0.4` or none) decides; with the
    /// `protobuf` feature, so does `application/vnd.google.protobuf` with
    /// `proto=io.prometheus.client.MetricFamily` and `encoding=delimited`. When none does, a
    /// wildcard (`*/*`, `text/*`, `application/*`) or an empty header gets
    /// the Prometheus text format; otherwise there is no format to answer
    /// with.
    ///
    /// ```
    /// use aigateway_metrics::Format;
    /// assert_eq!(Format::negotiate("application/json, */*;q=0.1"), Some(Format::Prometheus));
    /// assert_eq!(Format::negotiate("application/json"), None);
    /// assert_eq!(Format::negotiate("text/plain;version=2.0.0"), None);
    /// assert_eq!(Format::negotiate(""), Some(Format::Prometheus));
    /// ```
    pub fn negotiate(accept: &str) -> Option<Format> {
        if accept.trim().is_empty() {
            return Some(Format::Prometheus);
        }
        let mut wildcard = false;
        let mut ranges: Vec<(f32, Format)> = Vec::new();
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media_type = parts.next().unwrap_or("").trim();
            let (mut q, mut version) = (Some(1.0f32), None);
            let (mut proto, mut encoding) = (None, None);
            for param in parts {
                let Some((key, value)) = param.split_once('=') else {
                    q = None;
                    break;
                };
                let value = value.trim().trim_matches('"');
                match key.trim().to_ascii_lowercase().as_str() {
                    "q" => q = value.parse().ok().filter(|q: &f32| (0.0..=1.0).contains(q)),
                    "version" => version = Some(value),
                    "proto" => proto = Some(value),
                    "encoding" => encoding = Some(value),
                    _ => {}
                }
            }
            let Some(q) = q.filter(|q| *q > 0.0) else {
                continue;
            };
            let is = |name: &str| media_type.eq_ignore_ascii_case(name);
            if is("application/openmetrics-text")
                && matches!(version, None | Some("1.0.0" | "0.0.1"))
            {
                ranges.push((q, Format::OpenMetrics));
            } else if is("text/plain") && matches!(version, None | Some("0.0.4")) {
                ranges.push((q, Format::Prometheus));
            } else if is(PROTOBUF)
                && matches!(proto, None | Some("io.prometheus.client.MetricFamily"))
                && matches!(encoding, None | Some("delimited"))
            {
                // Without the feature, a range this build cannot answer.
                #[cfg(feature = "protobuf")]
                ranges.push((q, Format::Protobuf));
            } else if is("*/*") || is("text/*") || is("application/*") {
                wildcard = true;
            }
        }
        // Stable: equal qualities keep the order they were given in.
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        match ranges.first() {
            Some((_, format)) => Some(*format),
            None => wildcard.then_some(Format::Prometheus),
        }
    }
}

/// Writes every family of `registry` in a text `format`.
///
/// # Panics
///
/// With [`Format::Protobuf`], which is not text: use [`encode_bytes`].
pub fn encode_to(writer: &mut impl fmt::Write, registry: &Registry, format: Format) -> fmt::Result {
    crate::stats::start_pass();
    match format {
        Format::Prometheus => prometheus_text::encode(writer, registry),
        Format::OpenMetrics => text::encode(writer, registry),
        #[cfg(feature = "protobuf")]
        Format::Protobuf => panic!("the protobuf format is bytes: use encode_bytes"),
    }
}

/// Every family of `registry` in a text `format`, as a string.
///
/// # Panics
///
/// With [`Format::Protobuf`], which is not text: use [`encode_bytes`].
pub fn encode(registry: &Registry, format: Format) -> String {
    let mut out = String::new();
    encode_to(&mut out, registry, format).expect("writing to a String cannot fail");
    out
}

/// Every family of `registry` in `format`, as the bytes of a response
/// body; an error when a collector fails.
pub fn encode_bytes(registry: &Registry, format: Format) -> Result<Vec<u8>, fmt::Error> {
    match format {
        #[cfg(feature = "protobuf")]
        Format::Protobuf => {
            use prometheus_client::encoding::prometheus_protobuf;
            crate::stats::start_pass();
            prometheus_protobuf::encode_to_vec(registry).map_err(|_| fmt::Error)
        }
        text => {
            let mut out = String::new();
            encode_to(&mut out, registry, text)?;
            Ok(out.into_bytes())
        }
    }
}
