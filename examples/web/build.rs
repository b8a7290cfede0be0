//! Renders the Pixmize privacy policy at compile time, so the page can show
//! it without fetching anything: `policy.html` (pixmize-policy's
//! self-contained HTML export) and `storage_keys.rs` (the `localStorage`
//! keys the policy declares for activities that run on the device).

use std::fmt::Write as _;
use std::path::PathBuf;

use pixmize_policy::{Location, Policy, render};

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let policy = Policy::pixmize();
    std::fs::write(out.join("policy.html"), render::html(policy)).expect("write policy.html");

    let mut keys = String::from("&[");
    for activity in &policy.document().activities {
        if activity.location != Location::Device {
            continue;
        }
        for key in activity.stores.iter().filter_map(|s| s.strip_prefix("localStorage:")) {
            write!(keys, "{key:?},").expect("write to a String");
        }
    }
    keys.push(']');
    std::fs::write(out.join("storage_keys.rs"), keys).expect("write storage_keys.rs");
    println!("cargo::rerun-if-changed=build.rs");
}
