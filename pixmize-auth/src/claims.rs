//! Typed Clerk session-token claims, v1 and v2.
//!
//! Sources: Clerk's docs (`guides/sessions/session-tokens`), the types in
//! `@clerk/shared` (`jwtv2.ts`, `jwtPayloadParser.ts`, `authorization.ts`).
//! Every claim but `sub` and `exp` is optional, and a claim of the wrong
//! JSON type is treated as absent rather than failing the token: Clerk adds
//! and changes claims over time, and SDKs that crashed on a missing `per`
//! or `fpm` are a known failure (clerk-sdk-ruby#92).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The claims of a verified Clerk session token.
///
/// Times are Unix seconds in `i64`. Custom claims (from session-token
/// customization) are kept in [`SessionClaims::extra`].
///
/// ```
/// use pixmize_auth::SessionClaims;
///
/// let claims: SessionClaims = serde_json::from_str(r#"{
///     "sub": "user_1", "exp": 1700000060, "v": 2,
///     "pla": "u:pro", "fea": "u:cloud,o:dashboard"
/// }"#)?;
/// assert!(claims.has_plan("pro"));
/// assert!(claims.has_feature("user:cloud"));
/// assert!(!claims.has_feature("user:dashboard"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct SessionClaims {
    /// The user id (`user_…`).
    pub sub: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issued at, Unix seconds.
    pub iat: Option<i64>,
    /// Not before, Unix seconds.
    pub nbf: Option<i64>,
    /// Issuer: the Frontend API URL.
    pub iss: Option<String>,
    /// Authorized party: the origin that requested the token. Missing on
    /// tokens minted during top-level navigations and by the Backend API.
    pub azp: Option<String>,
    /// Session id (`sess_…`).
    pub sid: Option<String>,
    /// Token id (v2).
    pub jti: Option<String>,
    /// Claims version: `2` for v2 tokens; absent for v1.
    pub v: Option<u32>,
    /// Session status (`sts`).
    pub sts: Option<SessionStatus>,
    /// Impersonation actor (`act`).
    pub act: Option<Actor>,
    /// Minutes since each factor was verified (`fva`).
    pub fva: Option<FactorVerificationAge>,
    /// Active organization, v2 form (`o`).
    pub o: Option<OrgClaim>,
    /// Plans, such as `"u:free"` or `"o:pro"` (`pla`, v2).
    pub pla: Option<String>,
    /// Features, such as `"o:dashboard,u:cloud"` (`fea`, v2).
    pub fea: Option<String>,
    /// Active organization id, v1 form (`org_id`).
    pub org_id: Option<String>,
    /// Active organization slug, v1 form (`org_slug`).
    pub org_slug: Option<String>,
    /// Active organization role such as `"org:admin"`, v1 form (`org_role`).
    pub org_role: Option<String>,
    /// Organization permissions, v1 form (`org_permissions`).
    pub org_permissions: Option<Vec<String>>,
    /// Every other claim (custom claims, future Clerk claims).
    pub extra: Map<String, Value>,
}

/// The session status claim (`sts`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionStatus {
    /// A normal signed-in session.
    Active,
    /// The user must still complete a step, such as choosing an
    /// organization. Clerk's SDKs treat pending sessions as signed out by
    /// default.
    Pending,
    /// A status this crate does not know yet.
    Other(String),
}

impl SessionStatus {
    /// The claim's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
            Self::Other(s) => s,
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "active" => Self::Active,
            "pending" => Self::Pending,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// The impersonation claim (`act`): who is acting as the user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Actor {
    /// The actor's user id.
    pub sub: Option<String>,
    /// The actor's session id.
    pub sid: Option<String>,
    /// Where the actor signed in.
    pub iss: Option<String>,
}

/// The factor-verification-age claim (`fva`): minutes since the first and
/// second factor were last verified. `None` means "never" or "not enabled"
/// (Clerk sends `-1`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FactorVerificationAge {
    /// Minutes since the first factor was verified.
    pub first_factor_minutes: Option<i64>,
    /// Minutes since the second factor was verified.
    pub second_factor_minutes: Option<i64>,
}

/// The v2 organization claim (`o`). Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrgClaim {
    /// Organization id (`id`).
    pub id: Option<String>,
    /// Organization slug (`slg`).
    pub slg: Option<String>,
    /// Role without the `org:` prefix, such as `"admin"` (`rol`).
    pub rol: Option<String>,
    /// Comma-separated permission names, such as `"manage,read"` (`per`).
    pub per: Option<String>,
    /// Comma-separated feature-permission bitmasks, one per org-scoped
    /// feature in `fea` (`fpm`).
    pub fpm: Option<String>,
}

