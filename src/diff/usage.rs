//! Usage-weighted verdicts: a change to a body field of a contract's request or response
//! carries what the learned lineage (`contracts/lineage.yaml` of the working tree, or
//! `--lineage FILE`) shows of the field's use — `used by: erp.customer-sync (2 of 2 recorded
//! calls)` or `no recorded use` — and names only the consumers that evidence leaves. With
//! `[diff] unused = "potentially-breaking"`, a change to a field no recorded consumer ever
//! received is softened to that severity. See `docs/diff.md#usage-weighted-verdicts`.

use std::path::Path;

use super::change::Change;
use super::rules::Severity;
use crate::contract::lineage::{LINEAGE_FILE, Lineage, Side};
use crate::error::Error;

/// The lineage `diff` weighs changes with: `file` when given (it must exist), else
/// `lineage.yaml` in `contracts` when there is one, else none (no evidence; verdicts unchanged).
pub(crate) fn load(file: Option<&Path>, contracts: &Path) -> Result<Option<Lineage>, Error> {
    let path = match file {
        Some(path) => path.to_path_buf(),
        None => {
            let path = contracts.join(LINEAGE_FILE);
            if !path.is_file() {
                return Ok(None);
            }
            path
        }
    };
    crate::contract::load_learned_file::<Lineage>(&path)
        .map(Some)
        .map_err(Error::Input)
}

/// Attaches the usage of each changed field and softens changes to fields with no recorded use
/// down to `unused`.
pub(crate) fn weigh(changes: &mut [Change], lineage: &Lineage, unused: Option<Severity>) {
    for change in changes {
        let side = match change.location.message.as_str() {
            "request" => Side::Request,
            "response" => Side::Response,
            _ => continue,
        };
        if change.location.part.as_deref() != Some("body") {
            continue;
        }
        let Some(pointer) = field_pointer(&change.location.field) else {
            continue;
        };
        let Some(usage) = lineage.usage(&change.interface, side, &pointer, &change.consumers)
        else {
            continue;
        };
        change.consumers = usage.consumers(&change.consumers);
        if let Some(cap) = unused
            && usage.is_unused()
            && change.severity > cap
        {
            change.softened_from = Some(change.severity);
            change.severity = cap;
            change.breaking = cap == Severity::Breaking;
        }
        change.usage = Some(usage);
    }
}

/// The JSON pointer of a diff field path (`customer.tax_id` → `/customer/tax_id`,
/// `lines[].amount` → `/lines/*/amount`); `None` for the whole body and for places that hold no
/// value of their own (property names, a string's content).
pub(crate) fn field_pointer(field: &str) -> Option<String> {
    if field.is_empty() {
        return None;
    }
    let mut tokens: Vec<String> = Vec::new();
    let mut name = String::new();
    let mut chars = field.chars();
    let flush = |name: &mut String, tokens: &mut Vec<String>| {
        if !name.is_empty() {
            tokens.push(std::mem::take(name));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '.' => flush(&mut name, &mut tokens),
            '[' => {
                flush(&mut name, &mut tokens);
                let inside: String = chars.by_ref().take_while(|&c| c != ']').collect();
                if inside.chars().all(|c| c.is_ascii_digit()) && !inside.is_empty() {
                    tokens.push(inside);
                } else {
                    tokens.push("*".to_string());
                }
            }
            '<' => {
                flush(&mut name, &mut tokens);
                let label: String = chars.by_ref().take_while(|&c| c != '>').collect();
                if label == "name" || label == "content" {
                    return None;
                }
            }
            c => name.push(c),
        }
    }
    flush(&mut name, &mut tokens);
    if tokens.is_empty() {
        return None;
    }
    Some(
        tokens
            .iter()
            .map(|t| format!("/{}", crate::json::escape_pointer_token(t)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_become_pointers() {
        assert_eq!(field_pointer("tax_id").as_deref(), Some("/tax_id"));
        assert_eq!(
            field_pointer("customer.tax_id").as_deref(),
            Some("/customer/tax_id")
        );
        assert_eq!(
            field_pointer("lines[].amount").as_deref(),
            Some("/lines/*/amount")
        );
        assert_eq!(field_pointer("pair[1]").as_deref(), Some("/pair/1"));
        assert_eq!(
            field_pointer("lines[contains].sku").as_deref(),
            Some("/lines/*/sku")
        );
        assert_eq!(
            field_pointer("vat<then>.rate").as_deref(),
            Some("/vat/rate")
        );
        assert_eq!(field_pointer("a~b/c").as_deref(), Some("/a~0b~1c"));
        assert_eq!(field_pointer("meta<name>"), None);
        assert_eq!(field_pointer(""), None);
    }
}
