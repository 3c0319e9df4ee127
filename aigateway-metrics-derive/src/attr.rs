//! Parses the `#[metric(...)]` attributes of a family and of its fields.
//!
//! Parsing only reads: it records each key once, with the span of its value,
//! and leaves every rule about the values to `valid`. An unknown key or a key
//! given twice is an error pointing at that key; parsing goes on after it, so
//! that one build shows every mistake.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, ExprUnary, Lit, LitStr, Token, Type, UnOp};

use crate::ctxt::Ctxt;

/// The attribute's path: `#[metric(...)]`.
pub const METRIC: &str = "metric";
/// Kind keys: `#[metric(counter)]`, `#[metric(gauge)]`, `#[metric(histogram)]`.
pub const COUNTER: &str = "counter";
pub const GAUGE: &str = "gauge";
pub const HISTOGRAM: &str = "histogram";
/// `name = "aigateway_requests_total"`: the exposition name, in full.
pub const NAME: &str = "name";
/// `buckets = [0.1, 0.5, 1]`: histogram upper bounds.
pub const BUCKETS: &str = "buckets";
/// `prefix = "myco_"`: the prefix every name must start with.
pub const PREFIX: &str = "prefix";
/// `value = Usd`: the type a counter counts or a gauge holds.
pub const VALUE: &str = "value";
/// `limit = 1000`: the most combinations of open-set values kept.
pub const LIMIT: &str = "limit";
/// `expire_after = "30d"`: series idle that long are removed at scrapes.
pub const EXPIRE_AFTER: &str = "expire_after";
/// `expose = "recorded"`: which closed-set values of a series are exposed.
pub const EXPOSE: &str = "expose";
/// `native(schema = 3)` or `native(factor = 1.1)`: native histogram buckets.
pub const NATIVE: &str = "native";
/// Field key `rename = "type"`: the label name, when not the field's name.
pub const RENAME: &str = "rename";

/// The keys of `native(...)`.
const NATIVE_KEYS: [&str; 3] = ["schema", "factor", "max_buckets"];

/// Every key of `#[metric(...)]` on a struct.
const CONTAINER_KEYS: [&str; 11] = [
    COUNTER,
    GAUGE,
    HISTOGRAM,
    NAME,
    BUCKETS,
    PREFIX,
    VALUE,
    LIMIT,
    EXPIRE_AFTER,
    EXPOSE,
    NATIVE,
];

/// The kind of a family.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    /// The kind a key names.
    pub fn of_key(key: &str) -> Option<Kind> {
        match key {
            COUNTER => Some(Kind::Counter),
            GAUGE => Some(Kind::Gauge),
            HISTOGRAM => Some(Kind::Histogram),
            _ => None,
        }
    }
}

/// One histogram bucket bound as written, with its span.
pub struct Bound {
    pub value: f64,
    pub span: Span,
}

/// The `buckets = [...]` list.
pub struct Buckets {
    pub span: Span,
    pub bounds: Vec<Bound>,
}

/// The `native(...)` keys, each value with its span.
pub struct Native {
    /// The `native` key's.
    pub span: Span,
    pub schema: Option<(f64, Span)>,
    pub factor: Option<(f64, Span)>,
    pub max_buckets: Option<(f64, Span)>,
    /// Whether a key inside was not understood (and reported), so that the
    /// one it was meant to be is not reported missing as well.
    pub unknown_key: bool,
}

impl Native {
    /// The schema given, or the one of the factor given (`valid` checks
    /// that one of them is, in range).
    pub fn schema(&self) -> i8 {
        match (self.schema, self.factor) {
            (Some((schema, _)), _) => schema as i8,
            (None, Some((factor, _))) => {
                let growth = |schema: i8| 2f64.powf(2f64.powi(-i32::from(schema)));
                let mut schema = 8;
                while schema > -4 && growth(schema - 1) <= factor {
                    schema -= 1;
                }
                schema
            }
            (None, None) => 0,
        }
    }

    /// The bucket bound given, if any.
    pub fn max_buckets(&self) -> Option<u16> {
        self.max_buckets.map(|(n, _)| n as u16)
    }
}

/// A value given once, with the span of its key for duplicate errors.
pub struct Once<T> {
    key: &'static str,
    value: Option<T>,
}