/// The active organization, the same for v1 and v2 tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActiveOrganization {
    /// Organization id (`org_…`).
    pub id: String,
    /// Organization slug.
    pub slug: Option<String>,
    /// Role with the `org:` prefix, such as `"org:admin"`.
    pub role: Option<String>,
    /// Permissions such as `"org:invoices:read"`.
    pub permissions: Vec<String>,
}

impl SessionClaims {
    /// Builds claims from a JSON object.
    ///
    /// Returns `None` when `sub` is not a non-empty string or `exp` is not
    /// a number. Time claims may be integers or floats (truncated).
    #[must_use]
    pub fn from_json(mut map: Map<String, Value>) -> Option<Self> {
        let sub = match map.remove("sub") {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => return None,
        };
        let exp = map.remove("exp").as_ref().and_then(as_time)?;
        let mut take_string = |key: &str| match map.remove(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let iss = take_string("iss");
        let azp = take_string("azp");
        let sid = take_string("sid");
        let jti = take_string("jti");
        let pla = take_string("pla");
        let fea = take_string("fea");
        let org_id = take_string("org_id");
        let org_slug = take_string("org_slug");
        let org_role = take_string("org_role");
        let sts = take_string("sts").map(|s| SessionStatus::parse(&s));
        let iat = map.remove("iat").as_ref().and_then(as_time);
        let nbf = map.remove("nbf").as_ref().and_then(as_time);
        let v = map.remove("v").and_then(|v| v.as_u64()).and_then(|v| u32::try_from(v).ok());
        let act = match map.remove("act") {
            Some(Value::Object(o)) => Some(Actor {
                sub: str_field(&o, "sub"),
                sid: str_field(&o, "sid"),
                iss: str_field(&o, "iss"),
            }),
            _ => None,
        };
        let fva = match map.remove("fva") {
            Some(Value::Array(a)) if a.len() == 2 => {
                let age = |v: &Value| v.as_i64().filter(|m| *m >= 0);
                Some(FactorVerificationAge {
                    first_factor_minutes: age(&a[0]),
                    second_factor_minutes: age(&a[1]),
                })
            }
            _ => None,
        };
        let o = match map.remove("o") {
            Some(Value::Object(o)) => Some(OrgClaim {
                id: str_field(&o, "id"),
                slg: str_field(&o, "slg"),
                rol: str_field(&o, "rol"),
                per: str_field(&o, "per"),
                fpm: str_field(&o, "fpm"),
            }),
            _ => None,
        };
        let org_permissions = match map.remove("org_permissions") {
            Some(Value::Array(a)) => {
                Some(a.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            }
            _ => None,
        };
        Some(Self {
            sub,
            exp,
            iat,
            nbf,
            iss,
            azp,
            sid,
            jti,
            v,
            sts,
            act,
            fva,
            o,
            pla,
            fea,
            org_id,
            org_slug,
            org_role,
            org_permissions,
            extra: map,
        })
    }

    /// The claims as a JSON object (the inverse of
    /// [`SessionClaims::from_json`]; absent claims are left out).
    #[must_use]
    pub fn to_json(&self) -> Map<String, Value> {
        let mut map = self.extra.clone();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                map.insert(key.to_owned(), value);
            }
        };
        put("sub", Some(self.sub.clone().into()));
        put("exp", Some(self.exp.into()));
        put("iat", self.iat.map(Into::into));
        put("nbf", self.nbf.map(Into::into));
        put("iss", self.iss.clone().map(Into::into));
        put("azp", self.azp.clone().map(Into::into));
        put("sid", self.sid.clone().map(Into::into));
        put("jti", self.jti.clone().map(Into::into));
        put("v", self.v.map(Into::into));
        put("sts", self.sts.as_ref().map(|s| s.as_str().into()));
        put("pla", self.pla.clone().map(Into::into));
        put("fea", self.fea.clone().map(Into::into));
        put("org_id", self.org_id.clone().map(Into::into));
        put("org_slug", self.org_slug.clone().map(Into::into));
        put("org_role", self.org_role.clone().map(Into::into));
        put("org_permissions", self.org_permissions.clone().map(Into::into));
        put(
            "act",
            self.act.as_ref().map(|a| object(&[("sub", &a.sub), ("sid", &a.sid), ("iss", &a.iss)])),
        );
        put(
            "fva",
            self.fva.map(|f| {
                Value::from(vec![
                    f.first_factor_minutes.unwrap_or(-1),
                    f.second_factor_minutes.unwrap_or(-1),
                ])
            }),
        );
        put(
            "o",
            self.o.as_ref().map(|o| {
                object(&[
                    ("id", &o.id),
                    ("slg", &o.slg),
                    ("rol", &o.rol),
                    ("per", &o.per),
                    ("fpm", &o.fpm),
                ])
            }),
        );
        map
    }

