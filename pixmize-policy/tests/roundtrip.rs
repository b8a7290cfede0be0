//! TOML and JSON round trips, and the committed JSON Schema.

use pixmize_policy::{IMAGEKIT_TOML, PIXMIZE_TOML, Policy, export, retention};

#[test]
fn toml_and_json_round_trip() {
    for text in [PIXMIZE_TOML, IMAGEKIT_TOML] {
        let p = Policy::from_toml(text).unwrap();
        let toml = p.to_toml().unwrap();
        let again = Policy::from_toml(&toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
        assert_eq!(p.document(), again.document());
        let json = p.to_json().unwrap();
        let from_json = Policy::from_json(&json).unwrap();
        assert_eq!(p.document(), from_json.document());
        // And JSON -> TOML -> document is stable too.
        assert_eq!(
            Policy::from_toml(&from_json.to_toml().unwrap()).unwrap().document(),
            p.document()
        );
    }
}

const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/policy.schema.json");

/// The committed schema must match the types. Regenerate with
/// `PIXMIZE_BLESS=1 cargo test -p pixmize-policy --test roundtrip`.
#[test]
fn committed_schema_matches_the_types() {
    let generated = export::json_schema_string();
    if std::env::var_os("PIXMIZE_BLESS").is_some() {
        std::fs::write(SCHEMA_PATH, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "policies/policy.schema.json is out of date; run PIXMIZE_BLESS=1 cargo test -p pixmize-policy --test roundtrip"
    );
}

#[test]
fn schema_describes_the_policy_shape() {
    let schema = export::json_schema();
    let props = schema["properties"].as_object().unwrap();
    for field in [
        "format",
        "version",
        "controller",
        "recipients",
        "activities",
        "prohibitions",
        "cookies",
        "rights",
        "analytics",
    ] {
        assert!(props.contains_key(field), "schema lacks {field}");
    }
    assert_eq!(schema["additionalProperties"], false, "deny_unknown_fields shows in the schema");
    // Every property the shipped policy uses is in the schema.
    let doc: serde_json::Value =
        serde_json::from_str(&Policy::pixmize().to_json().unwrap()).unwrap();
    for key in doc.as_object().unwrap().keys() {
        assert!(props.contains_key(key), "schema lacks {key}");
    }
}

#[test]
fn schema_bounds_retention_as_validation_does() {
    let schema = export::json_schema();
    let variants = schema["$defs"]["Retention"]["oneOf"].as_array().unwrap();
    for (kind, field) in [("days", "days"), ("until_account_deletion", "grace_days")] {
        let variant = variants.iter().find(|v| v["properties"]["kind"]["const"] == kind).unwrap();
        assert_eq!(variant["properties"][field]["maximum"], retention::MAX_DAYS, "{kind}.{field}");
    }
}
