//! W3C Data Privacy Vocabulary (DPV 2.x) JSON-LD: one `dpv:Process` per
//! activity, with an inline `@context` (DPV publishes no compact context).
//! IRIs checked against `w3c/dpv` 2.3 (`dpv.ttl`, `pd.ttl`, `eu-gdpr.ttl`).

use serde_json::{Value, json};

use crate::Policy;
use crate::model::{Activity, Location, Retention, Role, TransferMechanism};

/// Fideslang keys to DPV personal-data concepts, most specific first;
/// a key maps through its nearest listed ancestor.
const PERSONAL_DATA: &[(&str, &str)] = &[
    ("user.content.private", "pd:Picture"),
    ("user.content.self_image", "pd:Picture"),
    ("user.location.precise", "pd:GPSCoordinate"),
    ("user.location.imprecise", "pd:Country"),
    ("user.contact.address.country", "pd:Country"),
    ("user.contact.email", "pd:EmailAddress"),
    ("user.unique_id", "pd:UID"),
    ("user.account.username", "pd:Username"),
    ("user.account.settings", "pd:Preference"),
    ("user.authorization", "pd:Authenticating"),
    ("user.behavior.product_interaction", "pd:ServiceConsumptionBehaviour"),
    ("user.behavior.purchase_history", "pd:PurchasesAndSpendingHabit"),
    ("user.device.user_agent", "pd:UserAgent"),
    ("user.device.ip_address", "pd:IPAddress"),
    ("user.device", "pd:DeviceBased"),
    ("user.privacy_preferences", "pd:PrivacyPreference"),
    ("user.name", "pd:Name"),
];

/// Fideslang data uses to DPV purposes, through the nearest listed ancestor.
const PURPOSES: &[(&str, &str)] = &[
    ("essential.service.authentication", "dpv:IdentityAuthentication"),
    ("essential.service.security", "dpv:EnforceSecurity"),
    ("essential.service.operations.improve", "dpv:ServiceOptimisation"),
    ("essential.service.operations.support", "dpv:CustomerCare"),
    ("essential.service.payment_processing", "dpv:ServiceProvision"),
    ("essential.fraud_detection", "dpv:FraudPreventionAndDetection"),
    ("essential.legal_obligation", "dpv:LegalCompliance"),
    ("essential", "dpv:ServiceProvision"),
    ("analytics", "dpv:ServiceUsageAnalytics"),
    ("functional.storage", "dpv:UserInterfacePersonalisation"),
    ("functional.service.improve", "dpv:ServiceOptimisation"),
];

/// Fideslang data subjects to DPV.
const SUBJECTS: &[(&str, &str)] =
    &[("customer", "dpv:Customer"), ("visitor", "dpv:Visitor"), ("anonymous_user", "dpv:User")];