    /// The user id (`sub`).
    #[must_use]
    pub fn user_id(&self) -> &str {
        &self.sub
    }

    /// Whether this is a v2 token (`"v": 2`).
    #[must_use]
    pub fn is_v2(&self) -> bool {
        self.v == Some(2)
    }

    /// Whether the session is `pending`.
    #[must_use]
    pub fn is_pending(&self) -> bool {
        self.sts == Some(SessionStatus::Pending)
    }

    /// Whether someone is impersonating the user (`act` present).
    #[must_use]
    pub fn is_impersonated(&self) -> bool {
        self.act.is_some()
    }

    /// A custom claim, deserialized. `None` when absent or of another type.
    #[must_use]
    pub fn custom<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.extra.get(key).and_then(|v| T::deserialize(v).ok())
    }

    /// The active organization, from the v2 `o` claim (when `v` is 2) or
    /// the v1 `org_*` claims, as Clerk's `jwtPayloadParser` reads them.
    ///
    /// v2 permissions are decoded from `fea`, `o.per` and `o.fpm`: the
    /// i-th number of `fpm` is a bitmask for the i-th org-scoped feature of
    /// `fea`, and its least-significant bit grants the **first** permission
    /// of `per`, the next bit the second, and so on, each set bit giving
    /// `org:<feature>:<permission>` (`decimalToBinaryBits` in Clerk's
    /// `jwtPayloadParser.ts`). With `per` = `"manage,read"`, `fpm` 1 grants
    /// `manage`, 2 grants `read` and 3 both. A mask that is not a plain
    /// decimal number grants nothing; masks of any length are read exactly.
    #[must_use]
    pub fn organization(&self) -> Option<ActiveOrganization> {
        if self.is_v2() {
            let o = self.o.as_ref()?;
            let id = o.id.clone().filter(|id| !id.is_empty())?;
            Some(ActiveOrganization {
                id,
                slug: o.slg.clone(),
                role: o.rol.as_deref().map(prefix_with_org),
                permissions: decode_org_permissions(
                    self.fea.as_deref(),
                    o.per.as_deref(),
                    o.fpm.as_deref(),
                ),
            })
        } else {
            let id = self.org_id.clone().filter(|id| !id.is_empty())?;
            Some(ActiveOrganization {
                id,
                slug: self.org_slug.clone(),
                role: self.org_role.as_deref().map(prefix_with_org),
                permissions: self.org_permissions.clone().unwrap_or_default(),
            })
        }
    }

    /// Whether the active organization grants `permission`, such as
    /// `"org:invoices:read"` (the `org:` prefix may be left out). False
    /// without an active organization with a role.
    #[must_use]
    pub fn has_permission(&self, permission: &str) -> bool {
        let Some(org) = self.organization() else { return false };
        if org.role.is_none() {
            return false;
        }
        let wanted = prefix_with_org(permission);
        org.permissions.contains(&wanted)
    }

    /// Whether the user has `role` in the active organization, such as
    /// `"org:admin"` or `"admin"`.
    #[must_use]
    pub fn has_role(&self, role: &str) -> bool {
        self.organization().and_then(|o| o.role).is_some_and(|r| r == prefix_with_org(role))
    }

    /// Whether the `pla` claim grants `plan`, following Clerk's `has({ plan })`.
    ///
    /// `plan` may be scoped: `"user:pro"`/`"u:pro"` checks user plans,
    /// `"org:pro"`/`"o:pro"`/`"organization:pro"` organization plans; an
    /// unscoped `"pro"` checks both. An unknown scope, an empty or missing
    /// claim, or a claim element without a colon fails (fail closed).
    #[must_use]
    pub fn has_plan(&self, plan: &str) -> bool {
        scoped_claim_contains(self.pla.as_deref(), plan)
    }

    /// Whether the `fea` claim grants `feature`, following Clerk's
    /// `has({ feature })`, with the same scope rules as
    /// [`SessionClaims::has_plan`].
    #[must_use]
    pub fn has_feature(&self, feature: &str) -> bool {
        scoped_claim_contains(self.fea.as_deref(), feature)
    }

    /// The plan slugs in `pla`, each with its scope.
    #[must_use]
    pub fn plans(&self) -> Vec<(Scope, &str)> {
        split_by_scope(self.pla.as_deref()).unwrap_or_default()
    }

    /// The feature slugs in `fea`, each with its scope.
    #[must_use]
    pub fn features(&self) -> Vec<(Scope, &str)> {
        split_by_scope(self.fea.as_deref()).unwrap_or_default()
    }
}