impl<T> Once<T> {
    fn new(key: &'static str) -> Self {
        Once { key, value: None }
    }

    fn set(&mut self, cx: &mut Ctxt, key_span: Span, value: T) {
        if self.value.is_some() {
            cx.error_at(key_span, format_args!("duplicate `{}` key", self.key));
        } else {
            self.value = Some(value);
        }
    }

    pub fn get(self) -> Option<T> {
        self.value
    }
}

/// What `#[metric(...)]` says on the struct.
pub struct Container {
    pub kind: Once<(Kind, Span)>,
    pub name: Once<LitStr>,
    pub buckets: Once<Buckets>,
    pub prefix: Once<LitStr>,
    pub value: Once<Type>,
    pub limit: Once<syn::LitInt>,
    pub expire_after: Once<LitStr>,
    pub expose: Once<LitStr>,
    pub native: Once<Native>,
    /// The keys meant by misspelt ones, whose absence is then not reported
    /// a second time.
    pub misspelt: Vec<&'static str>,
}

/// What `#[metric(...)]` says on a field.
pub struct Field {
    pub rename: Once<LitStr>,
}

impl Container {
    pub fn from_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut this = Container {
            kind: Once::new("kind"),
            name: Once::new(NAME),
            buckets: Once::new(BUCKETS),
            prefix: Once::new(PREFIX),
            value: Once::new(VALUE),
            limit: Once::new(LIMIT),
            expire_after: Once::new(EXPIRE_AFTER),
            expose: Once::new(EXPOSE),
            native: Once::new(NATIVE),
            misspelt: Vec::new(),
        };
        for_each_key(cx, attrs, |cx, meta| {
            let path = &meta.path;
            let span = path.span();
            let kind = path.get_ident().and_then(|i| Kind::of_key(&i.to_string()));
            if let Some(kind) = kind {
                if this.kind.value.is_some() {
                    cx.error_at(
                        span,
                        "a family has one kind: `counter`, `gauge` or `histogram`",
                    );
                } else {
                    this.kind.value = Some((kind, span));
                }
            } else if path.is_ident(NAME) {
                this.name.set(cx, span, meta.value()?.parse()?);
            } else if path.is_ident(BUCKETS) {
                let buckets = parse_buckets(cx, meta.value()?)?;
                this.buckets.set(cx, span, buckets);
            } else if path.is_ident(PREFIX) {
                this.prefix.set(cx, span, meta.value()?.parse()?);
            } else if path.is_ident(VALUE) {
                this.value.set(cx, span, meta.value()?.parse()?);
            } else if path.is_ident(LIMIT) {
                this.limit.set(cx, span, meta.value()?.parse()?);
            } else if path.is_ident(EXPIRE_AFTER) {
                this.expire_after.set(cx, span, meta.value()?.parse()?);
            } else if path.is_ident(EXPOSE) {
                this.expose.set(cx, span, meta.value()?.parse()?);
            } else if path.is_ident(NATIVE) {
                match parse_native(cx, meta, span)? {
                    Some(native) => this.native.set(cx, span, native),
                    // Reported; the histogram's buckets are not missing too.
                    None => this.misspelt.push(NATIVE),
                }
            } else {
                let key = quote::quote!(#path).to_string();
                match closest(&key, &CONTAINER_KEYS) {
                    Some(meant) => {
                        this.misspelt.push(meant);
                        cx.error_at(
                            span,
                            format_args!("unknown key `{key}`; did you mean `{meant}`?"),
                        );
                    }
                    None => cx.error_at(
                        span,
                        format_args!("unknown key `{key}`: expected {}", listed(&CONTAINER_KEYS)),
                    ),
                }
                skip_value(meta)?;
            }
            Ok(())
        });
        this
    }
}

impl Field {
    pub fn from_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut this = Field {
            rename: Once::new(RENAME),
        };
        for_each_key(cx, attrs, |cx, meta| {
            let path = &meta.path;
            if path.is_ident(RENAME) {
                this.rename.set(cx, path.span(), meta.value()?.parse()?);
            } else {
                cx.error_at(
                    path.span(),
                    format_args!(
                        "unknown key `{}`: a field takes `rename`",
                        quote::quote!(#path)
                    ),
                );
                skip_value(meta)?;
            }
            Ok(())
        });
        this
    }
}

