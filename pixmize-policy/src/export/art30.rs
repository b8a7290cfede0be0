//! The GDPR Art. 30(1) record of processing activities.

use serde::Serialize;

use crate::Policy;
use crate::key::KeyKind;
use crate::model::Location;

/// The controller's record of processing activities (GDPR Art. 30(1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Art30Record {
    /// Art. 30(1)(a): the controller's name and contact details.
    pub controller: String,
    /// Art. 30(1)(a): the data protection officer's contact, if any.
    pub dpo: Option<String>,
    /// The policy version the record was generated from.
    pub policy_version: String,
    /// One entry per activity.
    pub activities: Vec<Art30Activity>,
}

impl Art30Record {
    /// The record as pretty JSON with a trailing newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// One processing activity in the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Art30Activity {
    /// The activity's id.
    pub id: String,
    /// Its title.
    pub name: String,
    /// Art. 30(1)(b): the purpose (name and fideslang key).
    pub purpose: String,
    /// The legal basis (Art. 6(1)).
    pub legal_basis: String,
    /// Art. 30(1)(c): categories of data subjects.
    pub data_subjects: Vec<String>,
    /// Art. 30(1)(c): categories of personal data.
    pub personal_data: Vec<String>,
    /// Art. 30(1)(d): recipients, with role.
    pub recipients: Vec<String>,
    /// Art. 30(1)(e): transfers to third countries and their safeguard.
    pub transfers: Vec<String>,
    /// Art. 30(1)(f): time limit for erasure.
    pub retention: String,
    /// Art. 30(1)(g): technical and organisational measures.
    pub measures: Vec<String>,
}

/// Builds the Art. 30(1) record from the policy.
#[must_use]
pub fn art30_record(policy: &Policy) -> Art30Record {
    let doc = policy.document();
    let tax = policy.taxonomy();
    let c = &doc.controller;
    let activities = doc
        .activities
        .iter()
        .map(|a| {
            let mut recipients = Vec::new();
            let mut transfers = Vec::new();
            for id in a.all_recipients() {
                let Some(r) = doc.recipients.iter().find(|r| r.id == *id) else { continue };
                recipients.push(format!("{} ({}, {})", r.name, r.legal_name, r.role.label()));
                for country in r.countries.iter().filter(|c| !c.is_eea()) {
                    let safeguard =
                        r.transfer_mechanism.map_or("no safeguard stated", |m| m.label());
                    transfers.push(format!("{country} via {}: {safeguard}", r.name));
                }
            }
            let mut measures: Vec<String> =
                a.measures.iter().map(|m| m.label().to_owned()).collect();
            measures.extend(a.obligations.iter().map(|o| o.describe()));
            if a.location == Location::Device {
                measures.push("processed on the user's device only".to_owned());
            }
            Art30Activity {
                id: a.id.0.clone(),
                name: a.title.clone(),
                purpose: format!("{} ({})", tax.name_of(KeyKind::DataUse, &a.purpose), a.purpose),
                legal_basis: a.legal_basis.label().to_owned(),
                data_subjects: a
                    .data_subjects
                    .iter()
                    .map(|k| format!("{} ({k})", tax.name_of(KeyKind::DataSubject, k)))
                    .collect(),
                personal_data: a
                    .data_categories
                    .iter()
                    .map(|k| format!("{} ({k})", tax.name_of(KeyKind::DataCategory, k)))
                    .collect(),
                recipients,
                transfers,
                retention: a.retention.map_or_else(|| "not stated".to_owned(), |r| r.describe()),
                measures,
            }
        })
        .collect();
    Art30Record {
        controller: format!("{}, {}, {}", c.legal_name, c.address, c.email),
        dpo: doc.dpo.as_ref().map(|d| format!("{}, {}", d.name, d.email)),
        policy_version: doc.version.clone(),
        activities,
    }
}
