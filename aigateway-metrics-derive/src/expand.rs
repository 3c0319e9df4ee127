//! Writes the code of a checked family. Nothing here checks anything: by the
//! time `expand` runs, `valid` has accepted the model.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{DeriveInput, Lifetime, LitStr, Type};

use crate::ast::{Family, Label};
use crate::attr::Kind;
use crate::ctxt::Ctxt;
use crate::{fallback, valid};

/// `#[derive(Metric)]`: the family handle, or the errors and a stub of it.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let family = ast_checked(&mut cx, input);
    match (cx.check(), family) {
        (Ok(()), Some(family)) => expand(&family),
        // The kind is known (or meant by a misspelt key), so are the
        // handle's methods: a stub of each.
        (Err(errors), Some(mut family))
            if family.kind.is_some()
                || family.misspelt.iter().any(|k| Kind::of_key(k).is_some()) =>
        {
            if family.kind.is_none() {
                let meant = family.misspelt.iter().find_map(|k| Kind::of_key(k));
                family.kind = meant.map(|kind| (kind, Span::call_site()));
            }
            let mut tokens = errors.into_compile_error();
            tokens.extend(fallback::stub_methods(
                &handle_ident(family.ident()),
                expand(&family),
            ));
            tokens
        }
        (result, _) => {
            let mut tokens = result
                .err()
                .map_or_else(TokenStream::new, syn::Error::into_compile_error);
            tokens.extend(fallback::expand(input));
            tokens
        }
    }
}

fn ast_checked<'a>(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Family<'a>> {
    let family = Family::from_ast(cx, input)?;
    valid::check(cx, &family);
    Some(family)
}

/// The name of the handle of a family declared as `ident`.
pub fn handle_ident(ident: &Ident) -> Ident {
    format_ident!("{}Family", ident)
}