/// Who a plan or feature belongs to (the prefix in `pla`/`fea`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// `u:` — the user.
    User,
    /// `o:` — the active organization.
    Organization,
    /// `uo:`/`ou:` — both.
    Both,
}

impl Scope {
    fn covers_user(self) -> bool {
        matches!(self, Self::User | Self::Both)
    }
    fn covers_org(self) -> bool {
        matches!(self, Self::Organization | Self::Both)
    }
}

/// Splits a `pla`/`fea` claim into `(scope, slug)` pairs, like Clerk's
/// `splitByScope`: `None` if an element has no colon; unknown scopes are
/// skipped.
fn split_by_scope(claim: Option<&str>) -> Option<Vec<(Scope, &str)>> {
    let mut out = Vec::new();
    let Some(claim) = claim else { return Some(out) };
    for part in claim.split(',').map(str::trim) {
        let (scope, value) = part.split_once(':')?;
        let scope = match scope {
            "u" => Scope::User,
            "o" => Scope::Organization,
            "uo" | "ou" => Scope::Both,
            _ => continue,
        };
        out.push((scope, value));
    }
    Some(out)
}

fn scoped_claim_contains(claim: Option<&str>, query: &str) -> bool {
    let Some(claim) = claim.filter(|c| !c.is_empty()) else { return false };
    let Some(entries) = split_by_scope(Some(claim)) else { return false };
    let (want_user, want_org, slug) = match query.split_once(':') {
        None => (true, true, query),
        Some(("u" | "user", slug)) => (true, false, slug),
        Some(("o" | "org" | "organization", slug)) => (false, true, slug),
        Some(_) => return false,
    };
    if slug.is_empty() {
        return false;
    }
    entries.iter().any(|(scope, value)| {
        *value == slug && ((want_user && scope.covers_user()) || (want_org && scope.covers_org()))
    })
}

fn decode_org_permissions(fea: Option<&str>, per: Option<&str>, fpm: Option<&str>) -> Vec<String> {
    // As Clerk's `parsePermissions`: nothing without a non-empty `per` and `fpm`.
    let (Some(per), Some(fpm)) = (per.filter(|p| !p.is_empty()), fpm.filter(|f| !f.is_empty()))
    else {
        return Vec::new();
    };
    let permissions: Vec<&str> = per.split(',').map(str::trim).collect();
    let org_features: Vec<&str> = split_by_scope(fea)
        .unwrap_or_default()
        .into_iter()
        .filter(|(scope, _)| scope.covers_org())
        .map(|(_, slug)| slug)
        .collect();
    let mut out = Vec::new();
    for (feature, mask) in org_features.iter().zip(fpm.split(',')) {
        let Some(bits) = decimal_to_bits(mask.trim()) else { continue };
        // Bit j (least significant first) grants permission j.
        for (permission, bit) in permissions.iter().zip(bits) {
            if bit {
                out.push(format!("org:{feature}:{permission}"));
            }
        }
    }
    out
}

/// The binary digits of a decimal string, least significant first, like
/// Clerk's `decimalToBinaryBits` (which also reads numbers of any length).
/// `None` unless the string is one or more ASCII digits.
fn decimal_to_bits(decimal: &str) -> Option<Vec<bool>> {
    if decimal.is_empty() || !decimal.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits: Vec<u8> = decimal.bytes().map(|b| b - b'0').skip_while(|d| *d == 0).collect();
    let mut bits = Vec::new();
    // Long division by two, most significant digit first.
    while !digits.is_empty() {
        let mut remainder = 0;
        for digit in &mut digits {
            let value = remainder * 10 + *digit;
            *digit = value / 2;
            remainder = value % 2;
        }
        bits.push(remainder == 1);
        let leading_zeros = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..leading_zeros);
    }
    Some(bits)
}

