//! `#[derive(LabelValue)]`: on an enum of unit variants, a closed set of label
//! values; on a newtype over a borrowed string, an open set.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::ctxt::Ctxt;

/// `#[label(rename = "...")]` on a variant.
const LABEL: &str = "label";
const RENAME: &str = "rename";

pub fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    match &input.data {
        Data::Enum(data) => closed_set(input, data),
        Data::Struct(data) if matches!(&data.fields, Fields::Unnamed(f) if f.unnamed.len() == 1) => {
            open_set(input)
        }
        _ => Err(syn::Error::new_spanned(
            &input.ident,
            "`LabelValue` is for an enum of unit variants (a closed set) or a newtype over `&'a str` (an open set)",
        )),
    }
}

fn closed_set(input: &DeriveInput, data: &syn::DataEnum) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    let mut seen = HashMap::new();
    let mut values = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            cx.error_spanned_by(variant, "a label value is a unit variant, with no fields");
        }
        let mut rename = None;
        for attr in variant.attrs.iter().filter(|a| a.path().is_ident(LABEL)) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(RENAME) {
                    rename = Some(meta.value()?.parse::<LitStr>()?);
                    Ok(())
                } else {
                    Err(meta.error("unknown key: a variant takes `rename`"))
                }
            });
            if let Err(err) = parsed {
                cx.syn_error(err);
            }
        }
        let value = rename
            .as_ref()
            .map_or_else(|| snake_case(&variant.ident.to_string()), LitStr::value);
        if let Some(first) = seen.insert(value.clone(), &variant.ident) {
            cx.error_spanned_by(
                &variant.ident,
                format_args!("`{first}` already has the label value `{value}`"),
            );
        }
        values.push(value);
    }
    cx.check()?;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let arms = data.variants.iter().enumerate().map(|(i, variant)| {
        let variant = &variant.ident;
        quote!(#ident::#variant => #i)
    });
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::aigateway_metrics::LabelEnum for #ident #ty_generics #where_clause {
            const VALUES: &'static [&'static ::core::primitive::str] = &[#(#values),*];

            #[inline]
            fn index(&self) -> ::core::primitive::usize {
                match *self {
                    #(#arms,)*
                }
            }
        }
    })
}

fn open_set(input: &DeriveInput) -> syn::Result<TokenStream> {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::aigateway_metrics::LabelStr for #ident #ty_generics #where_clause {
            #[inline]
            fn as_str(&self) -> &::core::primitive::str {
                self.0
            }
        }
    })
}

/// `HalfOpen` -> `half_open`.
fn snake_case(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len() + 4);
    for (i, c) in ident.char_indices() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