/// The code of a family that has a kind; its other values are checked by
/// `valid` (or the code is only a shape for `fallback::stub_methods`).
fn expand(family: &Family) -> TokenStream {
    let ident = family.ident();
    let vis = &family.input.vis;
    let handle = handle_ident(ident);
    let (kind, _) = family.kind.expect("a family with a kind");
    let name = family.name.as_ref().map(LitStr::value).unwrap_or_default();
    let descriptor = descriptor(family, kind, &name);
    let open = family.open_labels().count();
    let expiry = family.expire_after.as_ref().and_then(|lit| {
        let millis = valid::millis(&lit.value()).ok()?;
        Some(quote! {
            inner.set_expiry(::core::option::Option::Some(
                ::core::time::Duration::from_millis(#millis),
            ));
        })
    });
    let cell = match kind {
        Kind::Counter => quote!(CounterCell),
        Kind::Gauge => quote!(GaugeCell),
        Kind::Histogram => quote!(HistogramCell),
    };
    let config = match kind {
        Kind::Counter => {
            let value = value_type(family);
            quote!(<#value as ::aigateway_metrics::CounterValue>::SCALE)
        }
        Kind::Gauge => {
            let float = is_f64(family);
            quote!(#float)
        }
        Kind::Histogram => quote!(()),
    };
    let methods = match kind {
        Kind::Counter => counter_methods(family),
        Kind::Gauge if is_f64(family) => float_gauge_methods(family),
        Kind::Gauge => int_gauge_methods(family),
        Kind::Histogram => histogram_methods(family),
    };
    let forget = forget_methods(family);
    let declaration_used = declaration_used(family);
    let doc = format!("Records `{name}`, the family declared by [`{ident}`]: one per process or per registry, cloned into every handler that records.");
    quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug)]
        #vis struct #handle {
            inner: ::aigateway_metrics::__private::Family<::aigateway_metrics::__private::#cell, #open>,
        }

        #[automatically_derived]
        // A family of many labels has recording methods of many parameters.
        #[allow(clippy::too_many_arguments)]
        impl #handle {
            /// What the family is, as declared: name, kind, HELP text,
            /// labels, buckets.
            pub const DESCRIPTOR: &'static ::aigateway_metrics::Descriptor = #descriptor;

            /// A family with no series yet.
            pub fn new() -> Self {
                Self::exposed_as(Self::DESCRIPTOR)
            }

            /// A family with no series yet, exposed under `descriptor`
            /// rather than as declared: another name or HELP text, other
            /// buckets ([`Descriptor::configured`](::aigateway_metrics::Descriptor::configured)).
            /// Its kind, labels, limit and exposure must be the declared ones.
            pub fn with_descriptor(
                descriptor: &'static ::aigateway_metrics::Descriptor,
            ) -> ::core::result::Result<Self, ::aigateway_metrics::DescriptorError> {
                descriptor.check_replaces(Self::DESCRIPTOR)?;
                ::core::result::Result::Ok(Self::exposed_as(descriptor))
            }

            fn exposed_as(descriptor: &'static ::aigateway_metrics::Descriptor) -> Self {
                let inner = ::aigateway_metrics::__private::Family::new(descriptor, #config);
                #expiry
                #handle { inner }
            }

            /// What the family is, as exposed: [`Self::DESCRIPTOR`], unless
            /// made by [`Self::with_descriptor`].
            pub fn descriptor(&self) -> &'static ::aigateway_metrics::Descriptor {
                self.inner.descriptor()
            }

            /// Adds the family to `registry`, which then exposes its series.
            pub fn register(&self, registry: &mut ::aigateway_metrics::__private::Registry) {
                self.inner.register(registry)
            }

            /// The most combinations of open-set label values the family
            /// keeps; records of further ones go to its overflow series.
            pub fn series_limit(&self) -> ::core::primitive::usize {
                self.inner.series_limit()
            }

            /// Sets the series limit; existing series are kept.
            pub fn set_series_limit(&self, limit: ::core::primitive::usize) {
                self.inner.set_series_limit(limit)
            }

            /// How many combinations of open-set label values the family holds.
            pub fn series_count(&self) -> ::core::primitive::usize {
                self.inner.series_count()
            }

            #forget

            /// Removes series not recorded into for `after`, checked at each
            /// scrape; `None`, the default, keeps them for good. A counter
            /// that expires and comes back starts from zero, which `rate()`
            /// reads as a reset.
            pub fn set_expiry(&self, after: ::core::option::Option<::core::time::Duration>) {
                self.inner.set_expiry(after)
            }

            /// Removes the series idle for longer than the expiry time now,
            /// rather than at the next scrape; returns how many.
            pub fn expire_idle(&self) -> ::core::primitive::usize {
                self.inner.expire_idle()
            }

            /// Counts a value rejected before it reached this family in the
            /// family's self-metrics, and gives the error back.
            pub fn count_rejected(&self, error: ::aigateway_metrics::ValueError) -> ::aigateway_metrics::ValueError {
                self.inner.reject(error)
            }

            #methods
        }

        #declaration_used

        #[automatically_derived]
        impl ::core::default::Default for #handle {
            fn default() -> Self {
                Self::new()
            }
        }

        #[automatically_derived]
        impl ::aigateway_metrics::MetricFamily for #handle {
            const DESCRIPTOR: &'static ::aigateway_metrics::Descriptor = #handle::DESCRIPTOR;

            fn with_descriptor(
                descriptor: &'static ::aigateway_metrics::Descriptor,
            ) -> ::core::result::Result<Self, ::aigateway_metrics::DescriptorError> {
                #handle::with_descriptor(descriptor)
            }

            fn register(&self, registry: &mut ::aigateway_metrics::__private::Registry) {
                #handle::register(self, registry)
            }

            fn stats(&self) -> ::aigateway_metrics::__private::Arc<::aigateway_metrics::FamilyStats> {
                self.inner.stats()
            }
        }
    }
}

/// `forget_<label>(value)` for each open-set label: the label is named by
/// the method, so a typo does not compile.
fn forget_methods(family: &Family) -> TokenStream {
    family
        .open_labels()
        .enumerate()
        .map(|(position, label)| {
            let method = format_ident!("forget_{}", label.ident.unraw());
            let ty = elided(family, label.ty);
            let doc = format!(
                "Removes every series whose `{}` is `value` (a tenant the gateway \
                 deleted, say); returns how many. A counter recorded again \
                 afterwards starts from zero, which `rate()` reads as a reset.",
                label.name
            );
            quote! {
                #[doc = #doc]
                pub fn #method(&self, value: #ty) -> ::core::primitive::usize {
                    self.inner.forget(#position, <#ty as ::aigateway_metrics::LabelStr>::as_str(&value))
                }
            }
        })
        .collect()
}

