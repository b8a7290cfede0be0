//! The Pixmize privacy policy from the command line.
//!
//! ```text
//! cargo run --example policy --features policy                 # the rendered Pixmize policy (Markdown)
//! cargo run --example policy --features policy -- render [--html] [FILE]
//! cargo run --example policy --features policy -- validate FILE
//! cargo run --example policy --features policy -- diff OLD NEW
//! cargo run --example policy --features policy -- decide imagekit essential.service.image_processing \
//!     user.content.private user.unique_id --give cloud_processing
//! cargo run --example policy --features policy -- export schema|dpv|privacy-txt|art30 [FILE]
//! ```
//!
//! `decide` takes a recipient id (or `device`), a purpose and data
//! categories, then consent flags: `--give PREF`, `--withdraw PREF`,
//! `--status PREF=STATUS` (a DPV status such as `refused`), `--gpc`,
//! `--subject KEY`. It exits with 0 when allowed and 2 when denied;
//! `validate` and `diff` exit with 1 when the policy or the release check fails.

use std::error::Error;
use std::process::ExitCode;

use pixmize::policy::diff::{Severity, check_release, diff};
use pixmize::policy::{ConsentSnapshot, ConsentStatus, Decision, Policy, Query, export, render};

const USAGE: &str = "usage: policy [render [--html] [FILE] | validate FILE | diff OLD NEW | \
decide RECIPIENT|device PURPOSE CATEGORY... [--give PREF] [--withdraw PREF] [--status PREF=STATUS] [--gpc] [--subject KEY] | \
export schema|dpv|privacy-txt|art30 [FILE]]";

fn main() -> ExitCode {
    match try_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = e.source();
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn load(path: Option<&String>) -> Result<Policy, Box<dyn Error>> {
    Ok(match path {
        Some(p) => Policy::load(p)?,
        None => Policy::pixmize().clone(),
    })
}

fn try_main() -> Result<ExitCode, Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        print!("{}", render::markdown(Policy::pixmize()));
        println!();
        return Ok(ExitCode::SUCCESS);
    };
    let rest = &args[1..];
    match cmd.as_str() {
        "render" => {
            let html = rest.iter().any(|a| a == "--html");
            let policy = load(rest.iter().find(|a| !a.starts_with("--")))?;
            if html {
                print!("{}", render::html(&policy));
            } else {
                println!("{}", render::markdown(&policy));
            }
            Ok(ExitCode::SUCCESS)
        }
        "validate" => {
            let [file] = rest else { return Err(USAGE.into()) };
            match Policy::load(file) {
                Ok(p) => {
                    let d = p.document();
                    println!(
                        "ok: {} version {} — {} activities, {} recipients, {} prohibitions, {} cookies, {} rights",
                        file,
                        d.version,
                        d.activities.len(),
                        d.recipients.len(),
                        d.prohibitions.len(),
                        d.cookies.len(),
                        d.rights.len()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) if !e.issues().is_empty() => {
                    println!("{file}: {} problem(s)", e.issues().len());
                    for issue in e.issues() {
                        match &issue.clause {
                            Some(c) => println!("  - {issue}  [{c}]"),
                            None => println!("  - {issue}"),
                        }
                    }
                    Ok(ExitCode::FAILURE)
                }
                Err(e) => Err(e.into()),
            }
        }
        "diff" => {
            let [old, new] = rest else { return Err(USAGE.into()) };
            let (old, new) = (Policy::load(old)?, Policy::load(new)?);
            let changes = diff(&old, &new);
            if changes.is_empty() {
                println!("no changes");
            }
            for c in &changes {
                println!("{c}");
            }
            let material = changes.iter().filter(|c| c.severity == Severity::Material).count();
            println!("{} change(s), {material} material", changes.len());
            match check_release(&old, &new) {
                Ok(_) => {
                    println!("release check: ok");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("release check failed:");
                    for p in &e.problems {
                        println!("  - {p}");
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        "decide" => decide(rest),
        "export" => {
            let Some(kind) = rest.first() else { return Err(USAGE.into()) };
            let policy = load(rest.get(1))?;
            match kind.as_str() {
                "schema" => print!("{}", export::json_schema_string()),
                "dpv" => print!("{}", export::dpv_jsonld_string(&policy)),
                "privacy-txt" => print!("{}", export::privacy_txt(&policy)),
                "art30" => print!("{}", export::art30_record(&policy).to_json()),
                _ => return Err(USAGE.into()),
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(USAGE.into()),
    }
}

fn decide(args: &[String]) -> Result<ExitCode, Box<dyn Error>> {
    let policy = Policy::pixmize();
    let mut positional = Vec::new();
    let mut consent = ConsentSnapshot::new();
    let mut subjects = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--give" => {
                consent.give(policy, it.next().ok_or(USAGE)?);
            }
            "--withdraw" => {
                consent.withdraw(it.next().ok_or(USAGE)?);
            }
            "--status" => {
                let (pref, s) = it.next().and_then(|v| v.split_once('=')).ok_or(USAGE)?;
                consent.set(pref, s.parse::<ConsentStatus>()?);
            }
            "--gpc" => {
                consent.with_gpc(true);
            }
            "--subject" => subjects.push(it.next().ok_or(USAGE)?.clone()),
            _ => positional.push(a.clone()),
        }
    }
    let [target, purpose, categories @ ..] = positional.as_slice() else {
        return Err(USAGE.into());
    };
    let mut query =
        if target == "device" { Query::on_device(purpose) } else { Query::to(target, purpose) };
    for c in categories {
        query = query.data(c);
    }
    for s in subjects {
        query = query.subject(s);
    }
    match policy.decide(&query, &consent) {
        Decision::Allow(allow) => {
            println!(
                "ALLOW under {} (activity `{}`, policy {})",
                allow.clause(),
                allow.activity(),
                allow.policy_version()
            );
            println!("  retention: {}", allow.retention().describe());
            for o in allow.obligations() {
                println!("  obligation: {}", o.describe());
            }
            Ok(ExitCode::SUCCESS)
        }
        Decision::Deny(deny) => {
            println!("DENY by {}", deny.clause());
            for r in deny.reasons() {
                println!("  - {r}");
            }
            Ok(ExitCode::from(2))
        }
    }
}
