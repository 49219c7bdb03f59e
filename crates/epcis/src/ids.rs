//! The identifiers an EPCIS document uses for what Nguồn knows: lot classes (LGTIN EPC URIs,
//! GS1 Digital Link URIs, or the lot's own page), places, parties, documents, and event ids
//! derived from the chain.

use farm_log::{ChainHead, GeoPoint};
use uuid::Uuid;

/// Our vocabulary namespace: extension fields (`nguon:…`) and master-data attributes.
pub const NGUON_NS: &str = "urn:nguon:epcis:";

/// Our private business steps, for farm work CBV 2.0 has no word for.
pub const BIZSTEP_NS: &str = "urn:nguon:bizstep:";

/// Free-text places (a shipping's "from" and "to"), percent-encoded after this prefix.
pub const PLACE_NS: &str = "urn:nguon:place:";

/// Free-text business documents (delivery notes, invoices), percent-encoded after this prefix.
pub const DOCUMENT_NS: &str = "urn:nguon:document:";

/// The class identifier of a lot: `urn:epc:class:lgtin:{prefix}.{indicator+item}.{lot}` when
/// the product's GTIN-14 lies under the cooperative's GS1 company prefix; the canonical GS1
/// Digital Link `https://id.gs1.org/01/{gtin}/10/{lot}` for a GTIN under another prefix; and
/// the lot's own public page (`{base}/htx/{coop}/lo/{lot}`) when the product has no GTIN.
/// Lot codes only use `A–Z a–z 0–9 . _ -`, which both URI forms carry unescaped.
pub fn lot_class(base: &str, coop_id: i64, company_prefix: Option<&str>, gtin: Option<&str>, code: &str) -> String {
    match (gtin, company_prefix) {
        (Some(gtin), Some(prefix))
            if gtin.len() == 14
                && (6..=12).contains(&prefix.len())
                && gtin.get(1..1 + prefix.len()) == Some(prefix) =>
        {
            let indicator = &gtin[..1];
            let item = &gtin[1 + prefix.len()..13];
            format!("urn:epc:class:lgtin:{prefix}.{indicator}{item}.{code}")
        }
        (Some(gtin), _) => format!("https://id.gs1.org/01/{gtin}/10/{code}"),
        (None, _) => format!("{base}/htx/{coop_id}/lo/{code}"),
    }
}

/// The lot code at the end of a class identifier made by [`lot_class`].
pub fn lot_code_of_class(class: &str) -> Option<&str> {
    if let Some(rest) = class.strip_prefix("urn:epc:class:lgtin:") {
        return rest.splitn(3, '.').nth(2);
    }
    class
        .rsplit_once("/10/")
        .map(|(_, lot)| lot)
        .or_else(|| class.rsplit_once("/lo/").map(|(_, lot)| lot))
}

/// The cooperative as a party and place: its SGLN when it has a GLN under its company prefix,
/// else its public page.
pub fn cooperative_id(base: &str, coop_id: i64, company_prefix: Option<&str>, gln: Option<&str>) -> String {
    match (gln, company_prefix) {
        (Some(gln), Some(prefix)) if gln.len() == 13 && gln.starts_with(prefix) => {
            format!("urn:epc:id:sgln:{prefix}.{}.0", &gln[prefix.len()..12])
        }
        _ => format!("{base}/htx/{coop_id}"),
    }
}

/// A plot: a fragment of its cooperative's page (plots have no page of their own).
pub fn plot_id(base: &str, coop_id: i64, plot_id: i64) -> String {
    format!("{base}/htx/{coop_id}#thua-{plot_id}")
}

/// A point as an RFC 5870 `geo:` URI with six decimals, which is exactly what is stored.
pub fn geo_uri(point: &GeoPoint) -> String {
    format!("geo:{},{}", micro(point.lat_micro), micro(point.lon_micro))
}

fn micro(value: i32) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    format!("{sign}{}.{:06}", magnitude / 1_000_000, magnitude % 1_000_000)
}

/// Reads a `geo:` URI made by [`geo_uri`].
pub fn parse_geo_uri(uri: &str) -> Option<GeoPoint> {
    let (lat, lon) = uri.strip_prefix("geo:")?.split(';').next()?.split_once(',')?;
    GeoPoint::from_degrees(lat.trim().parse().ok()?, lon.trim().parse().ok()?, "").ok()
}

/// Free text as a URI under `prefix`: every byte outside the unreserved set percent-encoded.
pub fn text_uri(prefix: &str, text: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + text.len() * 3);
    out.push_str(prefix);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An EPCIS `eventID` from a chain hash: the UUID (version 8, RFC 9562) made of the hash's
/// first 16 bytes with the version and variant bits set, as a `urn:uuid:` URI. Stable because
/// stored heads are never recomputed; anyone holding the chain can recompute it.
pub fn event_id(hash: &ChainHead) -> String {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash.0[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    format!("urn:uuid:{}", Uuid::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gtin_under_the_cooperatives_prefix_is_an_lgtin() {
        let class = lot_class(
            "https://x.vn",
            1,
            Some("893604912"),
            Some("08936049120015"),
            "CN-2609-01",
        );
        assert_eq!(class, "urn:epc:class:lgtin:893604912.0001.CN-2609-01");
        assert_eq!(lot_code_of_class(&class), Some("CN-2609-01"));
    }

    #[test]
    fn other_gtins_are_digital_links_and_no_gtin_is_the_lot_page() {
        let dl = lot_class("https://x.vn", 1, Some("893999"), Some("08936049120015"), "A.1");
        assert_eq!(dl, "https://id.gs1.org/01/08936049120015/10/A.1");
        assert_eq!(lot_code_of_class(&dl), Some("A.1"));
        let page = lot_class("https://x.vn/p", 4, None, None, "B_2");
        assert_eq!(page, "https://x.vn/p/htx/4/lo/B_2");
        assert_eq!(lot_code_of_class(&page), Some("B_2"));
    }

    #[test]
    fn geo_uris_keep_micro_degrees_exactly() {
        for (lat, lon) in [(21_071_200, 105_732_100), (-1, -179_999_999), (0, 5)] {
            let point = GeoPoint {
                lat_micro: lat,
                lon_micro: lon,
            };
            assert_eq!(parse_geo_uri(&geo_uri(&point)), Some(point), "{}", geo_uri(&point));
        }
    }

    #[test]
    fn event_ids_are_version_8_uuids_of_the_hash() {
        let id = event_id(&ChainHead([0xff; 32]));
        assert_eq!(id, "urn:uuid:ffffffff-ffff-8fff-bfff-ffffffffffff");
    }

    #[test]
    fn text_uris_escape_everything_but_unreserved_bytes() {
        assert_eq!(text_uri(PLACE_NS, "Chợ A/1"), "urn:nguon:place:Ch%E1%BB%A3%20A%2F1");
    }
}