/// The struct is a declaration: never built, its fields never read. This
/// builds and reads it in a function marked `allow(dead_code)`, which the
/// compiler takes as used code (in every version since the MSRV), so that
/// the user gets no `dead_code` warning for it.
fn declaration_used(family: &Family) -> TokenStream {
    let ident = family.ident();
    let idents: Vec<_> = family.labels.iter().map(|l| l.ident).collect();
    let types = family.labels.iter().map(|l| l.ty);
    let (impl_generics, ty_generics, where_clause) = family.input.generics.split_for_impl();
    let build = match family.input.data {
        syn::Data::Struct(syn::DataStruct {
            fields: syn::Fields::Unit,
            ..
        }) => quote!(#ident),
        _ => quote!(#ident { #(#idents),* }),
    };
    quote! {
        #[automatically_derived]
        impl #impl_generics #ident #ty_generics #where_clause {
            #[allow(dead_code, clippy::too_many_arguments)]
            fn __aigateway_metrics_declaration(#(#idents: #types),*) {
                let declaration = #build;
                #(let _ = &declaration.#idents;)*
            }
        }
    }
}

fn descriptor(family: &Family, kind: Kind, name: &str) -> TokenStream {
    let kind = match kind {
        Kind::Counter => quote!(Counter),
        Kind::Gauge => quote!(Gauge),
        Kind::Histogram => quote!(Histogram),
    };
    let help = &family.help;
    let labels = family.labels.iter().map(|label| {
        let name = &label.name;
        let values = if label.open {
            quote!(::core::option::Option::None)
        } else {
            let ty = label.ty;
            quote_spanned!(ty.span()=> ::core::option::Option::Some(<#ty as ::aigateway_metrics::LabelEnum>::VALUES))
        };
        quote!(::aigateway_metrics::LabelDescriptor { name: #name, values: #values })
    });
    let buckets = family
        .buckets
        .iter()
        .flat_map(|b| &b.bounds)
        .map(|bound| bound.value)
        // Checked by `valid`; a literal cannot be infinite.
        .filter(|bound| bound.is_finite());
    let expose = match family.expose.as_ref().map(LitStr::value).as_deref() {
        Some("recorded") => quote!(Recorded),
        _ => quote!(All),
    };
    let native = match &family.native {
        Some(native) => {
            let schema = native.schema();
            let max_buckets = match native.max_buckets() {
                Some(n) => quote!(#n),
                None => quote!(::aigateway_metrics::Native::DEFAULT_MAX_BUCKETS),
            };
            quote!(::core::option::Option::Some(::aigateway_metrics::Native {
                schema: #schema,
                max_buckets: #max_buckets,
            }))
        }
        None => quote!(::core::option::Option::None),
    };
    let limit = match &family.limit {
        Some(limit) => quote!(#limit),
        None => quote!(::aigateway_metrics::DEFAULT_SERIES_LIMIT),
    };
    quote! {
        &::aigateway_metrics::Descriptor {
            name: #name,
            kind: ::aigateway_metrics::MetricKind::#kind,
            help: #help,
            labels: &[#(#labels),*],
            buckets: &[#(#buckets),*],
            series_limit: #limit,
            expose: ::aigateway_metrics::Expose::#expose,
            native: #native,
        }
    }
}

/// The pieces every recording method shares: its label parameters, the
/// expression of the series' key, and that of the cell's index.
struct Parts {
    params: TokenStream,
    args: TokenStream,
    key: TokenStream,
    index: TokenStream,
}

fn parts(family: &Family) -> Parts {
    let params = family.labels.iter().map(|label| {
        let ident = label.ident;
        let ty = elided(family, label.ty);
        quote!(#ident: #ty)
    });
    let args = family.labels.iter().map(|label| label.ident);
    let key = family.open_labels().map(|label| {
        let ident = label.ident;
        let ty = elided(family, label.ty);
        quote_spanned!(label.ty.span()=> <#ty as ::aigateway_metrics::LabelStr>::as_str(&#ident))
    });
    // A number in mixed radix: each closed label is a digit, the last one
    // varying fastest.
    let index = family
        .closed_labels()
        .fold(quote!(0usize), |acc, label: &Label| {
            let ident = label.ident;
            let ty = label.ty;
            quote_spanned! {ty.span()=>
                (#acc) * <#ty as ::aigateway_metrics::LabelEnum>::VALUES.len()
                    + <#ty as ::aigateway_metrics::LabelEnum>::index(&#ident)
            }
        });
    Parts {
        params: quote!(#(#params,)*),
        args: quote!(#(#args,)*),
        key: quote!([#(#key),*]),
        index,
    }
}

fn counter_methods(family: &Family) -> TokenStream {
    let Parts {
        params,
        args,
        key,
        index,
    } = parts(family);
    let value = fresh(family, "value");
    let exemplar = fresh(family, "exemplar");
    let value_ty = value_type(family);
    let each = inc_by_each(family, &key, &index);
    let inc = family.value.is_none().then(|| {
        quote! {
            /// Adds one to the series of these labels.
            #[inline]
            pub fn inc(&self, #params) {
                self.inc_by(#args 1)
            }
        }
    });
    quote! {
        #inc

        /// Adds `value` to the series of these labels.
        #[inline]
        pub fn inc_by(&self, #params #value: #value_ty) {
            let __aigw_units = <#value_ty as ::aigateway_metrics::CounterValue>::units(#value);
            self.inner.with(#key, #index, |__aigw_cell| __aigw_cell.inc_by(__aigw_units))
        }

        /// Adds `value` to the series of these labels, with `exemplar` (the
        /// trace it was recorded in) as the series' latest, exposed in
        /// OpenMetrics.
        pub fn inc_by_with_exemplar(
            &self,
            #params
            #value: #value_ty,
            #exemplar: &::aigateway_metrics::Exemplar,
        ) {
            let __aigw_units = <#value_ty as ::aigateway_metrics::CounterValue>::units(#value);
            let __aigw_scale = <#value_ty as ::aigateway_metrics::CounterValue>::SCALE;
            self.inner.with(#key, #index, |__aigw_cell| {
                __aigw_cell.inc_by_with_exemplar(__aigw_units, __aigw_scale, #exemplar)
            })
        }

        /// The series of these labels, looked up once, for a code path
        /// that records into it many times (a stream's tokens, chunk by
        /// chunk): each record through the handle is an atomic add. The
        /// series does not expire while the handle lives; see
        /// [`BoundCounter`](::aigateway_metrics::BoundCounter).
        pub fn bind(&self, #params) -> ::aigateway_metrics::BoundCounter<#value_ty> {
            ::aigateway_metrics::BoundCounter::new(self.inner.cell(#key, #index))
        }

        #each
    }
}

/// A counter's `inc_by_each`: several closed-set values of one series,
/// with one lookup. Only for families with closed-set labels.
fn inc_by_each(family: &Family, key: &TokenStream, index: &TokenStream) -> Option<TokenStream> {
    let closed: Vec<&Label> = family.closed_labels().collect();
    if closed.is_empty() {
        return None;
    }
    let open_params = family.open_labels().map(|label| {
        let ident = label.ident;
        let ty = elided(family, label.ty);
        quote!(#ident: #ty)
    });
    let idents = closed.iter().map(|l| l.ident);
    let tys = closed.iter().map(|l| l.ty);
    let (pattern, closed_ty) = if closed.len() == 1 {
        let (ident, ty) = (closed[0].ident, closed[0].ty);
        (quote!(#ident), quote!(#ty))
    } else {
        (quote!((#(#idents),*)), quote!((#(#tys),*)))
    };
    let value_ty = value_type(family);
    let values = fresh(family, "values");
    Some(quote! {
        /// Adds each value to the series of these open-set labels, at its
        /// closed-set values, with one lookup: for a record of several
        /// cells of one series (a request's input and output tokens).
        /// `values` is an array or any other iterator of pairs.
        #[inline]
        pub fn inc_by_each(
            &self,
            #(#open_params,)*
            #values: impl ::core::iter::IntoIterator<Item = (#closed_ty, #value_ty)>,
        ) {
            self.inner.with_cells(#key, |__aigw_cells| {
                for (__aigw_closed, __aigw_value) in #values {
                    let #pattern = __aigw_closed;
                    let __aigw_units = <#value_ty as ::aigateway_metrics::CounterValue>::units(__aigw_value);
                    __aigw_cells.get(#index).inc_by(__aigw_units);
                }
            })
        }
    })
}

fn int_gauge_methods(family: &Family) -> TokenStream {
    let Parts {
        params,
        args,
        key,
        index,
    } = parts(family);
    let value = fresh(family, "value");
    let value_ty = value_type(family);
    let arithmetic = family.value.is_none().then(|| {
        let delta = fresh(family, "delta");
        quote! {
            /// Adds one to the series of these labels.
            #[inline]
            pub fn inc(&self, #params) {
                self.add(#args 1)
            }

            /// Takes one from the series of these labels.
            #[inline]
            pub fn dec(&self, #params) {
                self.add(#args -1)
            }

            /// Adds `delta`, which may be negative, to the series of these labels.
            #[inline]
            pub fn add(&self, #params #delta: ::core::primitive::i64) {
                self.inner.with(#key, #index, |__aigw_cell| __aigw_cell.add_i64(#delta))
            }

            /// Adds one to the series of these labels until the guard is
            /// dropped, on whatever path: return, error, panic or a dropped future.
            pub fn track(&self, #params) -> ::aigateway_metrics::GaugeGuard {
                ::aigateway_metrics::GaugeGuard::new(self.inner.cell(#key, #index))
            }
        }
    });
    quote! {
        /// Sets the series of these labels to `value`.
        #[inline]
        pub fn set(&self, #params #value: #value_ty) {
            let __aigw_value = ::core::convert::Into::<::core::primitive::i64>::into(#value);
            self.inner.with(#key, #index, |__aigw_cell| __aigw_cell.set_i64(__aigw_value))
        }

        #arithmetic

        /// The series of these labels, looked up once, for a code path
        /// that sets it many times (a tenant's gauge kept with the
        /// tenant): each record through the handle skips the lookup. The
        /// series does not expire while the handle lives; see
        /// [`BoundGauge`](::aigateway_metrics::BoundGauge).
        pub fn bind(&self, #params) -> ::aigateway_metrics::BoundGauge<#value_ty> {
            ::aigateway_metrics::BoundGauge::new(self.inner.cell(#key, #index))
        }
    }
}

fn float_gauge_methods(family: &Family) -> TokenStream {
    let Parts {
        params, key, index, ..
    } = parts(family);
    let value = fresh(family, "value");
    quote! {
        /// Sets the series of these labels to `value`; NaN and infinite
        /// values are rejected, and change nothing.
        #[inline]
        pub fn set(&self, #params #value: ::core::primitive::f64)
            -> ::core::result::Result<(), ::aigateway_metrics::ValueError>
        {
            let __aigw_value = ::aigateway_metrics::__private::finite(self.inner.descriptor().name, #value)
                .map_err(|error| self.inner.reject(error))?;
            self.inner.with(#key, #index, |__aigw_cell| __aigw_cell.set_f64(__aigw_value));
            ::core::result::Result::Ok(())
        }

        /// The series of these labels, looked up once, for a code path
        /// that sets it many times (a tenant's gauge kept with the
        /// tenant): each record through the handle skips the lookup. The
        /// series does not expire while the handle lives; see
        /// [`BoundFloatGauge`](::aigateway_metrics::BoundFloatGauge).
        pub fn bind(&self, #params) -> ::aigateway_metrics::BoundFloatGauge {
            ::aigateway_metrics::BoundFloatGauge::new(
                self.inner.cell(#key, #index),
                self.inner.descriptor(),
                self.inner.stats(),
            )
        }
    }
}

fn histogram_methods(family: &Family) -> TokenStream {
    let Parts {
        params, key, index, ..
    } = parts(family);
    let value = fresh(family, "value");
    let duration = fresh(family, "duration");
    let exemplar = fresh(family, "exemplar");
    quote! {
        /// Counts `value` into the series of these labels; NaN, infinite and
        /// negative values are rejected, and change nothing.
        #[inline]
        pub fn observe(&self, #params #value: ::core::primitive::f64)
            -> ::core::result::Result<(), ::aigateway_metrics::ValueError>
        {
            let __aigw_value = ::aigateway_metrics::__private::non_negative(self.inner.descriptor().name, #value)
                .map_err(|error| self.inner.reject(error))?;
            self.inner.with(#key, #index, |__aigw_cell| __aigw_cell.observe(self.inner.descriptor(), __aigw_value));
            ::core::result::Result::Ok(())
        }

        /// Counts `duration`, in seconds, into the series of these labels.
        #[inline]
        pub fn observe_duration(&self, #params #duration: ::core::time::Duration) {
            let __aigw_value = #duration.as_secs_f64();
            self.inner.with(#key, #index, |__aigw_cell| __aigw_cell.observe(self.inner.descriptor(), __aigw_value))
        }

        /// Counts `value` into the series of these labels, with `exemplar`
        /// (the trace it was recorded in) as its bucket's latest, exposed in
        /// OpenMetrics; NaN, infinite and negative values are rejected, and
        /// change nothing.
        pub fn observe_with_exemplar(
            &self,
            #params
            #value: ::core::primitive::f64,
            #exemplar: &::aigateway_metrics::Exemplar,
        ) -> ::core::result::Result<(), ::aigateway_metrics::ValueError> {
            let __aigw_value = ::aigateway_metrics::__private::non_negative(self.inner.descriptor().name, #value)
                .map_err(|error| self.inner.reject(error))?;
            self.inner.with(#key, #index, |__aigw_cell| {
                __aigw_cell.observe_with_exemplar(self.inner.descriptor(), __aigw_value, #exemplar)
            });
            ::core::result::Result::Ok(())
        }

        /// Counts `duration`, in seconds, into the series of these labels,
        /// with `exemplar` as its bucket's latest.
        pub fn observe_duration_with_exemplar(
            &self,
            #params
            #duration: ::core::time::Duration,
            #exemplar: &::aigateway_metrics::Exemplar,
        ) {
            let __aigw_value = #duration.as_secs_f64();
            self.inner.with(#key, #index, |__aigw_cell| {
                __aigw_cell.observe_with_exemplar(self.inner.descriptor(), __aigw_value, #exemplar)
            })
        }

        /// The series of these labels, looked up once, for a code path
        /// that observes into it many times: each observation through the
        /// handle skips the lookup. The series does not expire while the
        /// handle lives; see
        /// [`BoundHistogram`](::aigateway_metrics::BoundHistogram).
        pub fn bind(&self, #params) -> ::aigateway_metrics::BoundHistogram {
            ::aigateway_metrics::BoundHistogram::new(
                self.inner.cell(#key, #index),
                self.inner.descriptor(),
                self.inner.stats(),
            )
        }

        /// Starts a timer whose time is counted into the series of these
        /// labels when it is dropped or observed.
        pub fn start_timer(&self, #params) -> ::aigateway_metrics::HistogramTimer {
            ::aigateway_metrics::HistogramTimer::new(
                self.inner.cell(#key, #index),
                self.inner.descriptor(),
            )
        }
    }
}

/// The type a counter counts or a gauge holds.
fn value_type(family: &Family) -> TokenStream {
    match (&family.value, family.kind) {
        (Some(ty), _) => quote!(#ty),
        (None, Some((Kind::Gauge, _))) => quote!(::core::primitive::i64),
        (None, _) => quote!(::core::primitive::u64),
    }
}

fn is_f64(family: &Family) -> bool {
    matches!(&family.value, Some(Type::Path(p)) if p.qself.is_none() && p.path.is_ident("f64"))
}

/// `name`, or `__name` when a label already has that name.
fn fresh(family: &Family, name: &str) -> Ident {
    if family.labels.iter().any(|l| l.ident == name) {
        format_ident!("__{}", name)
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// The field's type with the struct's lifetimes elided, for a parameter.
fn elided(family: &Family, ty: &Type) -> Type {
    struct Elide<'a>(Vec<&'a Lifetime>);
    impl VisitMut for Elide<'_> {
        fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
            if self.0.contains(&&*lifetime) {
                *lifetime = Lifetime::new("'_", lifetime.span());
            }
        }
    }
    let lifetimes = family
        .input
        .generics
        .lifetimes()
        .map(|l| &l.lifetime)
        .collect();
    let mut ty = ty.clone();
    Elide(lifetimes).visit_type_mut(&mut ty);
    ty
}
