//! `#[derive(MetricGroup)]`: a struct whose fields are family handles,
//! registered together, with the descriptors of all of them, and a compile
//! error when two of them share a metric name. A field `Option<F>` is a
//! family the group may have: registered when present, `None` by default.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, GenericArgument, PathArguments, Type};

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
    // The family type of each field, and whether the field is optional.
    let (types, optional): (Vec<&Type>, Vec<bool>) = fields
        .iter()
        .map(|f| match option_of(&f.ty) {
            Some(inner) => (inner, true),
            None => (&f.ty, false),
        })
        .unzip();
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
    let registers = idents.iter().zip(&types).zip(&optional).map(|((ident, ty), optional)| {
        // Named as `DESCRIPTORS` names it, so that a type that is not a
        // family gives one error, not one per use.
        if *optional {
            quote_spanned!(ty.span()=> if let ::core::option::Option::Some(family) = &self.#ident {
                <#ty as ::aigateway_metrics::MetricFamily>::register(family, registry);
            })
        } else {
            quote_spanned!(ty.span()=> <#ty as ::aigateway_metrics::MetricFamily>::register(&self.#ident, registry);)
        }
    });
    let present = idents
        .iter()
        .zip(&types)
        .zip(&optional)
        .map(|((ident, ty), optional)| {
            let descriptor =
                quote_spanned!(ty.span()=> <#ty as ::aigateway_metrics::MetricFamily>::DESCRIPTOR);
            if *optional {
                quote!(if self.#ident.is_some() { present.push(#descriptor); })
            } else {
                quote!(present.push(#descriptor);)
            }
        });
    let defaults = types.iter().zip(&optional).map(|(ty, optional)| {
        if *optional {
            quote!(::core::option::Option::None)
        } else {
            quote!(<#ty as ::core::default::Default>::default())
        }
    });
    Ok(quote! {
        #[automatically_derived]
        impl #ident {
            /// The descriptors of the group's families, in field order,
            /// optional ones included.
            pub const DESCRIPTORS: &'static [&'static ::aigateway_metrics::Descriptor] =
                &[#(#descriptors),*];

            /// The descriptors of the families this value holds, in field
            /// order: [`DESCRIPTORS`](Self::DESCRIPTORS) less the optional
            /// families it does not have.
            pub fn descriptors(&self) -> ::std::vec::Vec<&'static ::aigateway_metrics::Descriptor> {
                let mut present = ::std::vec::Vec::new();
                #(#present)*
                present
            }

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
                    #(#idents: #defaults,)*
                }
            }
        }

        #(#unique)*
        #(#misplaced)*
    })
}

/// `T` of a field typed `Option<T>` (by its last path segment, as
/// `Option`, `std::option::Option` or `core::option::Option`).
fn option_of(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}
