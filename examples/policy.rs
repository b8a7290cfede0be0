//! The Pixmize privacy policy from the command line.
//!
//! ```text
//! cargo run --example policy --features policy                 # the rendered Pixmize policy (Markdown)
//! cargo run --example policy --features policy -- render [--html] [FILE]
//! cargo run --example policy --features policy -- validate FILE
//! cargo run --example policy --features policy -- diff OLD NEW
//! cargo run --example policy --features policy -- decide imagekit essential.service.image_processing \
//!     user.content.private user.unique_id --give cloud_processing
//! cargo run --example policy --features policy -- decide --policy FILE aws essential.service user.content
//! cargo run --example policy --features policy -- export schema|dpv|privacy-txt|art30 [FILE]
//! ```
//!
//! `decide` takes a recipient id (or `device`), a purpose and data
//! categories, then consent flags: `--give PREF`, `--withdraw PREF`,
//! `--status PREF=STATUS` (a DPV status such as `refused`), `--gpc`,
//! `--subject KEY`; `--policy FILE` asks that policy instead of the embedded
//! Pixmize one. It exits with 0 when allowed and 2 when denied;
//! `validate` and `diff` exit with 1 when the policy or the release check fails.
//!
//! The argument handling has unit tests:
//! `cargo test -p pixmize --features policy --example policy`.

use std::error::Error;
use std::process::ExitCode;

use pixmize::policy::diff::{Severity, check_release, diff};
use pixmize::policy::{ConsentSnapshot, ConsentStatus, Decision, Policy, Query, export, render};

const USAGE: &str = "usage: policy [render [--html] [FILE] | validate FILE | diff OLD NEW | \
decide [--policy FILE] RECIPIENT|device PURPOSE CATEGORY... [--give PREF] [--withdraw PREF] [--status PREF=STATUS] [--gpc] [--subject KEY] | \
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

/// A consent flag of `decide`, applied in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ConsentFlag {
    Give(String),
    Withdraw(String),
    Status(String, ConsentStatus),
}

/// A `decide` request as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DecideArgs {
    /// `--policy FILE`; the embedded Pixmize policy when absent.
    policy: Option<String>,
    /// A recipient id, or `device`.
    target: String,
    purpose: String,
    categories: Vec<String>,
    subjects: Vec<String>,
    consent: Vec<ConsentFlag>,
    gpc: bool,
}

impl DecideArgs {
    fn parse(args: &[String]) -> Result<Self, Box<dyn Error>> {
        let mut positional = Vec::new();
        let (mut policy, mut subjects, mut consent, mut gpc) =
            (None, Vec::new(), Vec::new(), false);
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().cloned().ok_or(USAGE);
            match a.as_str() {
                "--policy" => policy = Some(value()?),
                "--give" => consent.push(ConsentFlag::Give(value()?)),
                "--withdraw" => consent.push(ConsentFlag::Withdraw(value()?)),
                "--status" => {
                    let v = value()?;
                    let (pref, status) = v.split_once('=').ok_or(USAGE)?;
                    consent.push(ConsentFlag::Status(pref.to_owned(), status.parse()?));
                }
                "--gpc" => gpc = true,
                "--subject" => subjects.push(value()?),
                flag if flag.starts_with("--") => {
                    return Err(format!("unknown flag {flag}; {USAGE}").into());
                }
                _ => positional.push(a.clone()),
            }
        }
        let [target, purpose, categories @ ..] = positional.as_slice() else {
            return Err(USAGE.into());
        };
        Ok(Self {
            policy,
            target: target.clone(),
            purpose: purpose.clone(),
            categories: categories.to_vec(),
            subjects,
            consent,
            gpc,
        })
    }

    fn query(&self) -> Query {
        let mut query = if self.target == "device" {
            Query::on_device(&self.purpose)
        } else {
            Query::to(&self.target, &self.purpose)
        };
        for c in &self.categories {
            query = query.data(c);
        }
        for s in &self.subjects {
            query = query.subject(s);
        }
        query
    }

    /// The consent state, built against `policy` (giving consent records
    /// the revision of each activity the preference serves).
    fn consent(&self, policy: &Policy) -> ConsentSnapshot {
        let mut consent = ConsentSnapshot::new();
        for flag in &self.consent {
            match flag {
                ConsentFlag::Give(pref) => consent.give(policy, pref),
                ConsentFlag::Withdraw(pref) => consent.withdraw(pref),
                ConsentFlag::Status(pref, status) => consent.set(pref, *status),
            };
        }
        consent.with_gpc(self.gpc);
        consent
    }

    /// Loads the policy and asks it.
    fn run(&self) -> Result<Decision, Box<dyn Error>> {
        let policy = load(self.policy.as_ref())?;
        Ok(policy.decide(&self.query(), &self.consent(&policy)))
    }
}

