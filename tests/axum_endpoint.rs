//! `MetricsEndpoint` and `TenantHeader` served by axum, as a user mounts
//! them: format negotiation, 406, HEAD, gzip, the scrape's own families,
//! and an exposition promtool accepts.
//!
//! Needs `promtool`; `scripts/test.sh` installs it.

mod support;

use std::io::Read;

use aigateway_metrics::axum::{MetricsEndpoint, TenantHeader};
use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{Format, GatewayMetrics, Model, Provider, Status, TenantId};
use axum::routing::get;
use axum::Router;
use reqwest::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};

const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// A server with one recorded request and the tenant echo route, on a free
/// port; its base URL.
async fn serve() -> String {
    let metrics = GatewayMetrics::default();
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    metrics
        .record_request(
            TenantId("acme"),
            Provider("openai"),
            Model("gpt-4o"),
            Status::Success,
            0.5,
        )
        .unwrap();
    let app: Router = Router::new()
        .route(
            "/tenant",
            get(|tenant: TenantHeader| async move { tenant.id().0.to_owned() }),
        )
        .route("/metrics", MetricsEndpoint::new(registry).into_route());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn client() -> reqwest::Client {
    // No automatic decompression: the test reads the encoding itself.
    reqwest::Client::builder().build().unwrap()
}

async fn scrape(url: &str, accept: &str) -> (u16, String, String) {
    let response = client()
        .get(format!("{url}/metrics"))
        .header(ACCEPT, accept)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

const REQUEST: &str = "aigateway_requests_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",status=\"success\"} 1\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formats_are_negotiated_and_each_scrape_is_counted() {
    let url = serve().await;
    let (status, content_type, body) = scrape(&url, PROMETHEUS_ACCEPT).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, Format::OpenMetrics.content_type());
    assert!(body.ends_with("# EOF\n"));
    assert!(body.contains(REQUEST), "{body}");
    // A scrape shows the ones before it, by the formats served: none yet.
    assert!(!body.contains("aigateway_metrics_scrape_duration_seconds_count{"));

    // Prometheus with native histograms asks for protobuf first.
    let protobuf = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
                    encoding=delimited,text/plain;version=0.0.4;q=0.5";
    let (status, content_type, _) = scrape(&url, protobuf).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, Format::Protobuf.content_type())
    );

    for accept in ["text/plain;version=0.0.4", "*/*", ""] {
        let (status, content_type, body) = scrape(&url, accept).await;
        assert_eq!(
            (status, content_type.as_str()),
            (200, Format::Prometheus.content_type()),
            "{accept}"
        );
        assert!(body.contains(REQUEST));
    }
    let (_, _, body) = scrape(&url, "text/plain").await;
    for line in [
        "aigateway_metrics_scrape_duration_seconds_count{format=\"openmetrics\"} 1\n",
        "aigateway_metrics_scrape_duration_seconds_count{format=\"prometheus\"} 3\n",
        "aigateway_metrics_scrape_duration_seconds_count{format=\"protobuf\"} 1\n",
        "aigateway_metrics_scrape_errors_total{cause=\"encoding\"} 0\n",
        "aigateway_metrics_scrape_errors_total{cause=\"not_acceptable\"} 0\n",
    ] {
        assert!(body.contains(line), "missing {line}{body}");
    }
    // The size of the scrape before this one, a Prometheus text body.
    let size = body
        .lines()
        .find_map(|l| l.strip_prefix("aigateway_metrics_scrape_size_bytes{format=\"prometheus\"} "))
        .unwrap();
    assert!(size.parse::<usize>().unwrap() > REQUEST.len());

    support::assert_promtool_accepts(&body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accept_header_allowing_neither_format_is_a_406_and_counted() {
    let url = serve().await;
    let (status, _, body) = scrape(&url, "application/json").await;
    assert_eq!(status, 406);
    assert_eq!(
        body,
        "this endpoint answers one of: application/vnd.google.protobuf; \
         proto=io.prometheus.client.MetricFamily; encoding=delimited, \
         application/openmetrics-text; version=1.0.0; charset=utf-8, \
         text/plain; version=0.0.4; charset=utf-8\n"
    );
    let (_, _, body) = scrape(&url, "text/plain").await;
    assert!(body.contains("aigateway_metrics_scrape_errors_total{cause=\"not_acceptable\"} 1\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_answers_the_headers_of_get() {
    let url = serve().await;
    let head = client()
        .head(format!("{url}/metrics"))
        .header(ACCEPT, "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()[CONTENT_TYPE],
        Format::Prometheus.content_type()
    );
    let length: usize = head.headers()[CONTENT_LENGTH]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(head.bytes().await.unwrap().is_empty());
    // The HEAD wrote the body to know its length, and says so.
    let (_, _, body) = scrape(&url, "text/plain").await;
    let size = format!("aigateway_metrics_scrape_size_bytes{{format=\"prometheus\"}} {length}\n");
    assert!(body.contains(&size), "missing {size}{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_is_gzipped_when_the_scraper_accepts_it() {
    let url = serve().await;
    let response = client()
        .get(format!("{url}/metrics"))
        .header(ACCEPT, PROMETHEUS_ACCEPT)
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
    let compressed = response.bytes().await.unwrap();
    let mut body = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut body)
        .unwrap();
    assert!(
        body.contains(REQUEST) && body.ends_with("# EOF\n"),
        "{body}"
    );
    assert!(compressed.len() < body.len() / 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenant_header_is_required_and_read() {
    let url = serve().await;
    let get = |tenant: Option<&'static str>| {
        let mut request = client().get(format!("{url}/tenant"));
        if let Some(tenant) = tenant {
            request = request.header(TenantHeader::NAME, tenant);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(get(Some("acme")).await, (200, "acme".into()));
    let refused = (
        400,
        "the x-tenant-id header names the tenant: it is missing, empty or not visible ASCII\n"
            .to_owned(),
    );
    assert_eq!(get(None).await, refused);
    assert_eq!(get(Some("")).await, refused);
}
