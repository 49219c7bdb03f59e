//! Label links: the base URL a cooperative's labels point at, the two URL forms printed in QR
//! codes (GS1 Digital Link and short), and the resolver's reading of a scanned path.

use std::fmt;

use farm_log::ids::{Gtin, LotCode, gs1_check_digit};

use crate::digest::Digest;
use crate::error::LinkError;
use crate::serial::Serial;

/// Where labels point: `https://host[:port][/prefix]` (or `http://` for local development),
/// kept without a trailing slash and with the scheme and host in lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Reads and normalizes a base URL, explaining what is wrong in plain words.
    pub fn parse(raw: &str) -> Result<Self, LinkError> {
        let bad = |reason: &str| LinkError::BaseUrl {
            reason: reason.to_owned(),
        };
        let raw = raw.trim();
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| bad("it must start with https:// (or http:// for local testing)"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(bad("only https:// and http:// addresses can be printed on labels"));
        }
        if rest.contains(['?', '#']) {
            return Err(bad("it must not contain a query (?) or fragment (#)"));
        }
        let (authority, prefix) = match rest.find('/') {
            Some(slash) => (&rest[..slash], rest[slash..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(bad("it must not contain a user name or password"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|part| {
                !part.is_empty()
                    && !part.starts_with('-')
                    && !part.ends_with('-')
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !host_ok {
            return Err(bad(
                "the host name must be letters, digits, dots and hyphens, like nguon.example.vn",
            ));
        }
        if let Some(port) = port {
            let valid = !port.is_empty()
                && port.len() <= 5
                && port.chars().all(|c| c.is_ascii_digit())
                && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
            if !valid {
                return Err(bad("the port must be a number from 1 to 65535"));
            }
        }
        let prefix_ok = prefix.split('/').skip(1).all(|segment| {
            !segment.is_empty() && segment != "." && segment != ".." && segment.chars().all(is_unreserved)
        });
        if !prefix_ok {
            return Err(bad(
                "the path after the host may only use letters, digits, '-', '.', '_' and '~' between single slashes",
            ));
        }
        let mut normalized = format!("{scheme}://{}", host.to_ascii_lowercase());
        if let Some(port) = port {
            normalized.push(':');
            normalized.push_str(port);
        }
        normalized.push_str(prefix);
        Ok(Self(normalized))
    }

    /// The path prefix after the host (`""` or e.g. `/nguon`), which the resolver strips
    /// before calling [`ScannedPath::parse`].
    pub fn path_prefix(&self) -> &str {
        let after_scheme = self.0.find("://").map_or(0, |i| i + 3);
        self.0[after_scheme..]
            .find('/')
            .map_or("", |slash| &self.0[after_scheme + slash..])
    }
}

impl AsRef<str> for BaseUrl {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// What a label's QR code holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelLink {
    /// A GS1 Digital Link for products with a GTIN:
    /// `{base}/01/{gtin14}/10/{lot}/21/{serial}?d={digest}`. Qualifiers follow GS1's order
    /// (01 GTIN → 10 batch/lot → 21 serial); lot codes only use URI-unreserved characters, so
    /// nothing is escaped.
    DigitalLink {
        /// Where the link points.
        base: BaseUrl,
        /// The product's GTIN, written as 14 digits.
        gtin: Gtin,
        /// The lot.
        lot: LotCode,
        /// This label's serial.
        serial: Serial,
        /// The lot's chain head when the label was issued.
        digest: Digest,
    },
    /// A short link for products without a GTIN: `{base}/l/{serial}?d={digest}`.
    Short {
        /// Where the link points.
        base: BaseUrl,
        /// This label's serial.
        serial: Serial,
        /// The lot's chain head when the label was issued.
        digest: Digest,
    },
}

impl LabelLink {
    /// The URL to put in the QR code.
    pub fn to_url(&self) -> String {
        self.to_string()
    }

    /// The label's serial.
    pub fn serial(&self) -> Serial {
        match self {
            Self::DigitalLink { serial, .. } | Self::Short { serial, .. } => *serial,
        }
    }

    /// Reads a URL made by [`LabelLink::to_url`] for labels under `base`; the exact inverse of
    /// formatting. Short GTINs are accepted and padded to 14 digits; the `d=` code is required.
    pub fn parse(url: &str, base: &BaseUrl) -> Result<Self, LinkError> {
        let wrong_base = || LinkError::WrongBase {
            expected: base.to_string(),
        };
        let rest = url.trim().strip_prefix(base.as_ref()).ok_or_else(wrong_base)?;
        if !rest.starts_with('/') {
            return Err(wrong_base());
        }
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        let scanned = ScannedPath::parse(path, query)?;
        let digest = match scanned.digest {
            ScannedDigest::Present(digest) => digest,
            ScannedDigest::Absent => return Err(LinkError::MissingDigest),
            ScannedDigest::Malformed(error) => return Err(error),
        };
        let base = base.clone();
        let serial = scanned.serial;
        Ok(match (scanned.gtin, scanned.lot) {
            (Some(gtin), Some(lot)) => Self::DigitalLink {
                base,
                gtin,
                lot,
                serial,
                digest,
            },
            (None, None) => Self::Short { base, serial, digest },
            // Digital Links without a lot are valid GS1, but this system never prints them.
            _ => return Err(LinkError::NotALabelPath),
        })
    }
}

impl fmt::Display for LabelLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DigitalLink {
                base,
                gtin,
                lot,
                serial,
                digest,
            } => {
                write!(f, "{base}/01/{gtin}/10/{lot}/21/{serial}?d={digest}")
            }
            Self::Short { base, serial, digest } => write!(f, "{base}/l/{serial}?d={digest}"),
        }
    }
}

/// The `d=` check code of a scanned link, which may be missing or damaged without making the
/// rest of the link useless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannedDigest {
    /// The link has no `d=` parameter.
    Absent,
    /// A well-formed check code.
    Present(Digest),
    /// A `d=` parameter that is not a check code, with the reason to show.
    Malformed(LinkError),
}

impl ScannedDigest {
    /// The check code, if present and well-formed.
    pub fn digest(&self) -> Option<Digest> {
        match self {
            Self::Present(digest) => Some(*digest),
            Self::Absent | Self::Malformed(_) => None,
        }
    }
}

/// What the resolver reads from a scanned label's path and query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedPath {
    /// The GTIN from `/01/`, normalized to 14 digits with its check digit verified.
    pub gtin: Option<Gtin>,
    /// The lot from `/10/`.
    pub lot: Option<LotCode>,
    /// The serial from `/21/` or `/l/`.
    pub serial: Serial,
    /// The `d=` check code.
    pub digest: ScannedDigest,
}

