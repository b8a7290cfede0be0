//! Finding a parameter's byte offset in a transformation string, so a page
//! can underline the parameter that cannot run on the device.
//!
//! The engine reports such a parameter as (top-level step, key). Top-level
//! steps are separated by `:` outside layers (`l-…` … `l-end`) and
//! conditionals (`if-…` … `if-end`), whose branches may hold chains of their
//! own; parameters are separated by `,` or `:`.

/// The byte offset of the first parameter written as `key` or `key-…` in
/// top-level step `step` (from 0) of `transformation`, at any depth.
pub(crate) fn locate(transformation: &str, step: usize, key: &str) -> Option<usize> {
    let mut current = 0;
    let (mut layers, mut conditionals) = (0usize, 0usize);
    let mut start = 0;
    for (i, c) in transformation.char_indices().chain([(transformation.len(), ':')]) {
        if c != ',' && c != ':' {
            continue;
        }
        let param = &transformation[start..i];
        if current == step
            && (param == key || param.strip_prefix(key).is_some_and(|v| v.starts_with('-')))
        {
            return Some(start);
        }
        match param {
            "l-end" => layers = layers.saturating_sub(1),
            "if-end" => conditionals = conditionals.saturating_sub(1),
            "if-else" => {}
            p if p.starts_with("l-") => layers += 1,
            p if p.starts_with("if-") => conditionals += 1,
            _ => {}
        }
        if c == ':' && layers == 0 && conditionals == 0 {
            current += 1;
        }
        start = i + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn finds_the_parameter_in_its_top_level_step() {
        let cases: &[(&str, usize, &str, Option<usize>)] = &[
            ("f-webp", 0, "f", Some(0)),
            ("w-300,f-webp", 0, "f", Some(6)),
            ("w-300:fo-top,f-webp", 1, "f", Some(13)),
            ("w-300:e-bgremove", 1, "e-bgremove", Some(6)),
            ("e-bgremove:w-300", 1, "e-bgremove", None),
            // A layer's inner chain does not start a new top-level step.
            ("l-image,i-a.png,w-10:rt-90,l-end:f-webp", 1, "f", Some(33)),
            ("l-image,i-a.png,w-10:rt-90,l-end:f-webp", 0, "l-image", Some(0)),
            // Neither does a conditional's branch; keys inside it belong to its step.
            ("w-10:if-w_gt_5,w-4:f-webp,if-else,f-png,if-end:rt-90", 1, "f", Some(19)),
            ("w-10:if-w_gt_5,w-4:f-webp,if-else,f-png,if-end:rt-90", 2, "rt", Some(47)),
            ("bg-genfill", 0, "bg", Some(0)),
            ("fo-auto", 0, "f", None),
            ("", 0, "f", None),
        ];
        for &(t, step, key, want) in cases {
            assert_eq!(locate(t, step, key), want, "{key} in step {step} of {t:?}");
            if let Some(at) = want {
                assert!(t[at..].starts_with(key), "{t:?} at {at}");
            }
        }
    }
}