fn lookup(table: &[(&str, &'static str)], key: &crate::Key) -> Option<&'static str> {
    key.ancestry().find_map(|k| table.iter().find(|(f, _)| *f == k).map(|(_, d)| *d))
}

fn id(s: impl Into<String>) -> Value {
    json!({ "@id": s.into() })
}

/// A mapped DPV IRI, or the fideslang key under the `fides:` prefix.
fn mapped(table: &[(&str, &'static str)], key: &crate::Key) -> Value {
    id(lookup(table, key).map_or_else(|| format!("fides:{key}"), str::to_owned))
}

/// `values` without repeats, in first-seen order (`Vec::dedup` only drops
/// adjacent repeats). The lists are a handful of IRIs long.
fn unique(values: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

fn mechanism_iri(m: TransferMechanism) -> &'static str {
    match m {
        TransferMechanism::Adequacy | TransferMechanism::Dpf => "eu-gdpr:A45-3",
        TransferMechanism::Sccs => "eu-gdpr:A46-2-c",
        TransferMechanism::Bcrs => "eu-gdpr:A46-2-b",
        TransferMechanism::Derogation => "eu-gdpr:A49-1-a",
    }
}

fn storage(r: Option<Retention>) -> Value {
    match r {
        Some(Retention::Days { days }) => json!({
            "@type": "dpv:StorageDuration",
            "dpv:hasDuration": {"@type": "time:Duration", "time:numericDuration": days, "time:unitType": {"@id": "time:unitDay"}}
        }),
        Some(Retention::Ephemeral) => {
            json!({"@type": "dpv:StorageDeletion", "rdfs:comment": "deleted immediately after processing"})
        }
        Some(
            r @ (Retention::Session
            | Retention::UntilAccountDeletion { .. }
            | Retention::UntilUserDeletes),
        ) => json!({
            "@type": "dpv:StorageDuration",
            "dpv:hasDuration": {"@type": "dpv:UntilEventDuration", "rdfs:comment": r.describe()}
        }),
        None => Value::Null,
    }
}

fn process(policy: &Policy, a: &Activity) -> Value {
    let doc = policy.document();
    let mut processing = match (&a.location, a.retention) {
        (Location::Device, _) => vec!["dpv:Use", "dpv:Transform"],
        (Location::Recipient(_), Some(Retention::Ephemeral)) => {
            vec!["dpv:Transfer", "dpv:Transform", "dpv:Erase"]
        }
        (Location::Recipient(_), _) => vec!["dpv:Collect", "dpv:Transfer", "dpv:Store"],
    };
    if a.purpose.as_str().starts_with("analytics") {
        processing.push("dpv:Analyse");
    }
    let mut processors = Vec::new();
    let mut recipients = Vec::new();
    let mut countries = Vec::new();
    let mut measures: Vec<Value> = a.measures.iter().filter_map(|m| m.dpv()).map(id).collect();
    for rid in a.all_recipients() {
        let Some(r) = doc.recipients.iter().find(|r| r.id == *rid) else { continue };
        if matches!(r.role, Role::Processor | Role::SubProcessor) {
            processors.push(id(r.url.clone()));
        } else {
            recipients.push(id(r.url.clone()));
        }
        countries
            .extend(r.countries.iter().filter(|c| !c.is_eea()).map(|c| id(format!("loc:{c}"))));
        measures.extend(r.transfer_mechanism.map(|m| id(mechanism_iri(m))));
    }
    // Several rights map to one article (access and "ask what was
    // collected" are both Art. 15), so keep each IRI once, first seen first.
    let rights = unique(doc.rights.iter().filter_map(|r| r.right.dpv()).map(id));
    let mut node = json!({
        "@id": format!("{}{}", doc.url, a.clause().href()),
        "@type": "dpv:Process",
        "dct:title": a.title,
        "dpv:hasPersonalData": unique(a.data_categories.iter().map(|k| mapped(PERSONAL_DATA, k))),
        "dpv:hasPurpose": mapped(PURPOSES, &a.purpose),
        "dpv:hasProcessing": processing.into_iter().map(id).collect::<Vec<_>>(),
        "dpv:hasLegalBasis": id(a.legal_basis.dpv()),
        "dpv:hasDataController": id(doc.controller.url.clone()),
        "dpv:hasDataSubject": unique(a.data_subjects.iter().map(|k| mapped(SUBJECTS, k))),
        "dpv:hasLocation": id(if a.location == Location::Device { "dpv:WithinDevice" } else { "dpv:CloudLocation" }),
        "dpv:hasStorageCondition": storage(a.retention),
        "dpv:hasTechnicalOrganisationalMeasure": unique(measures),
        "dpv:hasRight": rights,
    });
    if let Some(obj) = node.as_object_mut() {
        if !processors.is_empty() {
            obj.insert("dpv:hasDataProcessor".into(), Value::Array(unique(processors)));
        }
        if !recipients.is_empty() {
            obj.insert("dpv:hasRecipient".into(), Value::Array(unique(recipients)));
        }
        if !countries.is_empty() {
            obj.insert("dpv:hasThirdCountry".into(), Value::Array(unique(countries)));
        }
        let mut comments = Vec::new();
        if let Some(li) = &a.legitimate_interest {
            comments.push(format!("legitimate interest: {li}"));
        }
        if let Some(pref) = a.preference() {
            obj.insert(
                "dpv:hasNotice".into(),
                id(format!("{}#{}", doc.url, crate::model::clause::CHOICES)),
            );
            comments.push(format!("consent preference `{pref}`, revision {}", a.consent_revision));
        }
        if !comments.is_empty() {
            obj.insert("rdfs:comment".into(), json!(comments.join("; ")));
        }
    }
    node
}

/// The policy as DPV JSON-LD: the controller, its recipients, and one
/// `dpv:Process` node per activity in `@graph`.
#[must_use]
pub fn dpv_jsonld(policy: &Policy) -> Value {
    let doc = policy.document();
    let c = &doc.controller;
    let mut graph = vec![json!({
        "@id": c.url,
        "@type": "dpv:DataController",
        "dct:title": c.legal_name,
        "dpv:hasCountry": id(format!("loc:{}", c.country)),
    })];
    for r in &doc.recipients {
        let ty = match r.role {
            Role::Processor => "dpv:DataProcessor",
            Role::SubProcessor => "dpv:DataSubProcessor",
            Role::Controller => "dpv:DataController",
            Role::JointController => "dpv:JointDataControllers",
            Role::ThirdParty => "dpv:ThirdParty",
        };
        graph.push(json!({
            "@id": r.url,
            "@type": ty,
            "dct:title": r.legal_name,
            "dpv:hasCountry": r.countries.iter().map(|c| id(format!("loc:{c}"))).collect::<Vec<_>>(),
        }));
    }
    graph.extend(doc.activities.iter().map(|a| process(policy, a)));
    json!({
        "@context": {
            "dpv": "https://w3id.org/dpv#",
            "pd": "https://w3id.org/dpv/pd#",
            "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
            "loc": "https://w3id.org/dpv/loc#",
            "time": "http://www.w3.org/2006/time#",
            "dct": "http://purl.org/dc/terms/",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "fides": format!("urn:fideslang:{}:", crate::FIDESLANG_VERSION),
        },
        "@id": doc.url,
        "dct:title": doc.title,
        "dct:hasVersion": doc.version,
        "dct:valid": doc.effective,
        "@graph": graph,
    })
}
