//! The model of one `#[derive(Metric)]` input: what the family is, read from
//! the struct, with the span of every value so that `valid` can point at it.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{
    Attribute, Data, DeriveInput, Expr, ExprLit, Fields, GenericParam, Ident, Lit, LitStr, Meta,
    Type,
};

use crate::attr::{self, Buckets, Kind, Native};
use crate::ctxt::Ctxt;

/// A metric family.
pub struct Family<'a> {
    pub input: &'a DeriveInput,
    /// The kind, with the span of its key; `None` when not given.
    pub kind: Option<(Kind, Span)>,
    pub name: Option<LitStr>,
    /// The first paragraph of the doc comment, lines joined by spaces.
    pub help: String,
    pub labels: Vec<Label<'a>>,
    pub buckets: Option<Buckets>,
    pub native: Option<Native>,
    pub prefix: Option<LitStr>,
    pub value: Option<Type>,
    pub limit: Option<syn::LitInt>,
    pub expire_after: Option<LitStr>,
    pub expose: Option<LitStr>,
    /// Keys the attributes misspelt, by the key meant.
    pub misspelt: Vec<&'static str>,
}

/// A label: one field of the struct.
pub struct Label<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    /// The label name: `rename`, or the field's name without `r#`.
    pub name: String,
    pub name_span: Span,
    /// An open set (its type borrows a string, so it has a lifetime) rather
    /// than a closed set (an enum, with no lifetime).
    pub open: bool,
}

impl<'a> Family<'a> {
    /// Reads the input; `None` when it is not a struct with named fields (or
    /// a unit struct), which is reported to `cx`.
    pub fn from_ast(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let attrs = attr::Container::from_attrs(cx, &input.attrs);
        for param in &input.generics.params {
            if !matches!(param, GenericParam::Lifetime(_)) {
                cx.error_spanned_by(
                    param,
                    "a metric family takes lifetimes only: its labels are borrowed strings and enums",
                );
            }
        }
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named.named.iter().collect(),
                Fields::Unit => Vec::new(),
                Fields::Unnamed(_) => {
                    cx.error_spanned_by(
                        &input.ident,
                        "a metric family is a struct with named fields, one per label; \
                         a tuple struct cannot name its labels",
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                cx.error_at(
                    data.enum_token.span(),
                    "a metric family is a struct with named fields, one per label; \
                     for an enum of label values use `#[derive(LabelValue)]`",
                );
                return None;
            }
            Data::Union(data) => {
                cx.error_at(
                    data.union_token.span(),
                    "a metric family is a struct with named fields, one per label",
                );
                return None;
            }
        };
        let labels = fields
            .into_iter()
            .map(|field| {
                let ident = field.ident.as_ref().expect("named field");
                let field_attrs = attr::Field::from_attrs(cx, &field.attrs);
                let (name, name_span) = match field_attrs.rename.get() {
                    Some(lit) => (lit.value(), lit.span()),
                    None => (ident.unraw().to_string(), ident.span()),
                };
                Label {
                    ident,
                    ty: &field.ty,
                    name,
                    name_span,
                    open: has_lifetime(&field.ty),
                }
            })
            .collect();
        Some(Family {
            input,
            kind: attrs.kind.get(),
            name: attrs.name.get(),
            help: help(&input.attrs),
            labels,
            buckets: attrs.buckets.get(),
            native: attrs.native.get(),
            prefix: attrs.prefix.get(),
            value: attrs.value.get(),
            limit: attrs.limit.get(),
            expire_after: attrs.expire_after.get(),
            expose: attrs.expose.get(),
            misspelt: attrs.misspelt,
        })
    }

    pub fn ident(&self) -> &'a Ident {
        &self.input.ident
    }

    pub fn open_labels(&self) -> impl Iterator<Item = &Label<'a>> {
        self.labels.iter().filter(|l| l.open)
    }

    pub fn closed_labels(&self) -> impl Iterator<Item = &Label<'a>> {
        self.labels.iter().filter(|l| !l.open)
    }
}

/// The first paragraph of the doc comment.
fn help(attrs: &[Attribute]) -> String {
    let lines = attrs.iter().filter_map(|attr| match &attr.meta {
        Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    });
    let mut help = String::new();
    for text in lines {
        // `split`, not `lines`: a `///` line alone is an empty string,
        // which `lines` makes no line at all, and it ends the paragraph.
        for line in text.split('\n').map(str::trim) {
            if line.is_empty() {
                if !help.is_empty() {
                    return help;
                }
                continue;
            }
            if !help.is_empty() {
                help.push(' ');
            }
            help.push_str(line);
        }
    }
    help
}

/// Whether a type names a lifetime or is a reference: the mark of a label
/// that borrows its value.
fn has_lifetime(ty: &Type) -> bool {
    struct Finder(bool);
    impl Visit<'_> for Finder {
        fn visit_lifetime(&mut self, _: &syn::Lifetime) {
            self.0 = true;
        }
        fn visit_type_reference(&mut self, _: &syn::TypeReference) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}
