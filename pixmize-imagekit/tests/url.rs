//! Delivery URLs and signing: the official SDKs' vectors, byte for byte.

use std::sync::Arc;
use std::time::Duration;

use pixmize_core::Transformation;
use pixmize_imagekit::{Error, ImageKit, ManualClock, TransformationPosition, UrlOptions};

fn demo() -> ImageKit {
    ImageKit::builder()
        .private_key("dummy-key")
        .url_endpoint("https://ik.imagekit.io/demo/")
        .clock(Arc::new(ManualClock::at_unix(1_700_000_000)))
        .build()
        .unwrap()
}

fn tr(s: &str) -> Transformation {
    s.parse().unwrap()
}

/// Research §2 (Node SDK v7 `signing.test.ts`, Go `helper_signing_test.go`).
#[test]
fn signing_vectors_of_the_official_sdks() {
    let ik = demo();
    let src = "sdk-testing-files/future-search.png";
    let cases: Vec<(String, &str)> = vec![
        (
            ik.url(src).signed(true).build().unwrap(),
            "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?ik-s=32dbbbfc5f945c0403c71b54c38e76896ef2d6b0",
        ),
        (
            ik.url("sdk-testing-files/हिन्दी.png").signed(true).build().unwrap(),
            "https://ik.imagekit.io/demo/sdk-testing-files/%E0%A4%B9%E0%A4%BF%E0%A4%A8%E0%A5%8D%E0%A4%A6%E0%A5%80.png?ik-s=3fff2f31da1f45e007adcdbe95f88c8c330e743c",
        ),
        (
            ik.url(src).query("version", "1.0").query("cache", "false").signed(true).build().unwrap(),
            "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?version=1.0&cache=false&ik-s=f2e5a1b8b6a0b03fd63789dfc6413a94acef9fd8",
        ),
        (
            // The Go SDK sorts the parameters; insertion order reproduces it.
            ik.url(src).query("cache", "false").query("version", "1.0").signed(true).build().unwrap(),
            "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?cache=false&version=1.0&ik-s=03767bb6f0898c04e42f65714af65d937c696d66",
        ),
        (
            ik.url(src).transformation(&tr("w-300,h-200")).query("version", "2.0").signed(true).build().unwrap(),
            "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?version=2.0&tr=w-300,h-200&ik-s=601d97a7834b7554f4dabf0d3fc3a219ceeb6b31",
        ),
        (
            ik.url(src)
                .transformation(&tr("w-300,h-200"))
                .position(TransformationPosition::Path)
                .query("version", "2.0")
                .signed(true)
                .build()
                .unwrap(),
            "https://ik.imagekit.io/demo/tr:w-300,h-200/sdk-testing-files/future-search.png?version=2.0&ik-s=dd1ee8f83d019bc59fd57a5fc4674a11eb8a3496",
        ),
        (
            // Node SDK v7 "Text overlay with special characters": the SDK's
            // own parameter order, kept with a raw step.
            ik.url("sdk-testing-files/हिन्दी.png")
                .raw_transformation("l-text,ie-4KS54KS%2F4KSo4KWN4KSm4KWA,co-red,fs-32,ff-sdk-testing-files@@Poppins-Regular_Q15GrYWmL.ttf,l-end")
                .signed(true)
                .build()
                .unwrap(),
            "https://ik.imagekit.io/demo/sdk-testing-files/%E0%A4%B9%E0%A4%BF%E0%A4%A8%E0%A5%8D%E0%A4%A6%E0%A5%80.png?tr=l-text,ie-4KS54KS%2F4KSo4KWN4KSm4KWA,co-red,fs-32,ff-sdk-testing-files@@Poppins-Regular_Q15GrYWmL.ttf,l-end&ik-s=ac9f24a03080102555e492185533c1ae6bd93fa7",
        ),
        (
            ik.url(src).signed(false).build().unwrap(),
            "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

/// The Go SDK's overlay vectors (`helper_signing_test.go`): its parameter
/// order is pixmize-core's canonical order, so the typed transformation
/// reproduces them, in the query and in the path.
#[test]
fn go_sdk_text_overlay_vectors_from_the_typed_transformation() {
    let ik = demo();
    let overlay = tr(
        "l-text,ie-4KS54KS%2F4KSo4KWN4KSm4KWA,fs-32,ff-sdk-testing-files@@Poppins-Regular_Q15GrYWmL.ttf,co-red,l-end",
    );
    assert_eq!(
        overlay.to_string(),
        "l-text,ie-4KS54KS%2F4KSo4KWN4KSm4KWA,fs-32,ff-sdk-testing-files@@Poppins-Regular_Q15GrYWmL.ttf,co-red,l-end"
    );
    let src = "sdk-testing-files/हिन्दी.png";
    assert_eq!(
        ik.url(src).transformation(&overlay).signed(true).build().unwrap(),
        "https://ik.imagekit.io/demo/sdk-testing-files/%E0%A4%B9%E0%A4%BF%E0%A4%A8%E0%A5%8D%E0%A4%A6%E0%A5%80.png?tr=l-text,ie-4KS54KS%2F4KSo4KWN4KSm4KWA,fs-32,ff-sdk-testing-files@@Poppins-Regular_Q15GrYWmL.ttf,co-red,l-end&ik-s=705e41579d368caa6530a4375355325277fcfe5c"
    );
    assert_eq!(
        ik.url(src)
            .transformation(&overlay)
            .position(TransformationPosition::Path)
            .signed(true)
            .build()
            .unwrap(),
        "https://ik.imagekit.io/demo/tr:l-text,ie-4KS54KS%2F4KSo4KWN4KSm4KWA,fs-32,ff-sdk-testing-files@@Poppins-Regular_Q15GrYWmL.ttf,co-red,l-end/sdk-testing-files/%E0%A4%B9%E0%A4%BF%E0%A4%A8%E0%A5%8D%E0%A4%A6%E0%A5%80.png?ik-s=20958f6126fd67c90653f55a49f2b7bb938d9d1c"
    );
}

/// Expiring URLs at a fixed clock; expected signatures computed with
/// Python's `hmac` (independent of this crate).
#[test]
fn expiring_urls_at_a_fixed_clock() {
    let ik = demo();
    let url = ik
        .url("sdk-testing-files/future-search.png")
        .expires_in(Duration::from_secs(3600))
        .build()
        .unwrap();
    assert_eq!(
        url,
        "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?ik-t=1700003600&ik-s=02b18bdf67868ccda662ddedda61defd75e97e49"
    );
    let url = ik
        .url("sdk-testing-files/future-search.png")
        .query("v", "1")
        .raw_transformation("w-300,h-200")
        .expires_in(Duration::from_secs(60))
        .build()
        .unwrap();
    assert_eq!(
        url,
        "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?v=1&tr=w-300,h-200&ik-t=1700000060&ik-s=d3d4116810521eaa6428bcf9a3fe88db42600126"
    );
    // `signed(false)` with an expiry still signs, as the official SDKs.
    let url = ik.url("a.png").signed(false).expires_in(Duration::from_secs(10)).build().unwrap();
    assert!(url.contains("?ik-t=1700000010&ik-s="), "{url}");
    // build_at overrides the clock.
    let at = std::time::UNIX_EPOCH + Duration::from_secs(1_700_003_540);
    let url = ik
        .url("sdk-testing-files/future-search.png")
        .expires_in(Duration::from_secs(60))
        .build_at(at)
        .unwrap();
    assert!(url.contains("ik-t=1700003600&ik-s=02b18bdf67868ccda662ddedda61defd75e97e49"), "{url}");
    assert!(matches!(
        ik.url("a.png").expires_in(Duration::from_millis(500)).build(),
        Err(Error::InvalidArgument { .. })
    ));
}

/// Node SDK v7 `basic.test.ts` behaviours.
#[test]
fn url_building_rules() {
    let ik = ImageKit::builder()
        .url_endpoint("https://ik.imagekit.io/test_url_endpoint")
        .build()
        .unwrap();
    let t = tr("w-400,h-300:rt-90");
    let cases: Vec<(String, &str)> = vec![
        (ik.url("/").build().unwrap(), "https://ik.imagekit.io/test_url_endpoint/"),
        (
            ik.url("/test_path.jpg").build().unwrap(),
            "https://ik.imagekit.io/test_url_endpoint/test_path.jpg",
        ),
        (
            ik.url("/test_path.jpg").transformation(&t).build().unwrap(),
            "https://ik.imagekit.io/test_url_endpoint/test_path.jpg?tr=w-400,h-300:rt-90",
        ),
        (
            ik.url("/test_path.jpg")
                .transformation(&t)
                .position(TransformationPosition::Path)
                .build()
                .unwrap(),
            "https://ik.imagekit.io/test_url_endpoint/tr:w-400,h-300:rt-90/test_path.jpg",
        ),
        (
            ik.url("///test_path.jpg").raw_transformation("h-300,w-400").build().unwrap(),
            "https://ik.imagekit.io/test_url_endpoint/test_path.jpg?tr=h-300,w-400",
        ),
        (
            // An absolute src always takes the query form.
            ik.url("https://my.custom.domain.com/test_path.jpg")
                .raw_transformation("h-300,w-400")
                .position(TransformationPosition::Path)
                .build()
                .unwrap(),
            "https://my.custom.domain.com/test_path.jpg?tr=h-300,w-400",
        ),
        (
            ik.url("https://ik.imagekit.io/test_url_endpoint/test_path_alt.jpg?t1=v1")
                .query("t2", "v2")
                .query("t3", "v3")
                .raw_transformation("h-300,w-400")
                .build()
                .unwrap(),
            "https://ik.imagekit.io/test_url_endpoint/test_path_alt.jpg?t1=v1&t2=v2&t3=v3&tr=h-300,w-400",
        ),
        (
            ik.url("/test_path.jpg")
                .raw_transformation("h-300,w-400")
                .raw_transformation("rndm_trnsf-abcd")
                .build()
                .unwrap(),
            "https://ik.imagekit.io/test_url_endpoint/test_path.jpg?tr=h-300,w-400:rndm_trnsf-abcd",
        ),
        (
            // No empty `tr`.
            ik.url("/test_path.jpg")
                .raw_transformation("")
                .transformation(&Transformation::new())
                .build()
                .unwrap(),
            "https://ik.imagekit.io/test_url_endpoint/test_path.jpg",
        ),
        (
            ik.url("/test_path.jpg")
                .raw_transformation("")
                .position(TransformationPosition::Path)
                .build()
                .unwrap(),
            "https://ik.imagekit.io/test_url_endpoint/test_path.jpg",
        ),
        (
            ik.url("/test_path.jpg")
                .url_endpoint("https://ik.imagekit.io/imagekit_id/new-endpoint/")
                .build()
                .unwrap(),
            "https://ik.imagekit.io/imagekit_id/new-endpoint/test_path.jpg",
        ),
        (
            // Query values are form-encoded; spaces and non-ASCII in paths are
            // percent-encoded.
            ik.url("folder/my photo é.jpg").query("a b", "c&d").build().unwrap(),
            "https://ik.imagekit.io/test_url_endpoint/folder/my%20photo%20%C3%A9.jpg?a+b=c%26d",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
        assert!(!got["https://".len()..].contains("//"), "{got}");
    }
}

#[test]
fn bad_urls_are_errors() {
    let ik = demo();
    assert!(matches!(ik.url("").build(), Err(Error::InvalidArgument { .. })));
    assert!(matches!(
        ik.url("a.jpg").raw_transformation("w-1 0").build(),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        ik.url("a.jpg")
            .raw_transformation("l-image,i-a/b.png,l-end")
            .position(TransformationPosition::Path)
            .build(),
        Err(Error::InvalidArgument { .. })
    ));
    let no_endpoint = ImageKit::builder().private_key("k").build().unwrap();
    assert!(matches!(no_endpoint.url("a.jpg").build(), Err(Error::Config(_))));
    let no_key = ImageKit::builder().url_endpoint("https://ik.imagekit.io/demo").build().unwrap();
    assert!(matches!(no_key.url("a.jpg").signed(true).build(), Err(Error::Config(_))));
    // Unsigned URLs need no key.
    assert_eq!(no_key.url("a.jpg").build().unwrap(), "https://ik.imagekit.io/demo/a.jpg");
}

#[test]
fn sign_url_signs_a_built_url() {
    let ik = demo();
    let plain = ik
        .url("sdk-testing-files/future-search.png")
        .query("version", "2.0")
        .raw_transformation("w-300,h-200")
        .build()
        .unwrap();
    assert_eq!(
        ik.sign_url(&plain, None).unwrap(),
        "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?version=2.0&tr=w-300,h-200&ik-s=601d97a7834b7554f4dabf0d3fc3a219ceeb6b31"
    );
    let signed = ik.sign_url(&plain, None).unwrap();
    assert!(matches!(ik.sign_url(&signed, None), Err(Error::InvalidArgument { .. })));
}

#[test]
fn options_struct_builds_the_same_url() {
    let ik = demo();
    let mut o = UrlOptions::new("sdk-testing-files/future-search.png");
    o.transformation = tr("w-300,h-200");
    o.query.push(("version".into(), "2.0".into()));
    o.position = TransformationPosition::Path;
    o.signed = true;
    assert_eq!(o.tr().as_deref(), Some("w-300,h-200"));
    assert_eq!(
        ik.url_with(&o).unwrap(),
        "https://ik.imagekit.io/demo/tr:w-300,h-200/sdk-testing-files/future-search.png?version=2.0&ik-s=dd1ee8f83d019bc59fd57a5fc4674a11eb8a3496"
    );
}

/// The official SDKs' `getResponsiveImageAttributes` vectors
/// (imagekit-javascript `test/getResponsiveImageAttributes.test.js`).
#[test]
fn responsive_image_attributes_match_the_sdk() {
    use pixmize_imagekit::{ResponsiveImageAttributes, ResponsiveOptions};
    let ik = ImageKit::builder().url_endpoint("https://ik.imagekit.io/demo").build().unwrap();
    let u = |tr: &str| format!("https://ik.imagekit.io/demo/sample.jpg?tr={tr}");
    let set = |items: &[(&str, &str)]| {
        items.iter().map(|(tr, d)| format!("{} {d}", u(tr))).collect::<Vec<_>>().join(", ")
    };
    let widths = |ws: &[u32]| -> String {
        let items: Vec<(String, String)> =
            ws.iter().map(|w| (format!("w-{w},c-at_max"), format!("{w}w"))).collect();
        let refs: Vec<(&str, &str)> = items.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        set(&refs)
    };
    let devices = [640, 750, 828, 1080, 1200, 1920, 2048, 3840];
    let attrs = |src: String, src_set: String, sizes: Option<&str>, width: Option<u32>| {
        (src, Some(src_set), sizes.map(str::to_owned), width)
    };
    let got = |a: ResponsiveImageAttributes| (a.src, a.src_set, a.sizes, a.width);

    // Bare minimum, and sizes = 100vw: the device breakpoints.
    for o in [ResponsiveOptions::new(), ResponsiveOptions::new().sizes("100vw")] {
        assert_eq!(
            got(ik.url("sample.jpg").responsive(&o).unwrap()),
            attrs(u("w-3840,c-at_max"), widths(&devices), Some("100vw"), None)
        );
    }
    // Width only: 1x and 2x.
    assert_eq!(
        got(ik.url("sample.jpg").responsive(&ResponsiveOptions::new().width(400)).unwrap()),
        attrs(
            u("w-828,c-at_max"),
            set(&[("w-640,c-at_max", "1x"), ("w-828,c-at_max", "2x")]),
            None,
            Some(400)
        )
    );
    // Custom breakpoints.
    let o = ResponsiveOptions::new().device_breakpoints([200, 400, 800]).image_breakpoints([100]);
    assert_eq!(
        got(ik.url("sample.jpg").responsive(&o).unwrap()),
        attrs(u("w-800,c-at_max"), widths(&[200, 400, 800]), Some("100vw"), None)
    );
    // Caller transformations are kept in front.
    assert_eq!(
        got(ik
            .url("sample.jpg")
            .raw_transformation("h-300")
            .responsive(&ResponsiveOptions::new().width(500))
            .unwrap()),
        attrs(
            u("h-300:w-1080,c-at_max"),
            set(&[("h-300:w-640,c-at_max", "1x"), ("h-300:w-1080,c-at_max", "2x")]),
            None,
            Some(500)
        )
    );
    // Sizes and width: sizes wins, width is passed through.
    let mut w = vec![384];
    w.extend(devices);
    assert_eq!(
        got(ik
            .url("sample.jpg")
            .responsive(&ResponsiveOptions::new().sizes("50vw").width(600))
            .unwrap()),
        attrs(u("w-3840,c-at_max"), widths(&w), Some("50vw"), Some(600))
    );
    // 33vw prunes below 640 × 0.33.
    let mut w = vec![256, 384];
    w.extend(devices);
    let sizes = "(min-width: 800px) 33vw, 100vw";
    assert_eq!(
        got(ik.url("sample.jpg").responsive(&ResponsiveOptions::new().sizes(sizes)).unwrap()),
        attrs(u("w-3840,c-at_max"), widths(&w), Some(sizes), None)
    );
    // Query parameters and path position.
    let a = ik
        .url("sample.jpg")
        .raw_transformation("h-300:e-bgremove")
        .query("key", "value")
        .position(TransformationPosition::Path)
        .responsive(&ResponsiveOptions::new().width(450))
        .unwrap();
    let p = |tr: &str| format!("https://ik.imagekit.io/demo/tr:{tr}/sample.jpg?key=value");
    assert_eq!(a.src, p("h-300:e-bgremove:w-1080,c-at_max"));
    assert_eq!(
        a.src_set.unwrap(),
        format!(
            "{} 1x, {} 2x",
            p("h-300:e-bgremove:w-640,c-at_max"),
            p("h-300:e-bgremove:w-1080,c-at_max")
        )
    );
    // Every candidate is signed when the builder signs.
    let signed = demo()
        .url("sample.jpg")
        .signed(true)
        .responsive(&ResponsiveOptions::new().width(10))
        .unwrap();
    assert!(signed.src_set.unwrap().split(", ").all(|c| c.contains("&ik-s=")));
    // No device breakpoints: an error, not a broken URL.
    let e = ik.url("sample.jpg").responsive(&ResponsiveOptions::new().device_breakpoints([]));
    assert!(matches!(e, Err(Error::InvalidArgument { .. })));
}

#[test]
fn text_layers_switch_to_base64_when_needed() {
    use pixmize_core::transform::Params;
    use pixmize_imagekit::overlay;
    let ik = ImageKit::builder().url_endpoint("https://ik.imagekit.io/demo").build().unwrap();
    let t: Transformation =
        [Params::new().layer(overlay::text_layer("Let's use ©, ®, ™, etc").unwrap())]
            .into_iter()
            .collect();
    let url = ik
        .url("/medium_cafe_B1iTdD0C.jpg")
        .transformation(&t)
        .position(TransformationPosition::Path)
        .build()
        .unwrap();
    assert_eq!(
        url,
        "https://ik.imagekit.io/demo/tr:l-text,ie-TGV0J3MgdXNlIMKpLCDCriwg4oSiLCBldGM%3D,l-end/medium_cafe_B1iTdD0C.jpg"
    );
    let t: Transformation =
        [Params::new().layer(overlay::image_layer("/customer_logo/nykaa.png").unwrap())]
            .into_iter()
            .collect();
    let url = ik
        .url("/medium_cafe_B1iTdD0C.jpg")
        .transformation(&t)
        .position(TransformationPosition::Path)
        .build()
        .unwrap();
    assert_eq!(
        url,
        "https://ik.imagekit.io/demo/tr:l-image,i-customer_logo@@nykaa.png,l-end/medium_cafe_B1iTdD0C.jpg"
    );
}

/// The `tr` text is signed in the form an HTTP client sends it: non-ASCII
/// as UTF-8 `%XX`, and what the URL parser escapes in that position
/// (`"` and `'` in the query; `"`, `{` and `}` in the path), an existing
/// `%XX` kept and a lone `%` as `%25`. Expected signatures computed with
/// Python's `hmac` (independent of this crate).
#[test]
fn transformation_text_is_signed_in_its_wire_form() {
    let ik = demo();
    let src = "sdk-testing-files/future-search.png";
    let quirky = "l-text,i-\"Hi\"%20{x}%20%%2F',l-end";
    let cases: Vec<(String, &str)> = vec![
        (
            ik.url(src)
                .raw_transformation("l-text,i-Imagekité,l-end")
                .signed(true)
                .build()
                .unwrap(),
            "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?tr=l-text,i-Imagekit%C3%A9,l-end&ik-s=2cc0cddce6e8f427e35df6df37ce62ba0c9ad232",
        ),
        (
            ik.url(src)
                .raw_transformation("l-text,i-Imagekité,l-end")
                .position(TransformationPosition::Path)
                .signed(true)
                .build()
                .unwrap(),
            "https://ik.imagekit.io/demo/tr:l-text,i-Imagekit%C3%A9,l-end/sdk-testing-files/future-search.png?ik-s=337f6fe62bed9f549bda170516c250f725e86a54",
        ),
        (
            ik.url(src).raw_transformation(quirky).signed(true).build().unwrap(),
            "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?tr=l-text,i-%22Hi%22%20{x}%20%25%2F%27,l-end&ik-s=c599e292011c977348fbbc988dd31e1ccb23e465",
        ),
        (
            ik.url(src)
                .raw_transformation(quirky)
                .position(TransformationPosition::Path)
                .signed(true)
                .build()
                .unwrap(),
            "https://ik.imagekit.io/demo/tr:l-text,i-%22Hi%22%20%7Bx%7D%20%25%2F',l-end/sdk-testing-files/future-search.png?ik-s=c45852986ec64528e1439176ab1ae5b5f32f1780",
        ),
        (
            // Unsigned URLs get the same wire form.
            ik.url(src).raw_transformation("l-text,i-Imagekité,l-end").build().unwrap(),
            "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?tr=l-text,i-Imagekit%C3%A9,l-end",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
        // What an HTTP client sends is exactly what was signed.
        assert_eq!(url::Url::parse(&got).unwrap().as_str(), got);
    }
}

/// `sign_url` signs what an HTTP client sends, too.
#[test]
fn sign_url_signs_the_wire_form() {
    let ik = demo();
    let signed = ik
        .sign_url(
            "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?tr=l-text,i-Imagekité,l-end",
            None,
        )
        .unwrap();
    assert_eq!(
        signed,
        "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png?tr=l-text,i-Imagekit%C3%A9,l-end&ik-s=2cc0cddce6e8f427e35df6df37ce62ba0c9ad232"
    );
    assert!(matches!(ik.sign_url("not a url", None), Err(Error::InvalidArgument { .. })));
}