impl ScannedPath {
    /// Reads a path (after the base URL's prefix, starting with `/`) and its query string
    /// (without `?`). Accepted paths: `/01/{gtin}/10/{lot}/21/{serial}`, `/01/{gtin}/21/{serial}`
    /// and `/l/{serial}`, with GTIN-8/12/13/14 and one optional trailing slash. Other query
    /// parameters are ignored.
    pub fn parse(path: &str, query: Option<&str>) -> Result<Self, LinkError> {
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = path
            .strip_prefix('/')
            .ok_or(LinkError::NotALabelPath)?
            .split('/')
            .collect();
        let (gtin, lot, serial) = match segments.as_slice() {
            ["l", serial] => (None, None, *serial),
            ["01", gtin, "21", serial] => (Some(parse_gtin(gtin)?), None, *serial),
            ["01", gtin, "10", lot, "21", serial] => {
                let lot = LotCode::parse(lot, "lot").map_err(|error| LinkError::LotCode {
                    message: error.message_en,
                })?;
                (Some(parse_gtin(gtin)?), Some(lot), *serial)
            }
            _ => return Err(LinkError::NotALabelPath),
        };
        let serial = Serial::parse(serial)?;
        let digest = query
            .into_iter()
            .flat_map(|query| query.split('&'))
            .find_map(|pair| pair.strip_prefix("d="))
            .map_or(ScannedDigest::Absent, |text| match Digest::parse(text) {
                Ok(digest) => ScannedDigest::Present(digest),
                Err(error) => ScannedDigest::Malformed(error),
            });
        Ok(Self {
            gtin,
            lot,
            serial,
            digest,
        })
    }
}

