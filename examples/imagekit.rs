//! An ImageKit round trip: upload the bundled sample (streamed from disk),
//! list it, sign a URL, fetch a transformed image, make client-side upload
//! parameters (and use them), verify a webhook, delete.
//!
//! ```text
//! cargo run --example imagekit
//! ```
//!
//! With `IMAGEKIT_PUBLIC_KEY`, `IMAGEKIT_PRIVATE_KEY` and
//! `IMAGEKIT_URL_ENDPOINT` set, it works against your ImageKit account
//! (everything goes to `/pixmize-example/` and is deleted at the end).
//! Without them it starts the offline ImageKit emulator on 127.0.0.1 and
//! says so.

use std::error::Error;
use std::time::{Duration, Instant};

use pixmize::engine::Transformation;
use pixmize::engine::codec::{self, Limits};
use pixmize_imagekit::emulator::{Emulator, EmulatorHandle};
use pixmize_imagekit::{FileSource, ImageKit, ListQuery, UploadRequest, WebhookVerifier};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/assets/seeding-1600x900.jpg");
const FOLDER: &str = "/pixmize-example";

fn main() {
    if let Err(e) = try_main() {
        eprintln!("error: {e}");
        let mut source = e.source();
        while let Some(s) = source {
            eprintln!("  caused by: {s}");
            source = s.source();
        }
        std::process::exit(1);
    }
}

fn try_main() -> Result<(), Box<dyn Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(run())
}

async fn run() -> Result<(), Box<dyn Error>> {
    let live = std::env::var("IMAGEKIT_PRIVATE_KEY").is_ok_and(|v| !v.trim().is_empty());
    // Keep the emulator alive for the whole run.
    let (ik, emulator): (ImageKit, Option<EmulatorHandle>) = if live {
        let ik = ImageKit::from_env()?;
        println!(
            "Using your ImageKit account ({})",
            ik.url_endpoint().unwrap_or("no URL endpoint")
        );
        (ik, None)
    } else {
        let emu = Emulator::start().await?;
        println!(
            "No IMAGEKIT_* variables: running against the offline ImageKit emulator at {}",
            emu.base_url()
        );
        (emu.client()?, Some(emu))
    };
    let started = Instant::now();

    // 1. Upload, streamed from disk.
    let file = ik
        .upload(
            UploadRequest::new(FileSource::path(SAMPLE), "seeding.jpg")
                .folder(FOLDER)
                .tags(["pixmize", "example"])
                .is_private_file(true),
        )
        .await?;
    println!(
        "uploaded      {} ({}×{}, {} bytes), id {}",
        file.file_path,
        file.width.unwrap_or(0),
        file.height.unwrap_or(0),
        file.size.unwrap_or(0),
        file.file_id
    );

    // 2. List the folder.
    let listed = ik.list_files(&ListQuery::new().path(FOLDER)).await?;
    println!("listed        {} file(s) in {FOLDER}", listed.len());

    // 3. Sign a URL with a transformation (the file is private).
    let t: Transformation = "w-480,h-270:e-grayscale".parse()?;
    let url =
        ik.url(&file.file_path).transformation(&t).expires_in(Duration::from_secs(300)).build()?;
    println!("signed URL    {url}");

    // 4. Fetch it.
    let bytes = ik.fetch(&url, Some("image/jpeg,image/png")).await?;
    let info = codec::probe(&bytes, &Limits::default())?;
    println!(
        "fetched       {}×{} {} ({} bytes)",
        info.width,
        info.height,
        info.format,
        bytes.len()
    );

    // 5. Client-side upload parameters, as a server hands them to a browser.
    let params = ik.auth_params()?;
    println!(
        "auth params   token {} expire {} signature {}",
        params.token, params.expire, params.signature
    );
    if let Some(emu) = &emulator {
        // Play the browser: upload with the public key and those parameters.
        let browser = ImageKit::builder()
            .public_key(emu.public_key())
            .upload_base_url(emu.upload_base())
            .build()?;
        let small = std::fs::read(SAMPLE)?;
        let up = browser
            .upload(
                UploadRequest::new(FileSource::bytes(small), "from-browser.jpg")
                    .folder(FOLDER)
                    .client_auth(params),
            )
            .await?;
        println!("client upload {} (authenticated by signature, no private key)", up.file_path);
        ik.delete_file(&up.file_id).await?;
    }

    // 6. Verify a webhook over its raw body.
    let data = serde_json::json!({"fileId": file.file_id, "filePath": file.file_path});
    let event = match &emulator {
        Some(emu) => {
            let (headers, body) = emu.signed_webhook("file.created", data);
            WebhookVerifier::new(emu.webhook_secret())?.verify(&headers, &body)?
        }
        None => {
            // No webhook can reach this program: sign one locally.
            let verifier = WebhookVerifier::new("whsec_example_only")?;
            let body =
                serde_json::json!({"id": "evt_example", "type": "file.created", "data": data})
                    .to_string();
            let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
            let sig = verifier.sign_standard("evt_example", ts, body.as_bytes());
            verifier.verify_standard("evt_example", &ts.to_string(), &sig, body.as_bytes())?
        }
    };
    println!("webhook       {} {} verified", event.event_type, event.id);

    // 7. Delete.
    ik.delete_file(&file.file_id).await?;
    println!("deleted       {}", file.file_id);
    println!("round trip in {:.0?}", started.elapsed());
    if let Some(emu) = emulator {
        println!("({} requests served by the emulator)", emu.requests().len());
        emu.shutdown().await;
    }
    Ok(())
}
