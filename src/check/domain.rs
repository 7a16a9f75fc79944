//! Live values against the value domains learned from recordings (`contracts/domains.yaml`,
//! see [`crate::contract::domains`]): a new value of an enum-like field, a decimal scale the
//! recordings never had, a float where they held only integers, a date-time offset never
//! recorded, a code of another length or with other characters. Each is a `domain-drift`
//! finding. Ignored fields keep their class checks (type, scale, offset, length, characters)
//! but not the value check, so a volatile field still cannot change shape unseen.

use serde_json::Value;

use crate::contract::domains::{
    CharClass, Domains, DriftSeverity, FieldDomain, ValueType, offset_of, scale_of,
};
use crate::json::{display_pointer, for_each_leaf, wildcard_indices};
use crate::model::{Finding, FindingKind, Location, Severity};
use crate::scenario::IgnoreRules;

/// The domain findings of one live body: a response with `status`, or a request (`None`).
pub(crate) fn check_body(
    domains: &Domains,
    interface: &str,
    status: Option<u16>,
    body: &Value,
    ignore: &IgnoreRules,
    location: &Location,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(fields) = domains.fields(interface, status) else {
        return findings;
    };
    for_each_leaf(body, &mut |pointer, value| {
        let Some(domain) = fields.get(&wildcard_indices(pointer)) else {
            return;
        };
        if let Some(problem) = outside(domain, value, ignore.covers(pointer)) {
            let mut finding = Finding::new(
                FindingKind::DomainDrift,
                location.clone(),
                pointer,
                format!("`{}` {problem}", display_pointer(pointer)),
            )
            .with_values(None, Some(value.clone()));
            finding.interface = Some(interface.to_string());
            if domains.severity == DriftSeverity::Info {
                finding.severity = Severity::Info;
            }
            findings.push(finding);
        }
    });
    findings
}

