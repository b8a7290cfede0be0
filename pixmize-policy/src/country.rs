//! ISO 3166-1 alpha-2 country codes and the GDPR transfer geography.

/// Every officially assigned ISO 3166-1 alpha-2 code (249), sorted.
const ISO_3166_ALPHA2: &str = "\
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY \
HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY \
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY \
QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// The European Economic Area: the 27 EU member states plus Iceland,
/// Liechtenstein and Norway. Transfers inside it need no Chapter V safeguard.
const EEA: &str =
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK";

/// Countries with a European Commission adequacy decision under GDPR
/// Art. 45 (the United States only for organisations certified under the
/// EU-U.S. Data Privacy Framework, which is modelled separately).
const ADEQUATE: &str = "AD AR CA CH FO GB GG IL IM JE JP KR NZ UY";

/// Whether `code` is an assigned ISO 3166-1 alpha-2 code (upper case).
pub(crate) fn is_iso_alpha2(code: &str) -> bool {
    code.len() == 2 && ISO_3166_ALPHA2.split(' ').any(|c| c == code)
}

/// Whether `code` is in the EEA.
pub(crate) fn is_eea(code: &str) -> bool {
    EEA.split(' ').any(|c| c == code)
}

/// Whether `code` has an Art. 45 adequacy decision.
pub(crate) fn is_adequate(code: &str) -> bool {
    ADEQUATE.split(' ').any(|c| c == code)
}

/// A short English name for the countries the policies use; the code
/// otherwise.
pub(crate) fn name(code: &str) -> &str {
    match code {
        "DE" => "Germany",
        "FR" => "France",
        "GB" => "the United Kingdom",
        "IE" => "Ireland",
        "IN" => "India",
        "NL" => "the Netherlands",
        "US" => "the United States",
        "CH" => "Switzerland",
        "JP" => "Japan",
        "SG" => "Singapore",
        "AU" => "Australia",
        "CA" => "Canada",
        "EU" => "the European Union",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_list_is_complete_sorted_and_unique() {
        let codes: Vec<&str> = ISO_3166_ALPHA2.split(' ').collect();
        assert_eq!(codes.len(), 249);
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
        assert!(codes.iter().all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())));
    }

    #[test]
    fn eea_and_adequacy_lists_are_real_codes() {
        assert_eq!(EEA.split(' ').count(), 30);
        for c in EEA.split(' ').chain(ADEQUATE.split(' ')) {
            assert!(is_iso_alpha2(c), "{c}");
        }
        assert!(is_eea("DE") && !is_eea("US") && !is_eea("GB"));
        assert!(is_adequate("GB") && !is_adequate("US") && !is_adequate("IN"));
        assert!(!is_iso_alpha2("XX") && !is_iso_alpha2("de") && !is_iso_alpha2("EU"));
    }
}
