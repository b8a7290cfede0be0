//! Verify a Clerk session token or a Clerk (Svix) webhook.
//!
//! ```text
//! cargo run --example clerk --features auth
//!     No arguments: a demonstration against locally generated keys; nothing
//!     is sent anywhere.
//! cargo run --example clerk --features auth -- token <JWT> --pem <FILE> --issuer <URL>
//! cargo run --example clerk --features auth -- token <JWT> --jwks-url <URL> --issuer <URL>
//! cargo run --example clerk --features auth -- token <JWT> --publishable-key <pk_…>
//!     Verify a session token with a PEM public key (networkless), a JWKS URL,
//!     or the Frontend API JWKS of a publishable key. `--at <unix seconds>`
//!     verifies as of another time.
//! cargo run --example clerk --features auth -- webhook --file <BODY> --id <svix-id>
//!     --timestamp <svix-timestamp> --signature <svix-signature> [--at <unix seconds>]
//!     Verify a webhook body (raw bytes from the file). The secret comes from
//!     `--secret` or the CLERK_WEBHOOK_SECRET environment variable.
//! ```

use std::error::Error;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use pixmize_auth::{EventData, SessionVerifier, Webhook};
use rand_core::{OsRng, RngCore as _};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::pkcs8::{EncodePublicKey as _, LineEnding};

fn main() {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = runtime.block_on(try_main()) {
        eprintln!("error: {e}");
        let mut source = e.source();
        while let Some(cause) = source {
            eprintln!("  caused by: {cause}");
            source = cause.source();
        }
        std::process::exit(1);
    }
}

async fn try_main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => demo().await,
        Some("token") => verify_token(&args[1..]).await,
        Some("webhook") => verify_webhook(&args[1..]),
        Some("-h" | "--help") => {
            println!("{}", usage());
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n{}", usage()).into()),
    }
}

fn usage() -> &'static str {
    "usage: clerk [token <JWT> (--pem FILE | --jwks-url URL | --publishable-key PK) [--issuer URL] [--at UNIX]]\n\
     \x20            [webhook --file BODY --id ID --timestamp TS --signature SIG [--secret S] [--at UNIX]]\n\
     With no arguments, runs a demonstration against locally generated keys."
}

/// The value after `--name`, if given.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn time_flag(args: &[String]) -> Result<SystemTime, Box<dyn Error>> {
    match flag(args, "--at") {
        Some(secs) => Ok(UNIX_EPOCH + Duration::from_secs(secs.parse()?)),
        None => Ok(SystemTime::now()),
    }
}

async fn verify_token(args: &[String]) -> Result<(), Box<dyn Error>> {
    let token = args.first().filter(|t| !t.starts_with("--")).ok_or("missing <JWT>")?;
    let mut builder = SessionVerifier::builder();
    if let Some(file) = flag(args, "--pem") {
        builder = builder.jwt_key(std::fs::read_to_string(file)?);
    } else if let Some(url) = flag(args, "--jwks-url") {
        builder = builder.jwks_url(url);
    } else if flag(args, "--publishable-key").is_none() {
        return Err("give --pem, --jwks-url or --publishable-key".into());
    }
    if let Some(pk) = flag(args, "--publishable-key") {
        builder = builder.publishable_key(pk);
    }
    if let Some(issuer) = flag(args, "--issuer") {
        builder = builder.issuer(issuer);
    }
    let verifier = builder.build()?;
    match verifier.verify_at(token, time_flag(args)?).await {
        Ok(claims) => {
            println!("valid session token ({:?} keys)", verifier.key_source());
            println!("{}", serde_json::to_string_pretty(&claims)?);
            Ok(())
        }
        Err(e) => {
            Err(format!("rejected: {e} (reason={}, status={})", e.reason(), e.status()).into())
        }
    }
}

