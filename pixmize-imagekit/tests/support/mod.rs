//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use pixmize_imagekit::{ImageKit, ImageKitBuilder, RecordingSleeper, RetryPolicy};

/// The private key used with wiremock.
pub(crate) const KEY: &str = "private_test_key";
/// `Basic base64("private_test_key:")`, computed by hand.
pub(crate) const BASIC: &str = "Basic cHJpdmF0ZV90ZXN0X2tleTo=";

/// A PNG of `w`×`h` with a gradient, encoded by the `image` crate.
pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A JPEG of `w`×`h`.
pub(crate) fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 3) as u8, (y * 3) as u8, 60]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A client for a wiremock server with a recording sleeper and no jitter.
pub(crate) fn wired(uri: &str) -> (ImageKit, RecordingSleeper) {
    let sleeper = RecordingSleeper::new();
    let client = builder(uri).sleeper(Arc::new(sleeper.clone())).build().unwrap();
    (client, sleeper)
}

/// A builder pointed at `uri` for both APIs, with the test keys.
pub(crate) fn builder(uri: &str) -> ImageKitBuilder {
    ImageKit::builder()
        .public_key("public_test_key")
        .private_key(KEY)
        .url_endpoint(format!("{uri}/cdn/"))
        .upload_base_url(uri)
        .api_base_url(uri)
        .retry_policy(no_jitter())
        .timeout(Duration::from_secs(10))
}

/// The default policy without jitter.
pub(crate) fn no_jitter() -> RetryPolicy {
    let mut p = RetryPolicy::default();
    p.jitter = false;
    p
}

/// Field names of a multipart body, in order.
pub(crate) fn multipart_names(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    text.match_indices("Content-Disposition: form-data; name=\"")
        .map(|(i, m)| {
            let rest = &text[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// The value of a text field of a multipart body.
pub(crate) fn multipart_value(body: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let marker = format!("name=\"{name}\"");
    let start = text.find(&marker)? + marker.len();
    let rest = &text[start..];
    let value_start = rest.find("\r\n\r\n")? + 4;
    let rest = &rest[value_start..];
    let end = rest.find("\r\n--")?;
    Some(rest[..end].to_owned())
}
