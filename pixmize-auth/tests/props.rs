//! Property tests: any single changed byte of a signed session token or of
//! a signed webhook body makes verification fail.

mod support;

use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use pixmize_auth::{SessionVerifier, Webhook, WebhookError};
use proptest::prelude::*;
use support::{ISSUER, claims, key_a, now};

fn token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| key_a().sign(&claims()))
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().unwrap())
}

fn verifier() -> &'static SessionVerifier {
    static V: OnceLock<SessionVerifier> = OnceLock::new();
    V.get_or_init(|| {
        SessionVerifier::builder().jwt_key(key_a().public_pem).issuer(ISSUER).build().unwrap()
    })
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const BODY: &[u8] = br#"{"test": 2432232314}"#;

fn verify_webhook(id: &str, body: &[u8]) -> Result<(), WebhookError> {
    let webhook = Webhook::new(SECRET).unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(1_614_265_330);
    webhook.verify_parts_at(id, "1614265330", SIGNATURE, body, now).map(|_| ())
}

#[test]
fn the_unchanged_inputs_verify() {
    assert!(runtime().block_on(verifier().verify_at(token(), now())).is_ok());
    assert!(verify_webhook(MSG_ID, BODY).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Tokens are `&str`, so the new byte is any ASCII byte (control
    /// characters included) other than the original.
    #[test]
    fn any_changed_token_byte_fails(index in 0usize..10_000, byte in 0u8..=127) {
        let original = token().as_bytes();
        let index = index % original.len();
        prop_assume!(original[index] != byte);
        let mut changed = original.to_vec();
        changed[index] = byte;
        let changed = String::from_utf8(changed).unwrap();
        let result = runtime().block_on(verifier().verify_at(&changed, now()));
        prop_assert!(result.is_err(), "byte {index} -> {byte:#x} was accepted");
    }

    /// Any character that is not ASCII (one to four UTF-8 bytes) in place
    /// of one byte of the token also fails, so does one inserted anywhere.
    #[test]
    fn any_non_ascii_replacement_or_insertion_fails(
        index in 0usize..10_000,
        c in any::<char>().prop_filter("non-ASCII", |c| !c.is_ascii()),
    ) {
        let original = token();
        // Every byte of a token is ASCII, so every index is a char boundary.
        let index = index % original.len();
        let mut replaced = original.to_owned();
        replaced.replace_range(index..=index, c.encode_utf8(&mut [0; 4]));
        let result = runtime().block_on(verifier().verify_at(&replaced, now()));
        prop_assert!(result.is_err(), "byte {index} -> {c:?} was accepted");
        let mut inserted = original.to_owned();
        inserted.insert(index, c);
        let result = runtime().block_on(verifier().verify_at(&inserted, now()));
        prop_assert!(result.is_err(), "{c:?} inserted at {index} was accepted");
    }

    /// Webhook bodies are raw bytes: any value other than the original.
    #[test]
    fn any_changed_webhook_body_byte_fails(index in 0usize..1_000, byte in any::<u8>()) {
        let index = index % BODY.len();
        prop_assume!(BODY[index] != byte);
        let mut changed = BODY.to_vec();
        changed[index] = byte;
        prop_assert!(matches!(verify_webhook(MSG_ID, &changed), Err(WebhookError::InvalidSignature)));
    }

    /// Appending or removing bytes fails too.
    #[test]
    fn extended_or_truncated_webhook_body_fails(extra in proptest::collection::vec(any::<u8>(), 1..8), cut in 1usize..BODY.len()) {
        let mut longer = BODY.to_vec();
        longer.extend_from_slice(&extra);
        prop_assert!(verify_webhook(MSG_ID, &longer).is_err());
        prop_assert!(verify_webhook(MSG_ID, &BODY[..BODY.len() - cut]).is_err());
    }

    /// The message id is signed as well.
    #[test]
    fn any_changed_message_id_byte_fails(index in 0usize..100, byte in 0x21u8..=0x7e) {
        let original = MSG_ID.as_bytes();
        let index = index % original.len();
        prop_assume!(original[index] != byte);
        let mut changed = original.to_vec();
        changed[index] = byte;
        let changed = String::from_utf8(changed).unwrap();
        prop_assert!(verify_webhook(&changed, BODY).is_err());
    }
}