/// What `decide` prints, and its exit code.
fn report(decision: &Decision) -> (String, u8) {
    let mut out = String::new();
    match decision {
        Decision::Allow(allow) => {
            out += &format!(
                "ALLOW under {} (activity `{}`, policy {})\n",
                allow.clause(),
                allow.activity(),
                allow.policy_version()
            );
            out += &format!("  retention: {}\n", allow.retention().describe());
            for o in allow.obligations() {
                out += &format!("  obligation: {}\n", o.describe());
            }
            (out, 0)
        }
        Decision::Deny(deny) => {
            out += &format!("DENY by {}\n", deny.clause());
            for r in deny.reasons() {
                out += &format!("  - {r}\n");
            }
            (out, 2)
        }
    }
}

fn decide(args: &[String]) -> Result<ExitCode, Box<dyn Error>> {
    let (out, code) = report(&DecideArgs::parse(args)?.run()?);
    print!("{out}");
    Ok(ExitCode::from(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    const IMAGEKIT: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/pixmize-policy/policies/imagekit.toml");

    #[test]
    fn flags_and_positionals_in_any_order() {
        let a = DecideArgs::parse(&args(
            "--gpc imagekit --policy p.toml essential.service.image_processing --give cloud_processing \
             user.content.private --subject customer --status usage_statistics=refused user.unique_id \
             --withdraw x",
        ))
        .unwrap();
        assert_eq!(
            a,
            DecideArgs {
                policy: Some("p.toml".to_owned()),
                target: "imagekit".to_owned(),
                purpose: "essential.service.image_processing".to_owned(),
                categories: vec!["user.content.private".to_owned(), "user.unique_id".to_owned()],
                subjects: vec!["customer".to_owned()],
                consent: vec![
                    ConsentFlag::Give("cloud_processing".to_owned()),
                    ConsentFlag::Status("usage_statistics".to_owned(), ConsentStatus::Refused),
                    ConsentFlag::Withdraw("x".to_owned()),
                ],
                gpc: true,
            }
        );
        assert_eq!(a.query().recipient(), Some("imagekit"));
        assert_eq!(
            DecideArgs::parse(&args("device functional.storage x")).unwrap().query().recipient(),
            None
        );
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        for line in [
            "",
            "imagekit",
            "imagekit essential --policy",
            "imagekit essential --give",
            "imagekit essential --status usage_statistics",
            "imagekit essential --status usage_statistics=maybe",
            "imagekit essential --polcy p.toml",
        ] {
            assert!(DecideArgs::parse(&args(line)).is_err(), "{line:?} was accepted");
        }
    }

    #[test]
    fn the_embedded_policy_decides_by_default() {
        let cloud =
            "imagekit essential.service.image_processing user.content.private user.unique_id";
        let denied = DecideArgs::parse(&args(cloud)).unwrap().run().unwrap();
        let (out, code) = report(&denied);
        assert_eq!(code, 2);
        assert!(out.starts_with("DENY by #activity-cloud_processing\n"), "{out}");
        let given = DecideArgs::parse(&args(&format!("{cloud} --give cloud_processing"))).unwrap();
        let (out, code) = report(&given.run().unwrap());
        assert_eq!(code, 0);
        assert!(out.starts_with("ALLOW under #activity-cloud_processing"), "{out}");
        assert!(
            out.contains("obligation: the upload is deleted immediately after processing"),
            "{out}"
        );
    }

    #[test]
    fn policy_file_is_asked_instead() {
        let query = "aws essential.service user.content.private";
        // ImageKit's own policy stores customer media at AWS ...
        let a = DecideArgs::parse(&args(&format!("--policy {IMAGEKIT} {query}"))).unwrap();
        let decision = a.run().unwrap();
        assert_eq!(decision.clause().as_str(), "activity-customer_media");
        assert_eq!(report(&decision).1, 0);
        // ... which the Pixmize policy does not declare.
        let decision = DecideArgs::parse(&args(query)).unwrap().run().unwrap();
        assert_eq!(decision.clause().as_str(), "not-listed");
        assert_eq!(report(&decision).1, 2);
        // A missing file is an error, not a decision.
        let missing =
            DecideArgs::parse(&args(&format!("--policy /nonexistent.toml {query}"))).unwrap();
        assert!(missing.run().is_err());
    }
}
