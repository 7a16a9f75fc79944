//! OpenAPI documents as both `interlock diff` and `interlock import openapi` read them: which
//! generation a document is, the operations a path item can hold, a Swagger 2.0 parameter's
//! schema, and the type a misspelt type name most likely meant.

use serde_json::Value;

use crate::error::did_you_mean;

/// The operations a path item can hold, in the order OpenAPI lists them.
pub(crate) const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Which OpenAPI generation a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    Swagger2,
    OpenApi30,
    OpenApi31,
}

/// The version a parsed document declares, if it is an OpenAPI document at all.
pub(crate) fn version(doc: &Value) -> Option<Result<Version, String>> {
    if let Some(v) = doc.get("swagger") {
        return Some(match v.as_str() {
            Some("2.0") => Ok(Version::Swagger2),
            _ => Err(format!(
                "unsupported `swagger` version {v}; expected \"2.0\""
            )),
        });
    }
    let v = doc.get("openapi")?;
    Some(match v.as_str() {
        Some(s) if s.starts_with("3.0") => Ok(Version::OpenApi30),
        Some(s) if s.starts_with("3.1") => Ok(Version::OpenApi31),
        _ => Err(format!(
            "unsupported `openapi` version {v}; expected 3.0.x or 3.1.x"
        )),
    })
}

/// A Swagger 2.0 parameter or header object without its non-schema fields.
pub(crate) fn param_schema_value(value: &Value) -> Value {
    let mut map = value.as_object().cloned().unwrap_or_default();
    for key in [
        "name",
        "in",
        "required",
        "description",
        "allowEmptyValue",
        "collectionFormat",
    ] {
        map.remove(key);
    }
    Value::Object(map)
}

/// The JSON Schema type names a spec may use.
const TYPE_NAMES: [&str; 6] = ["boolean", "integer", "number", "string", "array", "object"];

/// The type an unknown type name most likely meant (`int` → `integer`, `strng` → `string`), for
/// reading common spec typos leniently.
pub(crate) fn lenient_type(name: &str) -> Option<&'static str> {
    let alias = match name {
        "int" | "int32" | "int64" | "long" => Some("integer"),
        "double" | "float" | "decimal" => Some("number"),
        "bool" => Some("boolean"),
        "str" => Some("string"),
        _ => None,
    };
    let wanted = alias.map(String::from).or_else(|| {
        let hint = did_you_mean(name, TYPE_NAMES.iter().copied())?;
        hint.split('`').nth(1).map(String::from)
    })?;
    TYPE_NAMES.iter().copied().find(|n| *n == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_detection() {
        assert_eq!(
            version(&serde_json::json!({"openapi": "3.1.0"})),
            Some(Ok(Version::OpenApi31))
        );
        assert_eq!(
            version(&serde_json::json!({"swagger": "2.0"})),
            Some(Ok(Version::Swagger2))
        );
        assert!(matches!(
            version(&serde_json::json!({"openapi": "4.0"})),
            Some(Err(_))
        ));
        assert_eq!(version(&serde_json::json!({"type": "object"})), None);
    }

    #[test]
    fn common_type_typos_have_a_likely_meaning() {
        assert_eq!(lenient_type("int"), Some("integer"));
        assert_eq!(lenient_type("double"), Some("number"));
        assert_eq!(lenient_type("strng"), Some("string"));
        assert_eq!(lenient_type("xyzzy"), None);
    }
}
