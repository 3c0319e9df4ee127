//! Exemplars from the current OpenTelemetry context (feature
//! `opentelemetry`): a sampled span's ids, and none without one.

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{
    encode, Exemplar, Format, GatewayMetrics, Model, Provider, RequestRecorder, Status, TenantId,
};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;

fn context(flags: TraceFlags) -> Context {
    let span = SpanContext::new(
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        flags,
        true,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(span)
}

#[test]
fn the_current_sampled_span_is_the_exemplar() {
    assert_eq!(Exemplar::current(), None, "no span, no exemplar");
    let _attached = context(TraceFlags::SAMPLED).attach();
    let exemplar = Exemplar::current().unwrap();
    assert_eq!(
        exemplar.to_string(),
        "4bf92f3577b34da6a3ce929d0e0e4736/00f067aa0ba902b7"
    );

    // Recorded with a request, it is the request's exemplar in OpenMetrics.
    let metrics = GatewayMetrics::default();
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    let mut request = RequestRecorder::start();
    request.set_route(
        &metrics,
        TenantId("acme"),
        Provider("openai"),
        Model("gpt-4o"),
    );
    request.set_exemplar(exemplar);
    request.finish(Status::Success);
    let text = encode(&registry, Format::OpenMetrics);
    let line = text
        .lines()
        .find(|l| l.contains("status=\"success\""))
        .unwrap();
    assert!(
        line.starts_with("aigateway_requests_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",status=\"success\"} 1 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"} 1.0 "),
        "{line}"
    );
}

#[test]
fn a_span_not_sampled_gives_none() {
    assert_eq!(
        Exemplar::from_context(&context(TraceFlags::default())),
        None
    );
    assert_eq!(Exemplar::from_context(&Context::new()), None);
}