/// What a GS1 Digital Link path (or the short `/l/` form) names, for the resolver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolverPath {
    /// `/01/{gtin}`: a product.
    Product {
        /// The GTIN, normalized to 14 digits.
        gtin: Gtin,
    },
    /// `/01/{gtin}/10/{lot}`: a lot of a product.
    Lot {
        /// The GTIN, normalized to 14 digits.
        gtin: Gtin,
        /// The lot.
        lot: LotCode,
    },
    /// A label: `/01/{gtin}/10/{lot}/21/{serial}`, `/01/{gtin}/21/{serial}` or `/l/{serial}`.
    Label(ScannedPath),
}

impl ResolverPath {
    /// Reads a path after the base URL's prefix. A path outside `/01/` and `/l/` is
    /// [`LinkError::NotALabelPath`]; a bad GTIN, lot or serial names its rule.
    pub fn parse(path: &str, query: Option<&str>) -> Result<Self, LinkError> {
        let trimmed = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
        match segments.as_slice() {
            ["01", gtin] => Ok(Self::Product {
                gtin: parse_gtin(gtin)?,
            }),
            ["01", gtin, "10", lot] => {
                let gtin = parse_gtin(gtin)?;
                let lot = LotCode::parse(lot, "lot").map_err(|error| LinkError::LotCode {
                    message: error.message_en,
                })?;
                Ok(Self::Lot { gtin, lot })
            }
            _ => ScannedPath::parse(path, query).map(Self::Label),
        }
    }
}

