//! Writing a registry out in either text format, and choosing the format the
//! way Prometheus servers and `client_golang` negotiate it.

use std::fmt;

use prometheus_client::encoding::{prometheus_text, text};
use prometheus_client::registry::Registry;

use crate::LabelValue;

/// An exposition format; as a label value, `prometheus` or `openmetrics`.
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The Prometheus text format, version 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0 text, ending in `# EOF`.
    #[label(rename = "openmetrics")]
    OpenMetrics,
}

impl Format {
    /// The `Content-Type` of a response in this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => prometheus_text::CONTENT_TYPE,
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

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
    /// or `text/plain` (version `0.0.4` or none) decides. When none does, a
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
            for param in parts {
                let Some((key, value)) = param.split_once('=') else {
                    q = None;
                    break;
                };
                let value = value.trim().trim_matches('"');
                match key.trim().to_ascii_lowercase().as_str() {
                    "q" => q = value.parse().ok().filter(|q: &f32| (0.0..=1.0).contains(q)),
                    "version" => version = Some(value),
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

/// Writes every family of `registry` in `format`.
pub fn encode_to(writer: &mut impl fmt::Write, registry: &Registry, format: Format) -> fmt::Result {
    crate::stats::start_pass();
    match format {
        Format::Prometheus => prometheus_text::encode(writer, registry),
        Format::OpenMetrics => text::encode(writer, registry),
    }
}

/// Every family of `registry` in `format`, as a string.
pub fn encode(registry: &Registry, format: Format) -> String {
    let mut out = String::new();
    encode_to(&mut out, registry, format).expect("writing to a String cannot fail");
    out
}
