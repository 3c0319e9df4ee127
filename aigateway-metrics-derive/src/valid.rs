//! The rules a family must follow, checked on the model from `ast`. Every
//! broken rule is recorded; none stops the others from being checked.

use std::collections::HashMap;

use crate::ast::Family;
use crate::attr::{self, Kind};
use crate::ctxt::Ctxt;

/// The prefix every metric name starts with unless `prefix = "..."` says
/// otherwise.
pub const DEFAULT_PREFIX: &str = "aigateway_";

pub fn check(cx: &mut Ctxt, family: &Family) {
    check_help(cx, family);
    check_name(cx, family);
    check_buckets(cx, family);
    check_native(cx, family);
    check_value(cx, family);
    check_limit(cx, family);
    check_expire_after(cx, family);
    check_expose(cx, family);
    check_labels(cx, family);
}

fn check_expose(cx: &mut Ctxt, family: &Family) {
    let Some(lit) = &family.expose else {
        return;
    };
    if !matches!(lit.value().as_str(), "all" | "recorded") {
        cx.error_spanned_by(lit, "`expose` is \"all\" (the default) or \"recorded\"");
    } else if family.labels.iter().all(|l| l.open) {
        cx.error_spanned_by(
            lit,
            "`expose` chooses which closed-set values are exposed; this family has no \
             closed-set label",
        );
    }
}

fn check_expire_after(cx: &mut Ctxt, family: &Family) {
    let Some(lit) = &family.expire_after else {
        return;
    };
    match millis(&lit.value()) {
        Err(msg) => cx.error_spanned_by(lit, msg),
        Ok(_) if family.open_labels().next().is_none() => cx.error_spanned_by(
            lit,
            "a family without open-set labels has one set of series, kept for good; \
             `expire_after` does not apply",
        ),
        Ok(_) => {}
    }
}

/// The milliseconds of an `expire_after` value: a whole number and one
/// unit, `ms`, `s`, `m`, `h` or `d` (`"90s"`, `"15m"`, `"30d"`).
pub fn millis(text: &str) -> Result<u64, &'static str> {
    const FORMAT: &str = "`expire_after` is a whole number and a unit (ms, s, m, h or d), \
                          such as \"15m\" or \"30d\"";
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let per_unit: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(FORMAT),
    };
    let number: u64 = number.parse().map_err(|_| FORMAT)?;
    match number.checked_mul(per_unit) {
        Some(0) => Err("`expire_after` is at least 1ms; leave it out to keep series for good"),
        Some(millis) => Ok(millis),
        None => Err("`expire_after` is too long to count in milliseconds"),
    }
}

fn check_limit(cx: &mut Ctxt, family: &Family) {
    let Some(limit) = &family.limit else {
        return;
    };
    match limit.base10_parse::<usize>() {
        Ok(0) | Err(_) => {
            cx.error_spanned_by(limit, "the series limit is a whole number of at least 1")
        }
        Ok(_) if family.open_labels().next().is_none() => cx.error_spanned_by(
            limit,
            "a family without open-set labels has a fixed set of series; `limit` does not apply",
        ),
        Ok(_) => {}
    }
}

fn check_help(cx: &mut Ctxt, family: &Family) {
    if family.help.is_empty() {
        cx.error_spanned_by(
            family.ident(),
            "a metric family needs a doc comment: its first paragraph is the HELP text",
        );
    }
}

fn check_name(cx: &mut Ctxt, family: &Family) {
    let misspelt = |key| family.misspelt.contains(&key);
    let Some(lit) = &family.name else {
        if misspelt(attr::NAME) {
            return;
        }
        cx.error_spanned_by(
            family.ident(),
            "a metric family needs `#[metric(name = \"...\")]`, its full exposition name",
        );
        return;
    };
    let name = lit.value();
    if !is_metric_name(&name) {
        cx.error_spanned_by(
            lit,
            "a metric name is ASCII letters, digits, `_` and `:`, and does not start with a digit",
        );
    }
    let prefix = family
        .prefix
        .as_ref()
        .map_or(DEFAULT_PREFIX.to_owned(), |p| p.value());
    if !name.starts_with(&prefix) {
        cx.error_spanned_by(
            lit,
            format_args!(
                "metric names start with `{prefix}`; set `prefix = \"...\"` to use another prefix"
            ),
        );
    }
    let Some((kind, _)) = family.kind else {
        if [attr::COUNTER, attr::GAUGE, attr::HISTOGRAM]
            .into_iter()
            .any(misspelt)
        {
            return;
        }
        cx.error_spanned_by(
            family.ident(),
            "a metric family needs a kind: `#[metric(counter)]`, `#[metric(gauge)]` or `#[metric(histogram)]`",
        );
        return;
    };
    let total = name.ends_with("_total");
    if kind == Kind::Counter && !total {
        cx.error_spanned_by(lit, "counter names end in `_total`");
    }
    if kind != Kind::Counter && total {
        cx.error_spanned_by(lit, "only counter names end in `_total`");
    }
    if kind == Kind::Histogram {
        for suffix in ["_bucket", "_count", "_sum"] {
            if name.ends_with(suffix) {
                cx.error_spanned_by(
                    lit,
                    format_args!(
                        "`{suffix}` is added to histogram samples; leave it out of the name"
                    ),
                );
            }
        }
    }
}