/// Reads a GTIN-8/12/13/14, naming which rule it breaks.
fn parse_gtin(digits: &str) -> Result<Gtin, LinkError> {
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(LinkError::GtinNotDigits);
    }
    if ![8, 12, 13, 14].contains(&digits.len()) {
        return Err(LinkError::GtinLength { found: digits.len() });
    }
    let padded = format!("{digits:0>14}");
    if gs1_check_digit(&padded[..13]) != padded.as_bytes()[13] - b'0' {
        return Err(LinkError::GtinCheckDigit);
    }
    // The checks above are the GTIN's own rules, so this only fails if those rules change.
    Gtin::parse(&padded, "gtin").map_err(|_| LinkError::GtinCheckDigit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn base() -> BaseUrl {
        BaseUrl::parse("https://nguon.example.vn").expect("valid base")
    }

    fn serial() -> Serial {
        Serial::parse("ABCDEFGHJKMNPQRS").expect("valid serial")
    }

    fn digest() -> Digest {
        Digest::of_head(&[7; 32])
    }

    #[test]
    fn the_resolver_reads_product_lot_and_label_paths() {
        let gtin = "08936049120015";
        assert!(matches!(
            ResolverPath::parse(&format!("/01/{gtin}"), None),
            Ok(ResolverPath::Product { gtin: g }) if g.as_ref() == gtin
        ));
        assert!(matches!(
            ResolverPath::parse(&format!("/01/{gtin}/10/CN-1/"), None),
            Ok(ResolverPath::Lot { lot, .. }) if lot.as_ref() == "CN-1"
        ));
        assert!(matches!(
            ResolverPath::parse("/l/ABCDEFGHJKMNPQRS", None),
            Ok(ResolverPath::Label(_))
        ));
        assert_eq!(
            ResolverPath::parse("/01/08936049120016", None),
            Err(LinkError::GtinCheckDigit)
        );
        assert_eq!(
            ResolverPath::parse(&format!("/01/{gtin}/17/261231"), None),
            Err(LinkError::NotALabelPath)
        );
    }

    #[test]
    fn base_urls_are_normalized() {
        for (raw, expected) in [
            ("https://nguon.example.vn/", "https://nguon.example.vn"),
            ("HTTPS://Nguon.Example.VN", "https://nguon.example.vn"),
            ("http://localhost:8080", "http://localhost:8080"),
            ("https://example.vn/truy-xuat/", "https://example.vn/truy-xuat"),
        ] {
            assert_eq!(BaseUrl::parse(raw).map(|b| b.to_string()), Ok(expected.to_owned()));
        }
        assert_eq!(
            BaseUrl::parse("https://example.vn/a/b").expect("valid").path_prefix(),
            "/a/b"
        );
        assert_eq!(base().path_prefix(), "");
    }

    #[test]
    fn bad_base_urls_say_why() {
        for (raw, words) in [
            ("nguon.example.vn", "must start with https://"),
            ("ftp://example.vn", "only https://"),
            ("https://example.vn?x=1", "query"),
            ("https://user@example.vn", "user name"),
            ("https://exa mple.vn", "host name"),
            ("https://example.vn:0", "port"),
            ("https://example.vn:99999", "port"),
            ("https://example.vn/a b", "path after the host"),
            ("https://example.vn//x", "path after the host"),
            ("https://", "host name"),
        ] {
            let error = BaseUrl::parse(raw).expect_err(raw);
            assert_eq!(error.code(), "bad_base_url");
            assert!(error.to_string().contains(words), "{raw}: {error}");
        }
    }

    #[test]
    fn digital_link_has_gs1_qualifier_order() {
        let link = LabelLink::DigitalLink {
            base: base(),
            gtin: Gtin::parse("8935049500018", "gtin").expect("valid gtin"),
            lot: LotCode::parse("BUOI-2026.11_A", "lot").expect("valid lot"),
            serial: serial(),
            digest: digest(),
        };
        let url = link.to_url();
        assert_eq!(
            url,
            format!(
                "https://nguon.example.vn/01/08935049500018/10/BUOI-2026.11_A/21/ABCDEFGHJKMNPQRS?d={}",
                digest()
            )
        );
        assert_eq!(LabelLink::parse(&url, &base()), Ok(link));
    }

    #[test]
    fn short_link_round_trips_under_a_prefix() {
        let base = BaseUrl::parse("http://127.0.0.1:8080/nguon").expect("valid base");
        let link = LabelLink::Short {
            base: base.clone(),
            serial: serial(),
            digest: digest(),
        };
        let url = link.to_url();
        assert_eq!(
            url,
            format!("http://127.0.0.1:8080/nguon/l/ABCDEFGHJKMNPQRS?d={}", digest())
        );
        assert_eq!(LabelLink::parse(&url, &base), Ok(link));
        assert_eq!(
            LabelLink::parse(&url, &BaseUrl::parse("http://127.0.0.1:8080").expect("valid")),
            Err(LinkError::NotALabelPath)
        );
        assert_eq!(
            LabelLink::parse(&url, &BaseUrl::parse("https://other.vn").expect("valid")).map_err(|e| e.code()),
            Err("wrong_base_url")
        );
    }

    #[test]
    fn link_without_digest_is_refused_but_scanned_path_keeps_going() {
        let url = "https://nguon.example.vn/l/ABCDEFGHJKMNPQRS";
        assert_eq!(LabelLink::parse(url, &base()), Err(LinkError::MissingDigest));
        let scanned = ScannedPath::parse("/l/ABCDEFGHJKMNPQRS", None).expect("valid path");
        assert_eq!(scanned.digest, ScannedDigest::Absent);
        assert_eq!(scanned.serial, serial());
    }

    #[test]
    fn scanned_path_reports_a_bad_digest_without_failing() {
        let scanned = ScannedPath::parse("/l/abcdefghjkmnpqrs/", Some("utm=x&d=TOO-SHORT")).expect("valid path");
        assert_eq!(scanned.serial, serial());
        match scanned.digest {
            ScannedDigest::Malformed(error) => assert_eq!(error.code(), "bad_digest_length"),
            other => panic!("expected a malformed digest, got {other:?}"),
        }
    }

    #[test]
    fn scanned_path_normalizes_short_gtins() {
        let d = digest().to_string();
        for gtin in ["96385074", "036000291452", "8935049500018", "08935049500018"] {
            let path = format!("/01/{gtin}/10/LOT1/21/ABCDEFGHJKMNPQRS");
            let scanned = ScannedPath::parse(&path, Some(&format!("d={d}"))).expect(gtin);
            let gtin14 = scanned.gtin.expect("has a gtin");
            assert_eq!(gtin14.as_ref().len(), 14);
            assert!(gtin14.as_ref().ends_with(gtin));
            assert_eq!(scanned.lot.map(|l| l.to_string()), Some("LOT1".to_owned()));
            assert_eq!(scanned.digest, ScannedDigest::Present(digest()));
        }
        let no_lot = ScannedPath::parse("/01/96385074/21/ABCDEFGHJKMNPQRS", None).expect("valid");
        assert_eq!(no_lot.lot, None);
    }

    #[test]
    fn scanned_path_errors_have_stable_codes() {
        for (path, code) in [
            ("/01/8935049500019/10/LOT/21/ABCDEFGHJKMNPQRS", "bad_gtin_check_digit"),
            ("/01/89350495000/10/LOT/21/ABCDEFGHJKMNPQRS", "bad_gtin_length"),
            ("/01/89350495000A8/10/LOT/21/ABCDEFGHJKMNPQRS", "bad_gtin_digits"),
            ("/01/8935049500018/10/L%C3%94/21/ABCDEFGHJKMNPQRS", "bad_lot_code"),
            ("/01/8935049500018/10/LOT/21/ABCDEFGHJKMNPQR", "bad_serial_length"),
            ("/l/ABCDEFGHJKMNPQR!", "bad_serial_character"),
            ("/10/LOT/01/8935049500018/21/ABCDEFGHJKMNPQRS", "not_a_label_path"),
            ("/x/ABCDEFGHJKMNPQRS", "not_a_label_path"),
            ("l/ABCDEFGHJKMNPQRS", "not_a_label_path"),
            ("", "not_a_label_path"),
        ] {
            let error = ScannedPath::parse(path, None).expect_err(path);
            assert_eq!(error.code(), code, "{path}: {error}");
            assert!(!error.to_string().is_empty());
        }
    }

    fn gtin_strategy() -> impl Strategy<Value = Gtin> {
        "[0-9]{13}".prop_map(|body| {
            let full = format!("{body}{}", gs1_check_digit(&body));
            Gtin::parse(&full, "gtin").expect("check digit computed")
        })
    }

    fn lot_strategy() -> impl Strategy<Value = LotCode> {
        "[A-Za-z0-9._-]{1,20}".prop_map(|raw| LotCode::parse(&raw, "lot").expect("valid lot chars"))
    }

    fn base_strategy() -> impl Strategy<Value = BaseUrl> {
        (
            "(https|http)",
            "[a-z][a-z0-9]{0,10}(\\.[a-z]{2,5}){0,2}",
            proptest::option::of(1u16..),
            "(/[a-z0-9_~-]{1,8}){0,2}",
        )
            .prop_map(|(scheme, host, port, prefix)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                BaseUrl::parse(&format!("{scheme}://{host}{port}{prefix}")).expect("valid base")
            })
    }

    proptest! {
        #[test]
        fn parse_inverts_format(
            base in base_strategy(),
            gtin in gtin_strategy(),
            lot in lot_strategy(),
            serial in any::<[u8; 10]>().prop_map(Serial::from_bytes),
            digest in any::<[u8; 32]>().prop_map(|head| Digest::of_head(&head)),
            short in any::<bool>(),
        ) {
            let link = if short {
                LabelLink::Short { base: base.clone(), serial, digest }
            } else {
                LabelLink::DigitalLink { base: base.clone(), gtin, lot, serial, digest }
            };
            prop_assert_eq!(LabelLink::parse(&link.to_url(), &base), Ok(link));
        }
    }
}
