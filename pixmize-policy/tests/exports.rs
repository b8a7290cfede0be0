//! DPV JSON-LD, privacy.txt and the GDPR Art. 30 record.

use pixmize_policy::{LegalBasis, Policy, export};

#[test]
fn dpv_has_one_process_per_activity_with_w3c_iris() {
    let policy = Policy::pixmize();
    let doc = policy.document();
    let ld = export::dpv_jsonld(policy);
    assert_eq!(ld["@context"]["dpv"], "https://w3id.org/dpv#");
    assert_eq!(ld["@context"]["eu-gdpr"], "https://w3id.org/dpv/legal/eu/gdpr#");
    let graph = ld["@graph"].as_array().unwrap();
    let processes: Vec<_> = graph.iter().filter(|n| n["@type"] == "dpv:Process").collect();
    assert_eq!(processes.len(), doc.activities.len());
    for (node, a) in processes.iter().zip(&doc.activities) {
        assert_eq!(node["@id"], format!("{}#activity-{}", doc.url, a.id));
        assert_eq!(node["dpv:hasLegalBasis"]["@id"], a.legal_basis.dpv());
        assert!(node["dpv:hasStorageCondition"].is_object(), "{} has a storage condition", a.id);
    }
    let cloud =
        processes.iter().find(|n| n["dct:title"] == "Cloud processing by ImageKit").unwrap();
    assert_eq!(cloud["dpv:hasPersonalData"][0]["@id"], "pd:Picture");
    assert_eq!(cloud["dpv:hasLocation"]["@id"], "dpv:CloudLocation");
    assert_eq!(cloud["dpv:hasDataProcessor"][0]["@id"], "https://imagekit.io");
    assert_eq!(
        cloud["dpv:hasThirdCountry"],
        serde_json::json!([{"@id": "loc:IN"}, {"@id": "loc:US"}])
    );
    assert_eq!(cloud["dpv:hasLegalBasis"]["@id"], LegalBasis::Consent.dpv());
    let measures = cloud["dpv:hasTechnicalOrganisationalMeasure"].as_array().unwrap();
    assert!(measures.contains(&serde_json::json!({"@id": "eu-gdpr:A46-2-c"})));
    let device =
        processes.iter().find(|n| n["dct:title"] == "Image processing on your device").unwrap();
    assert_eq!(device["dpv:hasLocation"]["@id"], "dpv:WithinDevice");
    let stats = processes.iter().find(|n| n["dct:title"] == "Anonymous usage statistics").unwrap();
    assert_eq!(stats["dpv:hasStorageCondition"]["dpv:hasDuration"]["time:numericDuration"], 730);
    assert_eq!(stats["dpv:hasPurpose"]["@id"], "dpv:ServiceUsageAnalytics");
    insta::assert_snapshot!("pixmize_dpv", export::dpv_jsonld_string(policy));
}

#[test]
fn dpv_lists_hold_no_duplicates() {
    // Access and "ask what was collected" are both GDPR Art. 15, erasure and
    // account deletion both Art. 17; each IRI is listed once per process.
    let ld = export::dpv_jsonld(Policy::pixmize());
    let graph = ld["@graph"].as_array().unwrap();
    let mut checked = 0;
    for node in graph.iter().filter(|n| n["@type"] == "dpv:Process") {
        let fields = node.as_object().unwrap();
        for (field, value) in fields {
            let Some(list) = value.as_array() else { continue };
            for (i, item) in list.iter().enumerate() {
                assert!(!list[..i].contains(item), "{} lists {item} twice in {field}", node["@id"]);
            }
            checked += 1;
        }
        let rights: Vec<&str> = node["dpv:hasRight"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["@id"].as_str())
            .collect();
        assert_eq!(rights.iter().filter(|r| **r == "eu-gdpr:A15").count(), 1, "{rights:?}");
        assert_eq!(rights.iter().filter(|r| **r == "eu-gdpr:A17").count(), 1, "{rights:?}");
    }
    assert!(checked > 0);
}

#[test]
fn privacy_txt_lists_entity_contact_actions_and_cookie_septuples() {
    let policy = Policy::pixmize();
    let txt = export::privacy_txt(policy);
    assert!(txt.contains("Entity: Pixmize (operator to be named),DE\n"));
    assert!(txt.contains("Contact: mailto:privacy@pixmize.example\n"));
    assert!(txt.contains("Action-delete-account-and-data: mailto:privacy@pixmize.example\n"));
    assert!(txt.contains("Banner: false,none detected\n"));
    let cookies: Vec<&str> = txt.lines().filter(|l| l.starts_with("Cookie: ")).collect();
    assert_eq!(cookies.len(), policy.document().cookies.len());
    for line in cookies {
        assert_eq!(line["Cookie: ".len()..].split(',').count(), 7, "septuple: {line}");
    }
    insta::assert_snapshot!("pixmize_privacy_txt", txt);
}

#[test]
fn art30_record_covers_every_required_field() {
    let policy = Policy::pixmize();
    let record = export::art30_record(policy);
    assert!(record.controller.contains("privacy@pixmize.example"));
    assert!(record.dpo.as_deref().is_some_and(|d| d.contains("dpo@pixmize.example")));
    for a in &record.activities {
        assert!(
            !a.purpose.is_empty() && !a.legal_basis.is_empty() && !a.retention.is_empty(),
            "{}",
            a.id
        );
        assert!(!a.data_subjects.is_empty() && !a.personal_data.is_empty(), "{}", a.id);
    }
    let cloud = record.activities.iter().find(|a| a.id == "cloud_processing").unwrap();
    assert_eq!(
        cloud.transfers,
        [
            "IN via ImageKit: standard contractual clauses (GDPR Art. 46(2)(c))",
            "US via ImageKit: standard contractual clauses (GDPR Art. 46(2)(c))"
        ]
    );
    assert!(cloud.measures.iter().any(|m| m.contains("removed before upload")));
    let device = record.activities.iter().find(|a| a.id == "device_processing").unwrap();
    assert!(device.recipients.is_empty() && device.transfers.is_empty());
    insta::assert_snapshot!("pixmize_art30", record.to_json());
}
