//! Taxonomy integrity (as fideslang's own tests) and Fides-style key
//! matching tables: each match mode × flat and nested keys × match / no match.

use std::collections::BTreeSet;

use pixmize_policy::{
    ExtensionError, FIDESLANG_VERSION, Key, KeyKind, KeyRule, MatchMode, Origin, Taxonomy,
};

fn k(s: &str) -> Key {
    s.parse().unwrap()
}

fn keys(list: &[&str]) -> Vec<Key> {
    list.iter().map(|s| k(s)).collect()
}

#[test]
fn snapshot_counts_match_fideslang_3_1() {
    assert_eq!(FIDESLANG_VERSION, "3.1");
    let t = Taxonomy::fideslang();
    // tests/fideslang/test_default_taxonomy.py pins 85 / 56 / 15.
    assert_eq!(t.len(KeyKind::DataCategory), 85);
    assert_eq!(t.len(KeyKind::DataUse), 56);
    assert_eq!(t.len(KeyKind::DataSubject), 15);
}

#[test]
fn every_parent_exists_and_names_are_unique_per_kind() {
    let t = Taxonomy::fideslang();
    for kind in [KeyKind::DataCategory, KeyKind::DataUse, KeyKind::DataSubject] {
        let mut names = BTreeSet::new();
        for e in t.entries(kind) {
            assert_eq!(e.origin, Origin::Fideslang);
            assert!(!e.name.trim().is_empty(), "{kind} {} has no name", e.key);
            assert!(names.insert(e.name.clone()), "{kind} name {:?} is not unique", e.name);
            if let Some(parent) = e.key.parent() {
                assert!(t.contains(kind, &parent), "{kind} {} has no parent {parent}", e.key);
            }
        }
    }
}

#[test]
fn top_level_keys_are_the_documented_ones() {
    let t = Taxonomy::fideslang();
    let tops = |kind| {
        t.entries(kind)
            .filter(|e| e.key.depth() == 1)
            .map(|e| e.key.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(tops(KeyKind::DataCategory), ["system", "user"]);
    assert_eq!(
        tops(KeyKind::DataUse),
        [
            "analytics",
            "collect",
            "employment",
            "essential",
            "finance",
            "functional",
            "marketing",
            "operations",
            "personalize",
            "sales",
            "third_party_sharing",
            "train_ai_system"
        ]
    );
}

#[test]
fn extensions_need_an_existing_parent() {
    let mut t = Taxonomy::fideslang();
    t.extend(KeyKind::DataCategory, k("user.device.user_agent"), "User agent").unwrap();
    // A child of an extension works once the extension exists.
    t.extend(KeyKind::DataCategory, k("user.device.user_agent.family"), "Browser family").unwrap();
    assert_eq!(
        t.get(KeyKind::DataCategory, &k("user.device.user_agent")).unwrap().origin,
        Origin::Local
    );
    assert!(matches!(
        t.extend(KeyKind::DataCategory, k("user.nothing.here"), "x"),
        Err(ExtensionError::MissingParent { parent, .. }) if parent == k("user.nothing")
    ));
    assert!(matches!(
        t.extend(KeyKind::DataSubject, k("robot"), "x"),
        Err(ExtensionError::NoParent { .. })
    ));
    assert!(matches!(
        t.extend(KeyKind::DataCategory, k("user.content"), "x"),
        Err(ExtensionError::Duplicate { .. })
    ));
    // Kinds are separate trees: a data-use parent does not make a category.
    assert!(t.extend(KeyKind::DataCategory, k("essential.thing"), "x").is_err());
}

/// (mode, rule values, declared keys, expected offending keys).
type ModeCase =
    (MatchMode, &'static [&'static str], &'static [&'static str], &'static [&'static str]);

/// Fides `tests/ctl/core/test_evaluate.py` style: (mode, rule values,
/// declared keys, expected offending keys).
#[test]
fn match_modes_flat_and_hierarchical() {
    #[rustfmt::skip]
    let cases: &[ModeCase] = &[
        // ANY: the declared keys a rule value covers.
        (MatchMode::Any, &["user.contact.email"], &["user.contact.email", "user.name"], &["user.contact.email"]),        // flat, true
        (MatchMode::Any, &["user.contact.email"], &["user.name"], &[]),                                                 // flat, false
        (MatchMode::Any, &["user.contact"], &["user.contact.email", "user.name"], &["user.contact.email"]),              // nested, true
        (MatchMode::Any, &["user.contact.email"], &["user.contact"], &[]),                                              // nested, false (child does not cover parent)
        // ALL: only if every declared key is covered.
        (MatchMode::All, &["user.contact.email", "user.name"], &["user.contact.email", "user.name"], &["user.contact.email", "user.name"]),
        (MatchMode::All, &["user.contact.email"], &["user.contact.email", "user.name"], &[]),
        (MatchMode::All, &["user"], &["user.contact.email", "user.name.first"], &["user.contact.email", "user.name.first"]),
        (MatchMode::All, &["user.contact"], &["user.contact.email", "user.name.first"], &[]),
        // NONE: the unmatched keys, only if nothing matched.
        (MatchMode::None, &["user.contact.email"], &["user.name"], &["user.name"]),
        (MatchMode::None, &["user.contact.email"], &["user.contact.email", "user.name"], &[]),
        (MatchMode::None, &["user.contact"], &["user.name.first"], &["user.name.first"]),
        (MatchMode::None, &["user.contact"], &["user.contact.phone_number", "user.name"], &[]),
        // OTHER: every unmatched key (an allow-list).
        (MatchMode::Other, &["user.contact.email"], &["user.contact.email", "user.name"], &["user.name"]),
        (MatchMode::Other, &["user.contact.email", "user.name"], &["user.contact.email", "user.name"], &[]),
        (MatchMode::Other, &["user.contact"], &["user.contact.email", "user.location.precise"], &["user.location.precise"]),
        (MatchMode::Other, &["user"], &["user.contact.email", "user.location.precise"], &[]),
        // An empty allow-list catches everything.
        (MatchMode::Other, &[], &["user.name"], &["user.name"]),
    ];
    for (mode, values, declared, want) in cases {
        let rule = KeyRule { matches: *mode, values: keys(values) };
        let declared = keys(declared);
        let got: Vec<String> = rule.offending(&declared).iter().map(|k| k.to_string()).collect();
        assert_eq!(got, *want, "{mode:?} {values:?} vs {declared:?}");
        assert_eq!(rule.matches(&declared), !want.is_empty(), "{mode:?} {values:?}");
    }
}

#[test]
fn key_coverage_table() {
    const CASES: &[(&str, &str, bool)] = &[
        ("user", "user", true),
        ("user", "user.content.private", true),
        ("user.content", "user.content.private", true),
        ("user.content.private", "user.content", false),
        ("user.content", "user.contents", false),
        ("user.content.private", "user.content.public", false),
        ("essential.service", "essential.service.image_processing", true),
        ("essential", "essential_other", false),
    ];
    for (a, b, want) in CASES {
        assert_eq!(k(a).covers(&k(b)), *want, "{a} covers {b}");
    }
}