fn prefix_with_org(value: &str) -> String {
    if value.starts_with("org:") { value.to_owned() } else { format!("org:{value}") }
}

fn str_field(o: &Map<String, Value>, key: &str) -> Option<String> {
    o.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn object(fields: &[(&str, &Option<String>)]) -> Value {
    let mut map = Map::new();
    for (key, value) in fields {
        if let Some(value) = value {
            map.insert((*key).to_owned(), Value::String(value.clone()));
        }
    }
    Value::Object(map)
}

/// A JSON number as whole seconds; floats are truncated, non-numbers and
/// out-of-range values are `None`.
pub(crate) fn as_time(v: &Value) -> Option<i64> {
    if let Some(i) = v.as_i64() {
        return Some(i);
    }
    let f = v.as_f64()?;
    // i64::MAX as f64 rounds up to 2^63, hence the strict bound.
    (f.is_finite() && f >= i64::MIN as f64 && f < i64::MAX as f64).then(|| f.trunc() as i64)
}

impl Serialize for SessionClaims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SessionClaims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        Self::from_json(map).ok_or_else(|| {
            serde::de::Error::custom("session claims need a non-empty `sub` and a numeric `exp`")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> SessionClaims {
        let Value::Object(map) = value else { panic!("not an object") };
        SessionClaims::from_json(map).unwrap()
    }

    #[test]
    fn required_claims() {
        let cases = [
            json!({"exp": 1}),
            json!({"sub": "", "exp": 1}),
            json!({"sub": 5, "exp": 1}),
            json!({"sub": "user_1"}),
            json!({"sub": "user_1", "exp": "1"}),
        ];
        for case in cases {
            let Value::Object(map) = case.clone() else { unreachable!() };
            assert!(SessionClaims::from_json(map).is_none(), "{case}");
        }
        assert_eq!(claims(json!({"sub": "user_1", "exp": 17.9})).exp, 17);
    }

    #[test]
    fn v2_claims_all_optional_and_lenient() {
        let c = claims(json!({
            "sub": "user_1", "exp": 10, "v": 2,
            "o": "not-an-object", "fva": [1], "act": 3, "sts": "pending",
        }));
        assert!(c.is_v2());
        assert!(c.o.is_none() && c.fva.is_none() && c.act.is_none());
        assert!(c.is_pending());
        assert!(c.organization().is_none());
        let c = claims(json!({"sub": "user_1", "exp": 10, "v": 2, "o": {"id": "org_1"}}));
        let org = c.organization().unwrap();
        assert_eq!((org.id.as_str(), org.role, org.permissions.len()), ("org_1", None, 0));
    }

    #[test]
    fn fva_minus_one_is_none() {
        let c = claims(json!({"sub": "u", "exp": 1, "fva": [3, -1]}));
        let fva = c.fva.unwrap();
        assert_eq!((fva.first_factor_minutes, fva.second_factor_minutes), (Some(3), None));
    }

    #[test]
    fn v2_permissions_decode() {
        // per = manage,read; the least-significant bit of each mask grants
        // the first permission. Features o:dashboard (fpm 3: both) and
        // o:impersonation (fpm 2 = 0b10: bit 1, the second permission,
        // `read`); u:cloud is user-scoped and has no fpm entry.
        let c = claims(json!({
            "sub": "user_1", "exp": 10, "v": 2,
            "fea": "o:dashboard,u:cloud,o:impersonation",
            "o": {"id": "org_1", "slg": "acme", "rol": "admin", "per": "manage,read", "fpm": "3,2"},
        }));
        let org = c.organization().unwrap();
        assert_eq!(org.role.as_deref(), Some("org:admin"));
        assert_eq!(
            org.permissions,
            ["org:dashboard:manage", "org:dashboard:read", "org:impersonation:read"]
        );
        assert!(c.has_permission("org:dashboard:read"));
        assert!(c.has_permission("dashboard:read"));
        assert!(c.has_permission("org:impersonation:read"));
        assert!(!c.has_permission("org:impersonation:manage"));
        assert!(c.has_role("admin") && c.has_role("org:admin") && !c.has_role("member"));
    }

    #[test]
    fn fpm_least_significant_bit_is_the_first_permission() {
        // (per, fpm, permissions granted to the single feature o:f).
        const CASES: &[(&str, &str, &[&str])] = &[
            ("manage,read", "1", &["org:f:manage"]),
            ("manage,read", "2", &["org:f:read"]),
            ("manage,read", "3", &["org:f:manage", "org:f:read"]),
            ("manage,read", "0", &[]),
            ("a,b,c", "4", &["org:f:c"]),
            ("a,b,c", "5", &["org:f:a", "org:f:c"]),
            ("a,b,c", "6", &["org:f:b", "org:f:c"]),
            ("a,b,c", "007", &["org:f:a", "org:f:b", "org:f:c"]),
            // Bits beyond the permissions grant nothing.
            ("a,b", "6", &["org:f:b"]),
            // Not a plain decimal: nothing (Clerk's /^\d+$/).
            ("a,b", "-1", &[]),
            ("a,b", "1.0", &[]),
            ("a,b", "x", &[]),
            ("a,b", "", &[]),
            ("", "3", &[]),
        ];
        for (per, fpm, want) in CASES {
            let c = claims(json!({
                "sub": "u", "exp": 1, "v": 2, "fea": "o:f",
                "o": {"id": "org_1", "rol": "admin", "per": per, "fpm": fpm},
            }));
            assert_eq!(c.organization().unwrap().permissions, *want, "per={per:?} fpm={fpm:?}");
        }
    }

    #[test]
    fn fpm_masks_longer_than_64_bits_are_read_exactly() {
        // 2^64 + 1: bits 0 and 64 set.
        let bits = decimal_to_bits("18446744073709551617").unwrap();
        assert_eq!(bits.len(), 65);
        let set: Vec<usize> =
            bits.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i).collect();
        assert_eq!(set, [0, 64]);
        assert_eq!(decimal_to_bits("0").unwrap(), Vec::<bool>::new());
        assert_eq!(decimal_to_bits("10").unwrap(), [false, true, false, true]);
        assert_eq!(decimal_to_bits(" 1"), None);
    }

    #[test]
    fn v1_org_claims() {
        let c = claims(json!({
            "sub": "user_1", "exp": 10, "org_id": "org_1", "org_role": "org:member",
            "org_permissions": ["org:sys_profile:read"],
        }));
        assert!(c.has_permission("org:sys_profile:read"));
        assert!(c.has_role("member"));
        // v1 claims are ignored on a v2 token, as Clerk's parser does.
        let mut v2 = c;
        v2.v = Some(2);
        assert!(v2.organization().is_none());
    }

    #[test]
    fn has_plan_and_feature_follow_clerk_scopes() {
        let c = claims(json!({
            "sub": "u", "exp": 1, "v": 2, "pla": "u:free,o:pro",
            "fea": "u:cloud, o:dashboard ,uo:export,x:ignored",
        }));
        let cases: &[(&str, bool, bool)] = &[
            // query, has_plan, has_feature
            ("free", true, false),
            ("pro", true, false),
            ("user:free", true, false),
            ("u:free", true, false),
            ("org:free", false, false),
            ("organization:pro", true, false),
            ("o:pro", true, false),
            ("user:pro", false, false),
            ("cloud", false, true),
            ("org:cloud", false, false),
            ("user:dashboard", false, false),
            ("org:dashboard", false, true),
            ("user:export", false, true),
            ("org:export", false, true),
            ("ignored", false, false),
            ("team:pro", false, false),
            ("", false, false),
            ("user:", false, false),
        ];
        for (query, plan, feature) in cases {
            assert_eq!(c.has_plan(query), *plan, "has_plan({query:?})");
            assert_eq!(c.has_feature(query), *feature, "has_feature({query:?})");
        }
        let broken = claims(json!({"sub": "u", "exp": 1, "pla": "u:free,nocolon"}));
        assert!(!broken.has_plan("free"), "an element without a colon fails closed");
        let none = claims(json!({"sub": "u", "exp": 1}));
        assert!(!none.has_plan("free") && !none.has_feature("cloud"));
    }

    #[test]
    fn json_round_trip_keeps_custom_claims() {
        let value = json!({
            "sub": "user_1", "exp": 10, "iat": 5, "v": 2, "sts": "active",
            "o": {"id": "org_1", "rol": "admin"}, "fva": [1, -1],
            "act": {"sub": "user_admin"}, "metadata": {"tier": "gold"},
        });
        let c: SessionClaims = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(c.custom::<Value>("metadata"), Some(json!({"tier": "gold"})));
        assert_eq!(serde_json::to_value(&c).unwrap(), value);
    }
}
