//! The derived code names everything by absolute path: it compiles with the
//! prelude shadowed and every warning denied.
#![deny(warnings)]
#![allow(non_camel_case_types, dead_code)]

use aigateway_metrics::{LabelValue, Metric, MetricGroup, Model, TenantId};

struct Result;
struct Ok;
struct Err;
struct Option;
struct Some;
struct None;
struct Default;
struct Clone;
struct Debug;
struct Into;
struct Box;
struct String;
struct Vec;
struct usize;
struct u64;
struct i64;
struct f64;
struct bool;
mod std {}
mod core {}
mod alloc {}

#[derive(LabelValue)]
enum Outcome {
    Hit,
    Miss,
}

/// Lookups.
#[derive(Metric)]
#[metric(counter, name = "aigateway_lookups_total")]
pub struct Lookups<'a> {
    tenant_id: TenantId<'a>,
    outcome: Outcome,
}

/// Latency.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_lookup_seconds", buckets = [0.5, 1])]
pub struct LookupSeconds<'a> {
    model: Model<'a>,
}

/// Load.
#[derive(Metric)]
#[metric(gauge, name = "aigateway_load_ratio", value = f64)]
pub struct Load;

/// Queue.
#[derive(Metric)]
#[metric(gauge, name = "aigateway_queue")]
pub struct Queue<'a> {
    value: &'a str,
}

#[derive(MetricGroup)]
pub struct Metrics {
    lookups: LookupsFamily,
    seconds: LookupSecondsFamily,
    load: LoadFamily,
    queue: QueueFamily,
}

fn main() {
    let m = Metrics::default();
    m.lookups.inc(TenantId("acme"), Outcome::Miss);
    m.seconds.observe(Model("m"), 0.7).unwrap();
    m.load.set(0.5).unwrap();
    m.queue.set("eu", 3);
    m.queue.add("eu", -1);
    let _ = Metrics::DESCRIPTORS;
}
