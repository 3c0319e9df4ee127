//! Derive macros of [`aigateway-metrics`](https://docs.rs/aigateway-metrics).
//!
//! Use them through the runtime crate, which re-exports them and documents
//! every attribute with examples. Each derive runs in phases, one per module:
//! `attr` reads the attributes, `ast` builds the model of the input, `valid`
//! checks it, and `expand` writes the code (and checks nothing). Errors are
//! collected in a `ctxt::Ctxt` so that one build reports all of them.

#![deny(missing_docs)]

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod group;
mod label;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Declares a metric family; documented on `aigateway_metrics::Metric`.
#[proc_macro_derive(Metric, attributes(metric))]
pub fn derive_metric(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

/// Declares a group of families; documented on `aigateway_metrics::MetricGroup`.
#[proc_macro_derive(MetricGroup, attributes(metric))]
pub fn derive_metric_group(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    group::derive(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Declares a label value type; documented on `aigateway_metrics::LabelValue`.
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    label::derive(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