/// Why `value` lies outside `domain`, if it does. `ignored` fields skip the value check.
fn outside(domain: &FieldDomain, value: &Value, ignored: bool) -> Option<String> {
    let kind = ValueType::of(value)?;
    if kind == ValueType::Float && domain.integers_only() {
        return Some(format!(
            "is a float ({value}) where the recordings hold only integers"
        ));
    }
    if let (Some(scale), Some([lo, hi])) = (scale_of(value), domain.known_scale()) {
        // A float's trailing zeros are not written back (38650.50 reads as 38650.5), so only
        // a decimal string can show a scale below the recorded one.
        if scale > hi || (scale < lo && value.is_string()) {
            let recorded = if lo == hi {
                format!("{hi}")
            } else {
                format!("{lo} to {hi}")
            };
            return Some(format!(
                "has {scale} decimal places where the recordings have {recorded}"
            ));
        }
    }
    let Value::String(s) = value else {
        return None;
    };
    if let (Some(offset), Some(offsets)) = (offset_of(s), &domain.offsets)
        && !offsets.contains(&offset)
    {
        return Some(format!(
            "has the date-time offset {offset}, never recorded (recorded: {})",
            join(offsets.iter().map(String::as_str))
        ));
    }
    if domain.is_code_like() {
        let len = s.chars().count();
        if let Some(fixed) = domain.fixed_length()
            && len != fixed
        {
            return Some(format!(
                "is {len} characters long where every recorded value has {fixed}"
            ));
        }
        if let Some(chars) = &domain.chars {
            let new: Vec<CharClass> = CharClass::all_of(s)
                .into_iter()
                .filter(|c| !chars.contains(c))
                .collect();
            if !new.is_empty() {
                return Some(format!(
                    "holds {}, never recorded in it (recorded: {})",
                    join(new.iter().map(|c| c.name())),
                    join(chars.iter().map(|c| c.name()))
                ));
            }
        }
    }
    if !ignored
        && let Some(values) = &domain.values
        && !values.contains_key(s)
    {
        return Some(format!(
            "has the value \"{s}\", never recorded (recorded: {})",
            join(
                values
                    .keys()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str)
            )
        ));
    }
    None
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::domains::Learner;
    use crate::scenario::IgnoreRule;
    use serde_json::json;

    const IFACE: &str = "crm.customer.get";

    fn learned() -> Domains {
        let mut learner = Learner::default();
        for (status, limit, amount, tax, at) in [
            (
                "open",
                800000,
                "1200.00",
                "91440300MA5G7W2K82",
                "2026-03-02T09:15:00+08:00",
            ),
            (
                "won",
                5000,
                "38650.50",
                "91310115MA1K4XQ30Y",
                "2026-03-03T10:00:00+08:00",
            ),
            (
                "open",
                120000,
                "99.90",
                "91110108MA01ABCD1X",
                "2026-03-04T11:30:00+08:00",
            ),
            (
                "won",
                300,
                "0.10",
                "91440101MA59XY7Z0P",
                "2026-03-05T08:00:00+08:00",
            ),
            (
                "open",
                42,
                "7.25",
                "91330106MA27Y5JH4K",
                "2026-03-06T08:45:00+08:00",
            ),
        ] {
            learner.observe(
                IFACE,
                Some(200),
                &json!({"status": status, "credit_limit": limit, "amount": amount,
                        "tax_id": tax, "updated_at": at}),
            );
        }
        learner.finish()
    }

    fn check(body: Value, ignore: &[&str]) -> Vec<String> {
        let rules = IgnoreRules::new(
            ignore
                .iter()
                .map(|p| IgnoreRule::parse(p).unwrap())
                .collect(),
        );
        check_body(
            &learned(),
            IFACE,
            Some(200),
            &body,
            &rules,
            &Location::Response,
        )
        .into_iter()
        .map(|f| format!("{} {}", f.path, f.message))
        .collect()
    }

    fn good() -> Value {
        json!({"status": "open", "credit_limit": 700, "amount": "12.00",
               "tax_id": "91440300MA5G7W2K99", "updated_at": "2026-04-01T09:00:00+08:00"})
    }

    #[test]
    fn values_inside_their_domains_pass() {
        assert_eq!(check(good(), &[]), Vec::<String>::new());
    }

    #[test]
    fn a_new_enum_value_is_drift_unless_ignored() {
        let mut body = good();
        body["status"] = json!("lost");
        assert_eq!(
            check(body.clone(), &[]),
            [
                "/status `/status` has the value \"lost\", never recorded (recorded: \"open\", \"won\")"
            ]
        );
        assert_eq!(check(body, &["/status"]), Vec::<String>::new());
    }

    #[test]
    fn an_integer_arriving_as_a_float_is_drift_even_when_ignored() {
        let mut body = good();
        body["credit_limit"] = json!(800000.0);
        let found = check(body, &["/credit_limit"]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("is a float (800000.0) where the recordings hold only integers"));
    }

    #[test]
    fn a_scale_change_is_drift() {
        let mut body = good();
        body["amount"] = json!("38650.5012");
        assert_eq!(
            check(body, &[]),
            ["/amount `/amount` has 4 decimal places where the recordings have 2"]
        );
    }

    #[test]
    fn an_offset_never_recorded_is_drift_even_when_ignored() {
        let mut body = good();
        body["updated_at"] = json!("2026-04-01T10:00:00+09:00");
        let found = check(body, &["/updated_at"]);
        assert_eq!(
            found,
            [
                "/updated_at `/updated_at` has the date-time offset +09:00, never recorded (recorded: +08:00)"
            ]
        );
    }

    #[test]
    fn a_code_of_another_length_or_alphabet_is_drift() {
        let mut body = good();
        body["tax_id"] = json!("9144030");
        assert!(
            check(body.clone(), &[])[0]
                .contains("is 7 characters long where every recorded value has 18")
        );
        body["tax_id"] = json!("91440300ma5g7w2k82");
        assert!(check(body, &[])[0].contains("holds lower-case letters, never recorded in it"));
    }

    #[test]
    fn free_text_keeps_no_length_or_alphabet() {
        let mut learner = Learner::default();
        learner.observe(IFACE, Some(200), &json!({"name": "深圳前海瑞丰"}));
        learner.observe(IFACE, Some(200), &json!({"name": "ACME Trading Ltd"}));
        let domains = learner.finish();
        let found = check_body(
            &domains,
            IFACE,
            Some(200),
            &json!({"name": "Zhang & Sons 2"}),
            &IgnoreRules::default(),
            &Location::Response,
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn info_severity_reports_without_failing() {
        let mut domains = learned();
        domains.severity = DriftSeverity::Info;
        let mut body = good();
        body["status"] = json!("lost");
        let found = check_body(
            &domains,
            IFACE,
            Some(200),
            &body,
            &IgnoreRules::default(),
            &Location::Response,
        );
        assert_eq!(found.len(), 1);
        assert!(!found[0].is_failure());
    }
}
