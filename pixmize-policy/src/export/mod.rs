//! Machine-readable views of a policy: the JSON Schema of the policy file,
//! W3C DPV JSON-LD, privacy.txt and a GDPR Art. 30 record of processing.
//!
//! ```
//! use pixmize_policy::{Policy, export};
//! let policy = Policy::pixmize();
//! let jsonld = export::dpv_jsonld(policy);
//! assert_eq!(jsonld["@graph"][0]["@type"], "dpv:DataController");
//! assert!(export::privacy_txt(policy).contains("Cookie: __session,pixmize.example,60,false,false,false,true"));
//! let record = export::art30_record(policy);
//! assert_eq!(record.activities.len(), policy.document().activities.len());
//! ```

mod art30;
mod dpv;
mod privacy_txt;

pub use art30::{Art30Activity, Art30Record, art30_record};
pub use dpv::dpv_jsonld;
pub use privacy_txt::privacy_txt;

use crate::model::Document;

/// The JSON Schema (draft 2020-12) of the policy file format, as committed
/// in `policies/policy.schema.json` (editors such as taplo validate the
/// TOML against it).
#[must_use]
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Document)).unwrap_or_default()
}

/// [`dpv_jsonld`] as pretty JSON with a trailing newline.
#[must_use]
pub fn dpv_jsonld_string(policy: &crate::Policy) -> String {
    let mut s = serde_json::to_string_pretty(&dpv_jsonld(policy)).unwrap_or_default();
    s.push('\n');
    s
}

/// [`json_schema`] as pretty JSON with a trailing newline, exactly as the
/// committed file.
#[must_use]
pub fn json_schema_string() -> String {
    let mut s = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    s.push('\n');
    s
}
