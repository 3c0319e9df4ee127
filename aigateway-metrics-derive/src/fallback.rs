//! What a family that failed to compile still provides: its handle type, so
//! that code using it reports only errors of its own, not one per use.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::expand::handle_ident;

pub fn expand(input: &DeriveInput) -> TokenStream {
    let vis = &input.vis;
    let handle = handle_ident(&input.ident);
    let name = input.ident.to_string();
    quote! {
        #[derive(::core::clone::Clone, ::core::fmt::Debug, ::core::default::Default)]
        #vis struct #handle;

        impl ::aigateway_metrics::MetricFamily for #handle {
            const DESCRIPTOR: &'static ::aigateway_metrics::Descriptor =
                &::aigateway_metrics::__private::fallback_descriptor(#name);

            fn register(&self, _: &mut ::aigateway_metrics::__private::Registry) {
                ::core::unreachable!()
            }

            fn stats(&self) -> ::aigateway_metrics::__private::Arc<::aigateway_metrics::FamilyStats> {
                ::core::unreachable!()
            }
        }
    }
}
