//! `#[derive(MetricGroup)]`: a struct whose fields are family handles,
//! registered together, with the descriptors of all of them, and a compile
//! error when two of them share a metric name.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

pub fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => &named.named,
            _ => {
                return Err(syn::Error::new_spanned(
                    &input.ident,
                    "a metric group is a struct with named fields, one family handle each",
                ))
            }
        },
        _ => {
            return Err(syn::Error::new_spanned(
                &input.ident,
                "a metric group is a struct with named fields, one family handle each",
            ))
        }
    };
    if let Some(param) = input.generics.params.first() {
        return Err(syn::Error::new_spanned(
            param,
            "a metric group takes no generic parameters",
        ));
    }
    let ident = &input.ident;
    let idents: Vec<_> = fields
        .iter()
        .map(|f| f.ident.as_ref().expect("named field"))
        .collect();
    let types: Vec<_> = fields.iter().map(|f| &f.ty).collect();
    let descriptors = types.iter().map(
        |ty| quote_spanned!(ty.span()=> <#ty as ::aigateway_metrics::MetricFamily>::DESCRIPTOR),
    );
    // Each family's name against those of the fields before it, reported at
    // the later field.
    let unique = types.iter().enumerate().skip(1).map(|(i, ty)| {
        let earlier = &types[..i];
        let message = format!(
            "`{}` has the same metric name as a family before it in this group",
            quote!(#ty).to_string().replace(' ', "")
        );
        quote_spanned! {ty.span()=>
            const _: () = ::core::assert!(
                !::aigateway_metrics::__private::contains(
                    &[#(<#earlier as ::aigateway_metrics::MetricFamily>::DESCRIPTOR.name),*],
                    <#ty as ::aigateway_metrics::MetricFamily>::DESCRIPTOR.name,
                ),
                #message,
            );
        }
    });
    Ok(quote! {
        #[automatically_derived]
        impl #ident {
            /// The descriptors of the group's families, in field order.
            pub const DESCRIPTORS: &'static [&'static ::aigateway_metrics::Descriptor] =
                &[#(#descriptors),*];

            /// Adds every family of the group to `registry`, with their
            /// self-metrics. Any number of groups and families can share a
            /// registry, in any order: each self-metric family is written
            /// once, with a series for every family.
            pub fn register(&self, registry: &mut ::aigateway_metrics::__private::Registry) {
                #(::aigateway_metrics::MetricFamily::register(&self.#idents, registry);)*
            }
        }

        #[automatically_derived]
        impl ::core::default::Default for #ident {
            fn default() -> Self {
                #ident {
                    #(#idents: <#types as ::core::default::Default>::default(),)*
                }
            }
        }

        #(#unique)*
    })
}
