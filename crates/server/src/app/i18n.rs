//! The words of the cooperative's app, in `web/i18n/app.vi.toml` and `web/i18n/app.en.toml`
//! (event kinds and lot statuses come from the public pages' files). Both files must define
//! every key, which the struct's lack of defaults and a unit test make sure of.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::web::i18n::PageLang;

/// Every string of the app in one language.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct AppMessages {
    pub switch_label: String,
    pub app_name: String,
    pub sign_in_title: String,
    pub sign_in_intro: String,
    pub phone: String,
    pub password: String,
    pub sign_in: String,
    pub sign_out: String,
    pub choose_coop: String,
    pub choose_coop_text: String,
    pub wrong_password: String,
    pub attempts_left: String,
    pub locked: String,
    pub too_many: String,
    pub hello: String,
    pub my_plots: String,
    pub no_plots: String,
    pub my_lots: String,
    pub no_lots: String,
    pub closed_lots: String,
    pub log_step: String,
    pub choose_kind: String,
    pub read_only: String,
    pub genealogy: String,
    pub made_from: String,
    pub made_into: String,
    pub history: String,
    pub no_events: String,
    pub diary_download: String,
    pub members_link: String,
    pub when: String,
    pub input_fertilizer: String,
    pub input_pesticide: String,
    pub no_inputs: String,
    pub phi_days: String,
    pub no_phi: String,
    pub earliest_harvest: String,
    pub amount: String,
    pub dose: String,
    pub unit: String,
    pub method: String,
    pub method_hint: String,
    pub target_pest: String,
    pub seed_source: String,
    pub variety: String,
    pub seed_lot: String,
    pub quantity: String,
    pub water_source: String,
    pub water_amount: String,
    pub subject: String,
    pub harvest_quantity: String,
    pub override_reason: String,
    pub override_hint: String,
    pub photo: String,
    pub note: String,
    pub optional: String,
    pub save: String,
    pub back: String,
    pub saved: String,
    pub saved_spraying: String,
    pub already_saved: String,
    pub fix_errors: String,
    pub members_title: String,
    pub add_member: String,
    pub name: String,
    pub role: String,
    pub plots: String,
    pub no_password: String,
    pub locked_badge: String,
    pub disabled_badge: String,
    pub unlock: String,
    pub new_password: String,
    pub set_password: String,
    pub disable: String,
    pub enable: String,
    pub assign_plot: String,
    pub assign: String,
    pub member_added: String,
    pub password_set: String,
    pub unlocked: String,
    pub disabled: String,
    pub enabled: String,
    pub plot_assigned: String,
    pub cannot_disable_self: String,
    pub new_lot: String,
    pub lot_code: String,
    pub lot_code_hint: String,
    pub product: String,
    pub plots_to_use: String,
    pub choose_product: String,
    pub choose_plots: String,
    pub create: String,
    pub lot_created: String,
    pub recall_title: String,
    pub recall_text: String,
    pub recall_reason: String,
    pub recall_button: String,
    pub recalled: String,
    pub already_recalled: String,
    pub recall_derived_reason: String,
    pub offline_saved: String,
    pub sync_pending: String,
    pub sync_done: String,
    pub sync_failed: String,
    pub sync_sign_in: String,
    pub install_name: String,
    pub cannot_title: String,
    pub labels_link: String,
    pub labels_title: String,
    pub labels_intro: String,
    pub label_count: String,
    pub pack_size: String,
    pub pack_size_hint: String,
    pub issue_labels: String,
    pub batches: String,
    pub no_batches: String,
    pub batch_title: String,
    pub batch_summary: String,
    pub print_sheet: String,
    pub layout: String,
    pub layout_a4_24: String,
    pub layout_a4_40: String,
    pub layout_a4_65: String,
    pub layout_thermal: String,
    pub download: String,
    pub zip_png: String,
    pub zip_svg: String,
    pub first_label: String,
    pub labels_issued: String,
    pub reg_plots: String,
    pub reg_products: String,
    pub reg_inputs: String,
    pub reg_certificates: String,
    pub reg_empty: String,
    pub reg_add: String,
    pub reg_added: String,
    pub manage: String,
    pub expired: String,
    pub banned_input: String,
    pub f_plot_name: String,
    pub f_area: String,
    pub f_area_hint: String,
    pub f_commune: String,
    pub f_growing_area_code: String,
    pub f_commodity: String,
    pub f_commodity_hint: String,
    pub f_variety: String,
    pub f_gtin: String,
    pub f_gtin_hint: String,
    pub f_input_kind: String,
    pub f_trade_name: String,
    pub f_active_ingredients: String,
    pub f_active_hint: String,
    pub f_registration: String,
    pub f_phi_days: String,
    pub f_phi_hint: String,
    pub f_scheme: String,
    pub f_cert_number: String,
    pub f_cert_body: String,
    pub f_cert_scope: String,
    pub f_cert_product: String,
    pub f_all_products: String,
    pub f_cert_scan: String,
    pub f_cert_scan_hint: String,
    pub f_valid_from: String,
    pub f_valid_to: String,
    pub forbidden_title: String,
    pub not_found_title: String,
    pub not_found_text: String,
    pub csrf_title: String,
    pub csrf_text: String,
    pub error_title: String,
    pub error_text: String,
    /// Role names (`leader`, `member`, `inspector`).
    pub roles: HashMap<String, String>,
}

impl AppMessages {
    /// A role's name.
    pub fn role(&self, role: farm_log::Role) -> String {
        self.roles
            .get(role.as_str())
            .cloned()
            .unwrap_or_else(|| role.as_str().to_owned())
    }
}

fn load(name: &str, text: &str) -> AppMessages {
    match toml::from_str(text) {
        Ok(messages) => messages,
        // Compiled in and parsed by a unit test: failing loudly at startup beats holes.
        Err(error) => panic!("web/i18n/{name}.toml is invalid: {error}"),
    }
}

static VI: LazyLock<AppMessages> = LazyLock::new(|| load("app.vi", include_str!("../../../../web/i18n/app.vi.toml")));
static EN: LazyLock<AppMessages> = LazyLock::new(|| load("app.en", include_str!("../../../../web/i18n/app.en.toml")));

/// The app's words in `lang`.
pub fn messages(lang: PageLang) -> &'static AppMessages {
    match lang {
        PageLang::Vi => &VI,
        PageLang::En => &EN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_define_every_message_and_role() {
        for (name, text) in [
            ("vi", include_str!("../../../../web/i18n/app.vi.toml")),
            ("en", include_str!("../../../../web/i18n/app.en.toml")),
        ] {
            let m: AppMessages = toml::from_str(text).unwrap_or_else(|e| panic!("app.{name}.toml: {e}"));
            for role in [
                farm_log::Role::Leader,
                farm_log::Role::Member,
                farm_log::Role::Inspector,
            ] {
                assert!(
                    m.roles.contains_key(role.as_str()),
                    "app.{name}: roles.{}",
                    role.as_str()
                );
            }
        }
    }
}
