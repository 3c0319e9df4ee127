//! What a family that failed to compile still provides, so that code using
//! it reports no errors of its own after the definition's: its handle, with
//! every method when the kind is known, else the bare type.

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use syn::{parse_quote, DeriveInput, FnArg, ImplItem, Item, Type};

use crate::expand::handle_ident;

/// The handle's code with each of its methods stubbed: parameters that take
/// anything (`impl Sized`) and a body that is never run, and the
/// descriptor of a failed family. Nothing of the broken definition (a
/// `String` label, a counter of `f64`) is then named where rustc would
/// report it again.
pub fn stub_methods(handle: &Ident, code: TokenStream) -> TokenStream {
    let mut file: syn::File = syn::parse2(code).expect("the derive's own code parses");
    let name = handle.to_string();
    for item in &mut file.items {
        let Item::Impl(block) = item else { continue };
        let is_handle = matches!(&*block.self_ty, Type::Path(p) if p.path.is_ident(handle));
        if block.trait_.is_some() || !is_handle {
            continue;
        }
        for member in &mut block.items {
            match member {
                ImplItem::Fn(method) => {
                    for input in &mut method.sig.inputs {
                        if let FnArg::Typed(param) = input {
                            *param.ty = parse_quote!(impl ::core::marker::Sized);
                        }
                    }
                    method.attrs.push(parse_quote!(#[allow(unused_variables)]));
                    method.block = parse_quote!({ ::core::unreachable!() });
                }
                ImplItem::Const(constant) => {
                    constant.expr = parse_quote!(
                        &::aigateway_metrics::__private::fallback_descriptor(#name)
                    );
                }
                _ => {}
            }
        }
    }
    quote!(#file)
}

/// The bare handle of a family whose kind is not known.
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

            fn with_descriptor(
                _: &'static ::aigateway_metrics::Descriptor,
            ) -> ::core::result::Result<Self, ::aigateway_metrics::DescriptorError> {
                ::core::unreachable!()
            }

            fn register(&self, _: &mut ::aigateway_metrics::__private::Registry) {
                ::core::unreachable!()
            }

            fn stats(&self) -> ::aigateway_metrics::__private::Arc<::aigateway_metrics::FamilyStats> {
                ::core::unreachable!()
            }
        }
    }
}