fn check_buckets(cx: &mut Ctxt, family: &Family) {
    let Some((kind, kind_span)) = family.kind else {
        return;
    };
    let Some(buckets) = &family.buckets else {
        let meant =
            family.misspelt.contains(&attr::BUCKETS) || family.misspelt.contains(&attr::NATIVE);
        if kind == Kind::Histogram && family.native.is_none() && !meant {
            cx.error_at(
                kind_span,
                "histogram needs `buckets = [...]`, `native(...)` buckets, or both",
            );
        }
        return;
    };
    if kind != Kind::Histogram {
        cx.error_at(buckets.span, "only a histogram has `buckets`");
        return;
    }
    if buckets.bounds.is_empty() {
        cx.error_at(buckets.span, "histogram needs at least one bucket bound");
    }
    for bound in &buckets.bounds {
        if !bound.value.is_finite() {
            cx.error_at(
                bound.span,
                "bucket bounds are finite; the `+Inf` bucket is always added",
            );
        }
    }
    for pair in buckets.bounds.windows(2) {
        if pair[1].value <= pair[0].value {
            cx.error_at(
                pair[1].span,
                format_args!(
                    "bucket bounds are strictly increasing: this one follows {}",
                    pair[0].value
                ),
            );
        }
    }
}

fn check_native(cx: &mut Ctxt, family: &Family) {
    let Some(native) = &family.native else {
        return;
    };
    if !matches!(family.kind, Some((Kind::Histogram, _))) {
        cx.error_at(native.span, "only a histogram has `native` buckets");
        return;
    }
    match (native.schema, native.factor) {
        (None, None) if native.unknown_key => {}
        (None, None) => cx.error_at(
            native.span,
            "`native` takes `schema = N` (-4 to 8) or `factor = F` (the growth from one bucket to the next)",
        ),
        (Some(_), Some((_, span))) => cx.error_at(
            span,
            "`native` takes `schema` or `factor`, not both: a factor chooses a schema",
        ),
        (Some((schema, span)), None) => {
            if schema.fract() != 0.0 || !(-4.0..=8.0).contains(&schema) {
                cx.error_at(
                    span,
                    "a native schema is a whole number from -4 (a factor of 65536) to 8 (1.0027)",
                );
            }
        }
        (None, Some((factor, span))) => {
            if !(factor.is_finite() && factor > 1.0) {
                cx.error_at(
                    span,
                    "a native bucket factor is above 1: each bucket's bound is the last one's times it",
                );
            } else if factor < 2f64.powf(2f64.powi(-8)) {
                cx.error_at(
                    span,
                    "the finest native buckets grow by 1.0027 (schema 8); a factor below that has no schema",
                );
            }
        }
    }
    if let Some((max, span)) = native.max_buckets {
        if max.fract() != 0.0 || !(2.0..=65535.0).contains(&max) {
            cx.error_at(span, "`max_buckets` is a whole number from 2 to 65535");
        }
    }
}

fn check_value(cx: &mut Ctxt, family: &Family) {
    let Some(ty) = &family.value else {
        return;
    };
    match family.kind {
        Some((Kind::Histogram, _)) => cx.error_spanned_by(
            ty,
            "a histogram observes `f64`; `value` is for counters and gauges",
        ),
        Some((Kind::Counter, _)) if is_one_of(ty, &["f64", "f32"]) => cx.error_spanned_by(
            ty,
            "a counter counts whole units, so that its sums are exact: \
             `value = Usd` for money (counted in nano-dollars), or an integer unit \
             (`u64`, the default); a gauge can hold an `f64`",
        ),
        _ => {}
    }
}

/// Whether `ty` is a plain path to one of `names`.
fn is_one_of(ty: &syn::Type, names: &[&str]) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none()
        && names.iter().any(|name| p.path.is_ident(name)))
}

fn check_labels(cx: &mut Ctxt, family: &Family) {
    let histogram = matches!(family.kind, Some((Kind::Histogram, _)));
    let mut seen = HashMap::new();
    for label in &family.labels {
        let name = label.name.as_str();
        let span = label.name_span;
        if is_one_of(label.ty, &["String"]) {
            cx.error_spanned_by(
                label.ty,
                format_args!(
                    "a label's values are borrowed, so that recording allocates nothing: \
                     for an open set use `&'a str`, or a newtype over it such as \
                     `TenantId<'a>` (the struct then takes the lifetime: `struct {}<'a>`); \
                     for a closed set, an enum with `#[derive(LabelValue)]`",
                    family.ident()
                ),
            );
        }
        if !is_label_name(name) {
            cx.error_at(
                span,
                format_args!(
                    "`{name}` is not a label name: use ASCII letters, digits and `_`, not starting with a digit"
                ),
            );
        } else if name.starts_with("__") {
            cx.error_at(
                span,
                "label names starting with `__` are reserved for Prometheus",
            );
        } else if name == "le" && histogram {
            cx.error_at(span, "`le` is reserved for histogram buckets");
        } else if name == "quantile" {
            cx.error_at(span, "`quantile` is reserved for summary quantiles");
        }
        if seen.insert(name, span).is_some() {
            cx.error_at(span, format_args!("duplicate label `{name}`"));
        }
    }
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::millis;

    #[test]
    fn expire_after_reads_a_number_and_a_unit() {
        let read = ["1ms", "90s", "15m", "2h", "30d"].map(millis);
        assert_eq!(
            read,
            [
                Ok(1),
                Ok(90_000),
                Ok(900_000),
                Ok(7_200_000),
                Ok(2_592_000_000)
            ]
        );
    }

    #[test]
    fn expire_after_refuses_anything_else() {
        for text in [
            "", "15", "m", "1.5h", "-1s", "15 m", "15min", "1h30m", "+1s",
        ] {
            assert!(
                millis(text)
                    .unwrap_err()
                    .contains("a whole number and a unit"),
                "{text:?}"
            );
        }
        assert!(millis("0s").unwrap_err().contains("at least 1ms"));
        assert!(millis("999999999999999d").unwrap_err().contains("too long"));
    }
}