fn verify_webhook(args: &[String]) -> Result<(), Box<dyn Error>> {
    let secret = match flag(args, "--secret") {
        Some(secret) => secret.to_owned(),
        None => std::env::var("CLERK_WEBHOOK_SECRET")
            .map_err(|_| "give --secret or set CLERK_WEBHOOK_SECRET")?,
    };
    let body = std::fs::read(flag(args, "--file").ok_or("missing --file")?)?;
    let id = flag(args, "--id").ok_or("missing --id")?;
    let timestamp = flag(args, "--timestamp").ok_or("missing --timestamp")?;
    let signature = flag(args, "--signature").ok_or("missing --signature")?;
    let webhook = Webhook::new(&secret)?;
    let delivery = webhook.verify_parts_at(id, timestamp, signature, &body, time_flag(args)?)?;
    println!("valid webhook {} (signed at {})", delivery.id, delivery.timestamp);
    match pixmize_auth::WebhookEvent::from_slice(&body) {
        Ok(event) => println!("event: {}", event.event_type),
        Err(_) => println!("(the body is not a Clerk event)"),
    }
    Ok(())
}

/// Signs and verifies a session token and a webhook with throwaway keys.
async fn demo() -> Result<(), Box<dyn Error>> {
    println!(
        "No arguments: demonstrating against locally generated keys (nothing is sent to Clerk)."
    );
    println!("Run with --help to verify your own token or webhook.\n");

    // 1. A session token, signed with a fresh RSA key, verified networkless.
    println!("Generating a throwaway RSA-2048 key (takes a few seconds in debug builds)...");
    let private = rsa::RsaPrivateKey::new(&mut OsRng, 2048)?;
    let public_pem = private.to_public_key().to_public_key_pem(LineEnding::LF)?;
    let encoding = jsonwebtoken::EncodingKey::from_rsa_der(private.to_pkcs1_der()?.as_bytes());

    let issuer = "https://clerk.demo.pixmize.local";
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let header = serde_json::json!({"alg": "RS256", "kid": "ins_demo", "typ": "JWT"});
    let claims = serde_json::json!({
        "sub": "user_demo", "sid": "sess_demo", "iss": issuer, "v": 2,
        "iat": now, "nbf": now - 10, "exp": now + 60, "pla": "u:pro", "fea": "u:cloud",
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &encoding, jsonwebtoken::Algorithm::RS256)?;
    let token = format!("{input}.{signature}");

    let verifier = SessionVerifier::builder().jwt_key(public_pem).issuer(issuer).build()?;
    let verified = verifier.verify(&token).await?;
    println!(
        "token: valid for {} (plan pro: {}, feature cloud: {})",
        verified.sub,
        verified.has_plan("pro"),
        verified.has_feature("cloud")
    );
    let late = SystemTime::now() + Duration::from_secs(66);
    let err = verifier.verify_at(&token, late).await.err().ok_or("expired token accepted")?;
    println!("token, 66 s later: rejected, reason={} -> HTTP {}", err.reason(), err.status());
    let tampered = {
        let evil =
            serde_json::json!({"sub": "user_evil", "iss": issuer, "iat": now, "exp": now + 60});
        let parts: Vec<&str> = token.split('.').collect();
        format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(evil.to_string()), parts[2])
    };
    let err = verifier.verify(&tampered).await.err().ok_or("tampered token accepted")?;
    println!(
        "token with a changed payload: rejected, reason={} -> HTTP {}\n",
        err.reason(),
        err.status()
    );

    // 2. A webhook, signed with a fresh secret the way Svix does.
    let mut key = [0u8; 24];
    OsRng.fill_bytes(&mut key);
    let secret = format!("whsec_{}", STANDARD.encode(key));
    let webhook = Webhook::new(&secret)?;
    let body =
        br#"{"type":"user.created","object":"event","data":{"id":"user_demo","object":"user"}}"#;
    let timestamp = i64::try_from(now)?;
    let signature = webhook.sign("msg_demo", timestamp, body);
    let verified = webhook.verify_parts_at(
        "msg_demo",
        &timestamp.to_string(),
        &signature,
        body,
        SystemTime::now(),
    )?;
    let event = pixmize_auth::WebhookEvent::from_slice(body)?;
    if let EventData::UserCreated(user) = &event.data {
        println!("webhook {}: valid {} for {}", verified.id, event.event_type, user.id);
    }
    let mut changed = body.to_vec();
    changed[10] ^= 1;
    let err = webhook
        .verify_parts_at(
            "msg_demo",
            &timestamp.to_string(),
            &signature,
            &changed,
            SystemTime::now(),
        )
        .err()
        .ok_or("changed body accepted")?;
    println!("webhook with one changed byte: rejected ({err})");
    Ok(())
}
