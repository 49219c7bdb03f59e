//! The words of the public pages, in `web/i18n/vi.toml` and `web/i18n/en.toml`: every string a
//! page shows comes from there, never from a template. Both files must define every key (the
//! struct below has no defaults), which a unit test checks; `{name}` marks a value filled in
//! with [`fill`].

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::HeaderMap;
use serde::Deserialize;

/// A page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageLang {
    /// Tiếng Việt, the default.
    Vi,
    /// English.
    En,
}

impl PageLang {
    /// `vi` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            PageLang::Vi => "vi",
            PageLang::En => "en",
        }
    }

    /// The other one, for the switch.
    pub fn other(self) -> PageLang {
        match self {
            PageLang::Vi => PageLang::En,
            PageLang::En => PageLang::Vi,
        }
    }

    /// The messages in this language.
    pub fn messages(self) -> &'static Messages {
        match self {
            PageLang::Vi => &VI,
            PageLang::En => &EN,
        }
    }

    fn parse(text: &str) -> Option<PageLang> {
        match text.trim().to_ascii_lowercase().as_str() {
            "vi" => Some(PageLang::Vi),
            "en" => Some(PageLang::En),
            _ => None,
        }
    }
}

/// The name of the cookie that remembers the language a visitor chose.
pub const LANG_COOKIE: &str = "lang";

/// Which language to answer in, and whether the choice is new (to be remembered in a cookie):
/// `?lang=` first, then the cookie, then the first of Accept-Language that we speak, else
/// Vietnamese.
pub fn choose(headers: &HeaderMap, lang_param: Option<&str>) -> (PageLang, bool) {
    if let Some(lang) = lang_param.and_then(PageLang::parse) {
        return (lang, true);
    }
    let cookie = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANG_COOKIE)
        .and_then(|(_, value)| PageLang::parse(value));
    if let Some(lang) = cookie {
        return (lang, false);
    }
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let guess = accept
        .split(',')
        .filter_map(|part| part.split(';').next())
        .find_map(|tag| PageLang::parse(tag.trim().split('-').next().unwrap_or("")))
        .unwrap_or(PageLang::Vi);
    (guess, false)
}

/// Replaces each `{name}` with its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = template.to_owned();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// Every string of the public pages in one language.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Messages {
    pub switch_label: String,
    pub og_locale: String,
    pub footer: String,
    pub home_heading: String,
    pub home_text: String,
    pub home_link: String,
    pub cooperatives: String,
    pub verified_title: String,
    pub verified_summary: String,
    pub altered_title: String,
    pub altered_summary: String,
    pub altered_lot_summary: String,
    pub lot_verified_summary: String,
    pub recalled_title: String,
    pub recalled_summary: String,
    pub mismatched_title: String,
    pub expired_title: String,
    pub expired_summary: String,
    pub recall_action: String,
    pub recall_call: String,
    pub summary_heading: String,
    pub fact_last_spraying: String,
    pub fact_certificates_now: String,
    pub none_valid: String,
    pub no_spraying: String,
    pub spraying_kept: String,
    pub spraying_not_kept: String,
    pub spraying_before_harvest: String,
    pub spraying_no_interval: String,
    pub report_fake: String,
    pub report_fake_body: String,
    pub check_serial_heading: String,
    pub check_serial_label: String,
    pub check_serial_hint: String,
    pub check_serial_button: String,
    pub unknown_title: String,
    pub unknown_text: String,
    pub unknown_hint: String,
    pub invalid_title: String,
    pub invalid_text: String,
    pub error_title: String,
    pub error_text: String,
    pub not_found_title: String,
    pub not_found_text: String,
    pub digest_mismatch: String,
    pub digest_missing: String,
    pub how_we_know: String,
    pub how_we_know_text: String,
    pub proof_digest: String,
    pub proof_chain_head: String,
    pub proof_events: String,
    pub proof_batch: String,
    pub proof_issued: String,
    pub proof_key: String,
    pub proof_public_key: String,
    pub proof_signature: String,
    pub recall_heading: String,
    pub recall_line: String,
    pub scans: String,
    pub scans_first: String,
    pub copy_warning: String,
    pub product_info: String,
    pub lot_info: String,
    pub fact_name: String,
    pub fact_producer: String,
    pub fact_contact: String,
    pub fact_place: String,
    pub fact_growers: String,
    pub fact_growers_hidden: String,
    pub fact_harvested: String,
    pub fact_packed: String,
    pub fact_brand: String,
    pub fact_gtin: String,
    pub fact_lot: String,
    pub fact_serial: String,
    pub fact_expiry: String,
    pub fact_status: String,
    pub fact_growing_area_code: String,
    pub fact_address: String,
    pub fact_phone: String,
    pub fact_gln: String,
    pub certificates: String,
    pub no_certificates: String,
    pub cert_detail: String,
    pub cert_validity: String,
    pub cert_scan: String,
    pub cert_valid: String,
    pub cert_expired: String,
    pub cert_not_yet: String,
    pub cert_for_product: String,
    pub history_of_lot: String,
    pub parent_lot: String,
    pub parent_about: String,
    pub lot_page_link: String,
    pub lot_title: String,
    pub products: String,
    pub recent_lots: String,
    pub no_lots: String,
    pub photo_alt: String,
    pub plot_line: String,
    pub after_label: String,
    pub corrected: String,
    pub voided: String,
    pub line_variety: String,
    pub line_seed_source: String,
    pub line_seed_lot: String,
    pub line_quantity: String,
    pub line_input: String,
    pub line_ingredients: String,
    pub line_method: String,
    pub line_target: String,
    pub line_area: String,
    pub line_water: String,
    pub line_phi: String,
    pub line_phi_harvest: String,
    pub line_phi_harvest_bad: String,
    pub line_phi_override: String,
    pub line_phi_pending: String,
    pub line_packed_into: String,
    pub line_merged_into: String,
    pub line_from_to: String,
    pub line_document: String,
    pub line_reason: String,
    pub line_packed_from: String,
    pub catalog_title: String,
    pub catalog_link: String,
    pub no_listings: String,
    pub in_stock_units: String,
    pub out_of_stock: String,
    pub listing_paused: String,
    pub listing_recalled: String,
    pub per_pack: String,
    pub trace_link: String,
    pub listing_lot: String,
    pub marks: String,
    pub more_photos: String,
    pub listing_contact: String,
    pub listing_call: String,
    pub listing_zalo: String,
    pub listing_contact_hint: String,
    /// Event titles by kind (`seeding`, `fertilizing` …).
    pub kind: HashMap<String, String>,
    /// Lot statuses (`growing`, `harvested` …).
    pub status: HashMap<String, String>,
    /// Why a scanned address could not be read, by the link error's code.
    pub link_error: HashMap<String, String>,
}