/// The known key closest to `key`, if it is a misspelling of one: at most
/// two edits away, and fewer than the key's length.
fn closest(key: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| (strsim::levenshtein(key, k), *k))
        .filter(|&(distance, _)| distance <= 2 && distance < key.len())
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, k)| k)
}

/// "`a`, `b` or `c`".
fn listed(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

/// Calls `f` for every key of every `#[metric(...)]` attribute; a syntax
/// error ends that attribute only.
fn for_each_key(
    cx: &mut Ctxt,
    attrs: &[Attribute],
    mut f: impl FnMut(&mut Ctxt, &ParseNestedMeta) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident(METRIC)) {
        // Errors about keys go to `cx` inside `f`; an `Err` here is a syntax
        // error, after which nothing more of this attribute can be read.
        if let Err(err) = attr.parse_nested_meta(|meta| f(cx, &meta)) {
            cx.syn_error(err);
        }
    }
}

/// Reads past the value of a key that is not understood.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

fn parse_native(cx: &mut Ctxt, meta: &ParseNestedMeta, span: Span) -> syn::Result<Option<Native>> {
    let mut native = Native {
        span,
        schema: None,
        factor: None,
        max_buckets: None,
        unknown_key: false,
    };
    if !meta.input.peek(syn::token::Paren) {
        cx.error_at(
            span,
            "`native` takes its buckets in parentheses: `native(schema = 3)` or `native(factor = 1.1)`",
        );
        skip_value(meta)?;
        return Ok(None);
    }
    meta.parse_nested_meta(|inner| {
        let path = &inner.path;
        let key_span = path.span();
        let key = quote::quote!(#path).to_string();
        let slot = match key.as_str() {
            "schema" => &mut native.schema,
            "factor" => &mut native.factor,
            "max_buckets" => &mut native.max_buckets,
            _ => {
                let hint = match closest(&key, &NATIVE_KEYS) {
                    Some(meant) => format!("; did you mean `{meant}`?"),
                    None => format!(": `native` takes {}", listed(&NATIVE_KEYS)),
                };
                cx.error_at(key_span, format_args!("unknown key `{key}`{hint}"));
                native.unknown_key = true;
                return skip_value(&inner);
            }
        };
        let expr: Expr = inner.value()?.parse()?;
        match number(&expr) {
            Some(value) if slot.is_none() => *slot = Some((value, expr.span())),
            Some(_) => cx.error_at(key_span, format_args!("duplicate `{key}` key")),
            None => cx.error_spanned_by(&expr, format_args!("`{key}` is a number literal")),
        }
        Ok(())
    })?;
    Ok(Some(native))
}

fn parse_buckets(cx: &mut Ctxt, input: ParseStream) -> syn::Result<Buckets> {
    let content;
    let brackets = syn::bracketed!(content in input);
    let elems = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
    let bounds = elems
        .iter()
        .filter_map(|elem| match number(elem) {
            Some(value) => Some(Bound {
                value,
                span: elem.span(),
            }),
            None => {
                cx.error_spanned_by(
                    elem,
                    "a bucket bound is a number literal, such as `0.5` or `10`",
                );
                None
            }
        })
        .collect();
    Ok(Buckets {
        span: brackets.span.join(),
        bounds,
    })
}

/// The value of `1`, `2.5`, `-3` or `1e999` (which is infinite, and left for
/// `valid` to reject).
fn number(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => f.base10_digits().parse().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_digits().parse().ok(),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => number(expr).map(|v| -v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Native;
    use proc_macro2::Span;

    /// A factor gives the finest schema whose buckets grow by no more.
    #[test]
    fn a_factor_gives_the_finest_schema_not_above_it() {
        let schema = |factor| {
            Native {
                span: Span::call_site(),
                schema: None,
                factor: Some((factor, Span::call_site())),
                max_buckets: None,
                unknown_key: false,
            }
            .schema()
        };
        assert_eq!(schema(1.1), 3);
        assert_eq!(schema(2.0), 0);
        assert_eq!(schema(1.0001), 8);
        assert_eq!(schema(1e9), -4);
    }
}
