//! The hybrid router end to end: a verified Clerk session, the privacy
//! policy, the user's plan and choice, the device engine and ImageKit.
//!
//! ```text
//! cargo run --example hybrid
//! ```
//!
//! With no arguments and no credentials it mints a session token with a
//! throwaway key (nothing is sent to Clerk), starts the offline ImageKit
//! emulator on 127.0.0.1 and runs three jobs on the bundled sample:
//!
//! 1. a resize the device can run: it runs on the device;
//! 2. a background removal (`e-bgremove`, an AI effect only ImageKit has)
//!    after the user allowed cloud processing: it goes to ImageKit,
//!    metadata stripped, and the upload is deleted afterwards;
//! 3. the same job after the user chose "device only": refused, citing the
//!    policy clause, and the emulator sees no request.
//!
//! It prints, for each job, where it ran and which rule decided, then the
//! processing records as JSON lines. (The emulator does not run AI effects:
//! it drops them and applies the rest, and says so in a response header.)

use std::error::Error;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pixmize::auth::{Entitlements, PlanTable, SessionVerifier};
use pixmize::engine::{Job, Transformation};
use pixmize::policy::ConsentSnapshot;
use pixmize::{Hybrid, ImageKitCloud, MemorySink, Preference};
use pixmize_imagekit::emulator::Emulator;
use rand_core::OsRng;
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::pkcs8::{EncodePublicKey as _, LineEnding};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/assets/seeding-1600x900.jpg");
const ISSUER: &str = "https://clerk.demo.pixmize.local";

fn main() {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = runtime.block_on(run()) {
        eprintln!("error: {e}");
        let mut source = e.source();
        while let Some(cause) = source {
            eprintln!("  caused by: {cause}");
            source = cause.source();
        }
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    // ImageKit: the offline emulator (see `cargo run --example imagekit` for
    // a real account).
    let emulator = Emulator::start().await?;
    println!("ImageKit: the offline emulator at {}", emulator.base_url());

    // The router: the embedded Pixmize policy, a `pro` plan with cloud work,
    // ImageKit as the cloud processor, records kept in memory.
    let records = Arc::new(MemorySink::new());
    let hybrid = Hybrid::builder()
        .plans(PlanTable::default().with_plan("pro", Entitlements::new(true, 100, 2_000)))
        .cloud(ImageKitCloud::new(emulator.client()?)?)
        .records(records.clone())
        .build();
    println!("policy:   version {}", hybrid.policy().version());

    // A signed-in user on the `pro` plan, from a verified session token.
    let claims = verified_claims().await?;
    let mut ctx = hybrid.context(&claims);
    println!(
        "session:  {} (plan pro: cloud {}, {} cloud jobs a month)\n",
        claims.sub, ctx.entitlements.cloud_processing, ctx.entitlements.monthly_cloud_quota
    );

    let photo = std::fs::read(SAMPLE)?;
    let job = |t: &str| -> Result<Job, Box<dyn Error>> {
        Ok(Job::new(photo.clone(), t.parse::<Transformation>()?))
    };

    // 1. The device can run it.
    report("1. resize", hybrid.run(job("w-800,h-450,c-at_max:e-grayscale")?, &ctx).await);

    // 2. Only ImageKit can remove a background; the user allows the cloud.
    let mut consent = ConsentSnapshot::new();
    consent.give(hybrid.policy(), "cloud_processing");
    ctx = ctx.with_consent(consent);
    let before = emulator.requests().len();
    report("2. background removal", hybrid.run(job("e-bgremove:w-400,f-png")?, &ctx).await);
    println!(
        "   ImageKit saw {} requests (upload, fetch, delete); files left: {}",
        emulator.requests().len() - before,
        emulator.files().len()
    );

    // 3. The same job after the user chose "device only".
    ctx = ctx.with_preference(Preference::DeviceOnly);
    let before = emulator.requests().len();
    report(
        "3. background removal, device only",
        hybrid.run(job("e-bgremove:w-400,f-png")?, &ctx).await,
    );
    println!("   ImageKit saw {} requests", emulator.requests().len() - before);

    println!("\nProcessing records (no image bytes, no personal data beyond the user id):");
    for record in records.all() {
        println!("{}", serde_json::to_string(&record)?);
    }
    Ok(())
}

fn report(name: &str, result: Result<pixmize::Routed, pixmize::Error>) {
    match result {
        Ok(routed) => println!(
            "{name}: ran on {}, {}×{} {} ({} bytes); decided by {}",
            routed.record.location,
            routed.processed.width,
            routed.processed.height,
            routed.processed.format.extension(),
            routed.processed.bytes.len(),
            routed.record.decided_by,
        ),
        Err(pixmize::Error::Denied(denied)) => {
            println!("{name}: refused, nothing left the device; {denied}");
        }
        Err(e) => println!("{name}: failed: {e}"),
    }
}

/// Mints a session token for `user_demo` on the `pro` plan with a
/// throwaway RSA key and verifies it the way a backend would (networkless,
/// with the PEM public key).
async fn verified_claims() -> Result<pixmize::auth::SessionClaims, Box<dyn Error>> {
    let private = rsa::RsaPrivateKey::new(&mut OsRng, 2048)?;
    let public_pem = private.to_public_key().to_public_key_pem(LineEnding::LF)?;
    let key = jsonwebtoken::EncodingKey::from_rsa_der(private.to_pkcs1_der()?.as_bytes());
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let header = serde_json::json!({"alg": "RS256", "kid": "ins_demo", "typ": "JWT"});
    let claims = serde_json::json!({
        "sub": "user_demo", "sid": "sess_demo", "iss": ISSUER, "v": 2,
        "iat": now, "nbf": now - 10, "exp": now + 60, "pla": "u:pro",
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::RS256)?;
    let verifier = SessionVerifier::builder().jwt_key(public_pem).issuer(ISSUER).build()?;
    Ok(verifier.verify(&format!("{input}.{signature}")).await?)
}
