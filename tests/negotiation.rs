//! Choosing the exposition format from `Accept`, as Prometheus negotiates.

use aigateway_metrics::Format;

#[test]
fn accept_headers() {
    let cases = [
        // Prometheus 2.x's default scrape header.
        (
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,\
             text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
            Format::OpenMetrics,
        ),
        // Prometheus with scrape_protocols set to text first.
        ("text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5", Format::Prometheus),
        ("application/openmetrics-text", Format::OpenMetrics),
        ("Application/OpenMetrics-Text; Version=\"1.0.0\"", Format::OpenMetrics),
        ("application/openmetrics-text;version=0.0.1", Format::OpenMetrics),
        // A version we do not write is passed over.
        ("application/openmetrics-text;version=2.0.0", Format::Prometheus),
        ("application/openmetrics-text;version=2.0.0,application/openmetrics-text;q=0.2", Format::OpenMetrics),
        // Quality decides, not order.
        ("text/plain;q=0.5,application/openmetrics-text;q=0.9", Format::OpenMetrics),
        // q=0 means "not acceptable".
        ("application/openmetrics-text;q=0", Format::Prometheus),
        ("text/plain", Format::Prometheus),
        ("text/html,*/*;q=0.8", Format::Prometheus),
        ("*/*", Format::Prometheus),
        ("", Format::Prometheus),
        ("application/json", Format::Prometheus),
        // Malformed ranges are skipped, not fatal.
        ("application/openmetrics-text;q=abc,text/plain", Format::Prometheus),
        (";;;,,,=", Format::Prometheus),
        ("application/openmetrics-text;q=1.5", Format::Prometheus),
    ];
    for (accept, expected) in cases {
        assert_eq!(Format::from_accept(accept), expected, "Accept: {accept}");
    }
}

#[test]
fn content_types() {
    assert_eq!(
        Format::Prometheus.content_type(),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(
        Format::OpenMetrics.content_type(),
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
}