impl Messages {
    /// An event kind's title.
    pub fn kind(&self, kind: farm_log::EventKind) -> String {
        self.kind
            .get(kind.as_str())
            .cloned()
            .unwrap_or_else(|| kind.as_str().to_owned())
    }

    /// A lot status's name.
    pub fn status(&self, status: farm_log::LotStatus) -> String {
        self.status
            .get(status.as_str())
            .cloned()
            .unwrap_or_else(|| status.as_str().to_owned())
    }

    /// A unit as written in this language.
    pub fn quantity(&self, quantity: &farm_log::Quantity) -> String {
        if self.og_locale.starts_with("vi") {
            quantity.display_vi()
        } else {
            format!("{} {}", quantity.value.normalize(), quantity.unit.name_en())
        }
    }
}

fn load(name: &str, text: &str) -> Messages {
    match toml::from_str(text) {
        Ok(messages) => messages,
        // Both files are compiled in and parsed by a unit test, so this cannot happen in a
        // tested build; failing loudly at startup beats pages with holes.
        Err(error) => panic!("web/i18n/{name}.toml is invalid: {error}"),
    }
}

static VI: LazyLock<Messages> = LazyLock::new(|| load("vi", include_str!("../../../../web/i18n/vi.toml")));
static EN: LazyLock<Messages> = LazyLock::new(|| load("en", include_str!("../../../../web/i18n/en.toml")));

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Messages {
        toml::from_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn both_languages_define_every_message_and_every_table_entry() {
        for messages in [
            parse(include_str!("../../../../web/i18n/vi.toml")),
            parse(include_str!("../../../../web/i18n/en.toml")),
        ] {
            for kind in [
                "seeding",
                "fertilizing",
                "spraying",
                "irrigation",
                "observation",
                "harvest",
                "packing",
                "merging",
                "shipping",
                "receiving",
                "correction",
                "recall",
                "close",
                "alteration_acknowledged",
                "override",
            ] {
                assert!(messages.kind.contains_key(kind), "kind.{kind} missing");
            }
            for status in farm_log::LotStatus::ALL {
                assert!(messages.status.contains_key(status.as_str()), "status.{status} missing");
            }
            for code in [
                "bad_serial_length",
                "bad_serial_character",
                "bad_digest_length",
                "bad_digest_character",
                "bad_digest_padding",
                "missing_digest",
                "bad_gtin_digits",
                "bad_gtin_length",
                "bad_gtin_check_digit",
                "bad_lot_code",
                "not_a_label_path",
            ] {
                assert!(messages.link_error.contains_key(code), "link_error.{code} missing");
            }
        }
    }

    #[test]
    fn the_query_beats_the_cookie_which_beats_accept_language() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "accept-language",
            "en-US,en;q=0.9".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(choose(&headers, None), (PageLang::En, false));
        headers.insert("cookie", "x=1; lang=vi".parse().unwrap_or_else(|_| unreachable!()));
        assert_eq!(choose(&headers, None), (PageLang::Vi, false));
        assert_eq!(choose(&headers, Some("en")), (PageLang::En, true));
        assert_eq!(choose(&HeaderMap::new(), None), (PageLang::Vi, false));
        assert_eq!(choose(&HeaderMap::new(), Some("fr")), (PageLang::Vi, false));
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill("quét {n} lần, lần đầu {date}", &[("n", "3"), ("date", "01/02/2026")]),
            "quét 3 lần, lần đầu 01/02/2026"
        );
    }
}
