//! Writing a registry out in either text format, and choosing the format the
//! way Prometheus servers and `client_golang` negotiate it.

use std::fmt;

use prometheus_client::encoding::{prometheus_text, text};
use prometheus_client::registry::Registry;

/// An exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The Prometheus text format, version 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0 text, ending in `# EOF`.
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

    /// The format to answer a request with this `Accept` header.
    ///
    /// Media ranges are taken by falling quality (`q`), in the order given
    /// among equals; ranges with `q=0` or a malformed `q` are skipped. The
    /// first `application/openmetrics-text` (version `1.0.0`, `0.0.1` or none)
    /// or `text/plain` (version `0.0.4` or none) decides; when none does, the
    /// answer is the Prometheus text format, which every scraper reads.
    ///
    /// ```
    /// use aigateway_metrics::Format;
    /// // What Prometheus 2.x sends by default.
    /// let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
    ///               version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    /// assert_eq!(Format::from_accept(accept), Format::OpenMetrics);
    /// assert_eq!(Format::from_accept("text/plain"), Format::Prometheus);
    /// assert_eq!(Format::from_accept(""), Format::Prometheus);
    /// ```
    pub fn from_accept(accept: &str) -> Format {
        let mut ranges: Vec<(f32, Option<Format>)> = accept
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';');
                let media_type = parts.next()?.trim();
                let (mut q, mut version) = (1.0f32, None);
                for param in parts {
                    let (key, value) = param.split_once('=')?;
                    let value = value.trim().trim_matches('"');
                    match key.trim().to_ascii_lowercase().as_str() {
                        "q" => {
                            q = value
                                .parse()
                                .ok()
                                .filter(|q: &f32| (0.0..=1.0).contains(q))?
                        }
                        "version" => version = Some(value),
                        _ => {}
                    }
                }
                let format = if media_type.eq_ignore_ascii_case("application/openmetrics-text")
                    && matches!(version, None | Some("1.0.0" | "0.0.1"))
                {
                    Some(Format::OpenMetrics)
                } else if media_type.eq_ignore_ascii_case("text/plain")
                    && matches!(version, None | Some("0.0.4"))
                {
                    Some(Format::Prometheus)
                } else {
                    None
                };
                (q > 0.0).then_some((q, format))
            })
            .collect();
        // Stable: equal qualities keep the order they were given in.
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges
            .into_iter()
            .find_map(|(_, format)| format)
            .unwrap_or(Format::Prometheus)
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
