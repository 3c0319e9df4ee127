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
    // Options belong to a family's declaration; on a group they would be
    // ignored.
    let misplaced = input
        .attrs
        .iter()
        .chain(fields.iter().flat_map(|f| &f.attrs))
        .filter(|a| a.path().is_ident("metric"))
        .map(|a| {
            syn::Error::new_spanned(
                a,
                "a group takes no `#[metric(...)]`: its fields are family handles, \
                 and a family's options go on its declaration",
            )
            .into_compile_error()
        });
    let descriptors = types.iter().map(
        |ty| quote_spanned!(ty.span()=> <#ty as ::aigateway_metrics::MetricFamily>::DESCRIPTOR),
    );
    // Each pair of families, reported at the later field, naming both.
    let unique = (0..fields.len())
        .flat_map(|j| (0..j).map(move |i| (i, j)))
        .map(|(i, j)| {
            let (earlier, later) = (types[i], types[j]);
            let message = format!(
                "fields `{}` and `{}` have the same metric name: a group's families are \
             exposed side by side, so each needs its own",
                idents[i], idents[j]
            );
            quote_spanned! {later.span()=>
                const _: () = ::core::assert!(
                    !::aigateway_metrics::__private::str_eq(
                        <#earlier as ::aigateway_metrics::MetricFamily>::DESCRIPTOR.name,
                        <#later as ::aigateway_metrics::MetricFamily>::DESCRIPTOR.name,
                    ),
                    #message,
                );
            }
        });
    let registers = idents.iter().zip(&types).map(|(ident, ty)| {
        // Named as `DESCRIPTORS` names it, so that a type that is not a
        // family gives one error, not one per use.
        quote_spanned!(ty.span()=> <#ty as ::aigateway_metrics::MetricFamily>::register(&self.#ident, registry);)
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
                #(#registers)*
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
        #(#misplaced)*
    })
}
