//! Loading the shipped policies.
use pixmize_policy::{IMAGEKIT_TOML, PIXMIZE_TOML, Policy};

#[test]
fn shipped_policies_validate() {
    for (name, text) in [("pixmize", PIXMIZE_TOML), ("imagekit", IMAGEKIT_TOML)] {
        if let Err(e) = Policy::from_toml(text) {
            panic!("{name}: {e}\n{:#?}", std::error::Error::source(&e));
        }
    }
}
