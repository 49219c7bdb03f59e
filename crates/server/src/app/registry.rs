//! The cooperative's registries on the leader's screens: plots, products, the input registry
//! (fertilizers and pesticides, banned ones flagged) and certificates. Everyone in the
//! cooperative may read them; leaders add to them. The forms feed the same request types and
//! checks as the JSON API.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use farm_log::{CertificateScheme, InputKind, Role};
use std::collections::HashMap;
use store::StoreError;

use super::{AppMessages, Chrome, Ctx, Failure, PageError, Signed, refused};
use crate::access::{leader_of, member_of};
use crate::api::{NewCertificateRequest, NewInputProductRequest, NewPlotRequest, NewProductRequest};
use crate::error::AppError;
use crate::web::i18n::{PageLang, fill};
use crate::web::view::show_day;

/// Which registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plots,
    Products,
    Inputs,
    Certificates,
}

impl Kind {
    fn from_slug(slug: &str) -> Option<Kind> {
        match slug {
            "thua" => Some(Kind::Plots),
            "san-pham" => Some(Kind::Products),
            "vat-tu" => Some(Kind::Inputs),
            "chung-nhan" => Some(Kind::Certificates),
            _ => None,
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Kind::Plots => "thua",
            Kind::Products => "san-pham",
            Kind::Inputs => "vat-tu",
            Kind::Certificates => "chung-nhan",
        }
    }

    fn title(self, m: &AppMessages) -> String {
        match self {
            Kind::Plots => m.reg_plots.clone(),
            Kind::Products => m.reg_products.clone(),
            Kind::Inputs => m.reg_inputs.clone(),
            Kind::Certificates => m.reg_certificates.clone(),
        }
    }
}

/// The registries, for the leader's home screen: (title, link).
pub fn links(ctx: &Ctx) -> Vec<(String, String)> {
    let m = ctx.m();
    [Kind::Plots, Kind::Products, Kind::Inputs, Kind::Certificates]
        .into_iter()
        .map(|k| (k.title(m), ctx.href(&format!("/danh-muc/{}", k.slug()))))
        .collect()
}

struct Item {
    title: String,
    detail: String,
    warning: Option<String>,
    /// A further screen for the entry: (words, link).
    link: Option<(String, String)>,
}

enum Input {
    Text,
    Number,
    Date,
    File,
    Select(Vec<(String, String)>),
}

struct Field {
    name: &'static str,
    label: String,
    hint: Option<String>,
    input: Input,
    required: bool,
    value: String,
}

impl Field {
    fn new(name: &'static str, label: &str, required: bool, input: Input) -> Self {
        Self {
            name,
            label: label.to_owned(),
            hint: None,
            input,
            required,
            value: String::new(),
        }
    }

    fn hint(mut self, hint: &str) -> Self {
        self.hint = Some(hint.to_owned());
        self
    }

    fn is_text(&self) -> bool {
        matches!(self.input, Input::Text)
    }

    fn is_number(&self) -> bool {
        matches!(self.input, Input::Number)
    }

    fn is_date(&self) -> bool {
        matches!(self.input, Input::Date)
    }

    fn is_file(&self) -> bool {
        matches!(self.input, Input::File)
    }

    fn options(&self) -> &[(String, String)] {
        match &self.input {
            Input::Select(options) => options,
            _ => &[],
        }
    }
}

#[derive(Template)]
#[template(path = "app/registry.html")]
struct RegistryPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    heading: String,
    items: Vec<Item>,
    leader: bool,
    action: String,
    fields: Vec<Field>,
    errors: Vec<String>,
}

fn fields(kind: Kind, m: &AppMessages, products: &[store::Product]) -> Vec<Field> {
    match kind {
        Kind::Plots => vec![
            Field::new("name", &m.f_plot_name, true, Input::Text),
            Field::new("area", &m.f_area, true, Input::Text).hint(&m.f_area_hint),
            Field::new("commune", &m.f_commune, true, Input::Text),
            Field::new("growing_area_code", &m.f_growing_area_code, false, Input::Text),
        ],
        Kind::Products => vec![
            Field::new("commodity", &m.f_commodity, true, Input::Text).hint(&m.f_commodity_hint),
            Field::new("variety", &m.f_variety, false, Input::Text),
            Field::new("gtin", &m.f_gtin, false, Input::Text).hint(&m.f_gtin_hint),
        ],
        Kind::Inputs => vec![
            Field::new(
                "kind",
                &m.f_input_kind,
                true,
                Input::Select(vec![
                    ("fertilizer".into(), m.input_fertilizer.clone()),
                    ("pesticide".into(), m.input_pesticide.clone()),
                ]),
            ),
            Field::new("trade_name", &m.f_trade_name, true, Input::Text),
            Field::new("active_ingredients", &m.f_active_ingredients, true, Input::Text).hint(&m.f_active_hint),
            Field::new("registration_number", &m.f_registration, false, Input::Text),
            Field::new("phi_days", &m.f_phi_days, false, Input::Number).hint(&m.f_phi_hint),
        ],
        Kind::Certificates => {
            let mut covers = vec![(String::new(), m.f_all_products.clone())];
            covers.extend(products.iter().map(|p| (p.id.to_string(), p.name.clone())));
            vec![
                Field::new(
                    "scheme",
                    &m.f_scheme,
                    true,
                    Input::Select(
                        CertificateScheme::ALL
                            .iter()
                            .map(|s| (s.as_str().to_owned(), s.display_name().to_owned()))
                            .collect(),
                    ),
                ),
                Field::new("number", &m.f_cert_number, true, Input::Text),
                Field::new("body", &m.f_cert_body, true, Input::Text),
                Field::new("scope", &m.f_cert_scope, false, Input::Text),
                Field::new("product_id", &m.f_cert_product, false, Input::Select(covers)),
                Field::new("valid_from", &m.f_valid_from, true, Input::Date),
                Field::new("valid_to", &m.f_valid_to, true, Input::Date),
                Field::new("scan", &m.f_cert_scan, false, Input::File).hint(&m.f_cert_scan_hint),
            ]
        }
    }
}

async fn render(
    ctx: &Ctx,
    kind: Kind,
    status: StatusCode,
    sent: &HashMap<String, String>,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let principal = ctx.principal()?.clone();
    member_of(&principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    let coop = principal.cooperative_id;
    let store = &ctx.state.store;
    let fail = |e: StoreError| ctx.error(Failure::Store(e));
    let m = ctx.m();
    let products = store.products(coop).await.map_err(fail)?;
    let items = match kind {
        Kind::Plots => store
            .plots(coop)
            .await
            .map_err(fail)?
            .into_iter()
            .map(|p| Item {
                title: p.name,
                detail: [Some(p.area_display), Some(p.commune), p.growing_area_code]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
                warning: None,
                link: None,
            })
            .collect(),
        Kind::Products => products
            .iter()
            .map(|p| Item {
                title: p.name.clone(),
                detail: p.gtin.as_ref().map(|g| format!("GTIN {g}")).unwrap_or_default(),
                warning: None,
                link: None,
            })
            .collect(),
        Kind::Inputs => {
            let usage = store.input_usage(coop).await.map_err(fail)?;
            let region = store.cooperative(coop).await.map_err(fail)?.region;
            store
                .input_products(coop)
                .await
                .map_err(fail)?
                .into_iter()
                .map(|i| Item {
                    link: (principal.role == Role::Leader)
                        .then(|| (m.usage_link.clone(), ctx.href(&format!("/danh-muc/vat-tu/{}", i.id)))),
                    detail: [
                        Some(i.active_ingredients.join(", ")),
                        i.registration_number.clone(),
                        i.phi_days.map(|d| fill(&m.phi_days, &[("n", &d.to_string())])),
                        usage_words(usage.iter().find(|u| u.input_product_id == i.id), region, ctx.lang, m),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
                    warning: (!i.banned_ingredients.is_empty())
                        .then(|| fill(&m.banned_input, &[("what", &i.banned_ingredients.join(", "))])),
                    title: format!(
                        "{} ({})",
                        i.trade_name,
                        match i.kind {
                            InputKind::Fertilizer => &m.input_fertilizer,
                            InputKind::Pesticide => &m.input_pesticide,
                        }
                    ),
                })
                .collect()
        }
        Kind::Certificates => {
            let today = store::now().date_naive();
            store
                .certificates(coop)
                .await
                .map_err(fail)?
                .into_iter()
                .map(|c| Item {
                    title: format!("{} {}", c.scheme.display_name(), c.number),
                    detail: format!(
                        "{} · {} – {}{}",
                        c.body,
                        show_day(c.valid_from),
                        show_day(c.valid_to),
                        c.product_id
                            .and_then(|id| products.iter().find(|p| p.id == id))
                            .map(|p| format!(" · {}", p.name))
                            .unwrap_or_default()
                    ),
                    warning: (c.valid_to < today).then(|| m.expired.clone()),
                    link: None,
                })
                .collect()
        }
    };
    let mut fields = fields(kind, m, &products);
    for field in &mut fields {
        if let Some(value) = sent.get(field.name) {
            field.value = value.clone();
        }
    }
    let heading = kind.title(m);
    let page = RegistryPage {
        c: ctx.chrome(heading.clone()).await,
        m,
        heading,
        items,
        leader: principal.role == Role::Leader,
        action: ctx.href(&format!("/danh-muc/{}", kind.slug())),
        fields,
        errors,
    };
    Ok(ctx.page(status, page.render()))
}

/// `GET /app/danh-muc/{kind}`.
pub async fn list(Signed(ctx): Signed, Path(slug): Path<String>) -> Result<Response, PageError> {
    let kind = Kind::from_slug(&slug).ok_or_else(|| ctx.error(Failure::NotFound))?;
    render(&ctx, kind, StatusCode::OK, &HashMap::new(), vec![]).await
}

fn optional(sent: &HashMap<String, String>, name: &str) -> Option<String> {
    sent.get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn text(sent: &HashMap<String, String>, name: &str) -> String {
    sent.get(name).cloned().unwrap_or_default()
}

/// `POST /app/danh-muc/{kind}`: adds an entry (leaders).
pub async fn add(
    Signed(ctx): Signed,
    Path(slug): Path<String>,
    super::Posted { fields: sent, files }: super::Posted,
) -> Result<Response, PageError> {
    let kind = Kind::from_slug(&slug).ok_or_else(|| ctx.error(Failure::NotFound))?;
    ctx.check_csrf(&text(&sent, "csrf"))?;
    let principal = ctx.principal()?.clone();
    leader_of(&principal, principal.cooperative_id).map_err(|e| refused(&ctx, e))?;
    let coop = principal.cooperative_id;
    let store = &ctx.state.store;
    let m = ctx.m();
    let number = |name: &str| -> Result<Option<i64>, AppError> {
        optional(&sent, name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    AppError::invalid(farm_log::FieldError::new(
                        name,
                        "not_a_number",
                        "Cần một số nguyên.",
                        "A whole number is needed.",
                    ))
                })
            })
            .transpose()
    };
    let done: Result<(String, Option<String>), AppError> = async {
        match kind {
            Kind::Plots => {
                let region = store.cooperative(coop).await?.region;
                let plot = NewPlotRequest {
                    name: text(&sent, "name"),
                    area: text(&sent, "area"),
                    commune: text(&sent, "commune"),
                    lat: None,
                    lon: None,
                    growing_area_code: optional(&sent, "growing_area_code"),
                }
                .parse(region)?;
                Ok((store.create_plot(coop, plot).await?.name, None))
            }
            Kind::Products => {
                let product = NewProductRequest {
                    commodity: text(&sent, "commodity"),
                    variety: optional(&sent, "variety"),
                    gtin: optional(&sent, "gtin"),
                }
                .parse()?;
                Ok((store.create_product(coop, product).await?.name, None))
            }
            Kind::Inputs => {
                let phi_days = number("phi_days")?.map(|d| u32::try_from(d).unwrap_or(u32::MAX));
                let input = NewInputProductRequest {
                    kind: text(&sent, "kind"),
                    trade_name: text(&sent, "trade_name"),
                    active_ingredients: text(&sent, "active_ingredients")
                        .split([',', ';'])
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    registration_number: optional(&sent, "registration_number"),
                    phi_days,
                }
                .parse()?;
                let added = store.create_input_product(coop, input).await?;
                // Next: what its label says about how much to use (optional).
                Ok((added.trade_name, Some(format!("/danh-muc/vat-tu/{}", added.id))))
            }
            Kind::Certificates => {
                let certificate = NewCertificateRequest {
                    scheme: text(&sent, "scheme"),
                    number: text(&sent, "number"),
                    body: text(&sent, "body"),
                    scope: optional(&sent, "scope"),
                    product_id: number("product_id")?,
                    valid_from: text(&sent, "valid_from"),
                    valid_to: text(&sent, "valid_to"),
                }
                .parse()?;
                // The scan is checked before anything is stored, so a bad file stores nothing.
                let scan = match files.get("scan") {
                    Some(bytes) => Some(crate::api::prepare_photo(bytes.clone()).await?),
                    None => None,
                };
                let added = store.add_certificate(coop, certificate).await?;
                if let Some(scan) = scan {
                    store.set_certificate_scan(coop, added.id, &scan).await?;
                }
                Ok((format!("{} {}", added.scheme.display_name(), added.number), None))
            }
        }
    }
    .await;
    match done {
        Ok((name, next)) => {
            ctx.flash(fill(&m.reg_added, &[("name", &name)])).await;
            Ok(ctx.see_other(&next.unwrap_or_else(|| format!("/danh-muc/{}", kind.slug()))))
        }
        Err(AppError::Invalid(errors)) => {
            let errors = errors
                .0
                .iter()
                .map(|e| match ctx.lang {
                    PageLang::Vi => e.message_vi.clone(),
                    PageLang::En => e.message_en.clone(),
                })
                .collect();
            render(&ctx, kind, StatusCode::UNPROCESSABLE_ENTITY, &sent, errors).await
        }
        Err(AppError::Conflict {
            message_en, message_vi, ..
        }) => {
            let message = ctx.pick(message_en, message_vi);
            render(&ctx, kind, StatusCode::CONFLICT, &sent, vec![message]).await
        }
        Err(other) => Err(refused(&ctx, other)),
    }
}

/// "Thường dùng 7,2–14,4 kg/sào · 20 ml mỗi bình 16 lít", when a leader said.
fn usage_words(
    usage: Option<&store::InputUsage>,
    region: farm_log::Region,
    lang: PageLang,
    m: &AppMessages,
) -> Option<String> {
    let usage = usage?;
    let mut parts = vec![];
    if let Some((low, high, unit)) = usage.rate_per_ha {
        parts.push(fill(
            &m.usual_rate,
            &[("rate", &super::amounts::usual_text(low, high, unit, region, lang))],
        ));
    }
    if let Some((dose, litres)) = usage.tank_dose {
        parts.push(fill(
            &m.tank_label,
            &[
                ("dose", &super::amounts::quantity(&dose, lang)),
                ("litres", &super::amounts::number(litres, lang)),
            ],
        ));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

#[derive(Template)]
#[template(path = "app/usage.html")]
struct UsagePage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    heading: String,
    pesticide: bool,
    action: String,
    back: String,
    sent: HashMap<String, String>,
    rate_units: Vec<(&'static str, &'static str)>,
    areas: Vec<(&'static str, String)>,
    tank_units: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
}

impl UsagePage<'_> {
    fn value(&self, name: &str) -> &str {
        self.sent.get(name).map_or("", String::as_str)
    }
}

/// The areas a usual rate can be given per, in square metres, with their names.
fn rate_areas(region: farm_log::Region) -> Vec<(&'static str, rust_decimal::Decimal, String)> {
    let sao = region.sao_square_metres();
    let cong = region.cong_square_metres();
    vec![
        ("sao", sao, format!("sào ({} m²)", sao)),
        (
            "cong",
            cong,
            format!("công ({} m²)", farm_log::quantity::format_decimal_vi(cong)),
        ),
        ("ha", rust_decimal::Decimal::from(10_000), "ha".to_owned()),
    ]
}

/// An input of the cooperative (another cooperative's is 403).
async fn own_input(ctx: &Ctx, input_id: i64) -> Result<store::InputProduct, PageError> {
    let principal = ctx.principal()?;
    let store = &ctx.state.store;
    let inputs = store
        .input_products(principal.cooperative_id)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    if let Some(input) = inputs.into_iter().find(|i| i.id == input_id) {
        return Ok(input);
    }
    // Another cooperative's input is refused as theirs (403), one nobody has is not found.
    for coop in store.cooperatives().await.map_err(|e| ctx.error(Failure::Store(e)))? {
        if coop.id != principal.cooperative_id
            && store
                .input_products(coop.id)
                .await
                .map_err(|e| ctx.error(Failure::Store(e)))?
                .iter()
                .any(|i| i.id == input_id)
        {
            return Err(refused(ctx, crate::access::foreign()));
        }
    }
    Err(ctx.error(Failure::NotFound))
}

async fn render_usage(
    ctx: &Ctx,
    input_id: i64,
    status: StatusCode,
    sent: Option<HashMap<String, String>>,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let principal = ctx.principal()?.clone();
    leader_of(&principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    let input = own_input(ctx, input_id).await?;
    let store = &ctx.state.store;
    let region = store
        .cooperative(principal.cooperative_id)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?
        .region;
    let m = ctx.m();
    let sent = match sent {
        Some(sent) => sent,
        None => {
            // The form shows what is stored, per the local area unit.
            let usage = store
                .input_usage(principal.cooperative_id)
                .await
                .map_err(|e| ctx.error(Failure::Store(e)))?
                .into_iter()
                .find(|u| u.input_product_id == input.id);
            let mut sent = HashMap::new();
            let (local_m2, _) = super::amounts::local_area(region, ctx.lang);
            let per = if region == farm_log::Region::South {
                "cong"
            } else {
                "sao"
            };
            sent.insert("rate_per".to_owned(), per.to_owned());
            sent.insert("tank_litres".to_owned(), "16".to_owned());
            sent.insert(
                "tank_unit".to_owned(),
                if input.kind == InputKind::Pesticide {
                    "MLT"
                } else {
                    "GRM"
                }
                .to_owned(),
            );
            if let Some(usage) = usage {
                if let Some((low, high, unit)) = usage.rate_per_ha {
                    let local = |v: rust_decimal::Decimal| {
                        farm_log::quantity::editable_number_vi(
                            (v * local_m2 / rust_decimal::Decimal::from(10_000)).round_dp(3),
                        )
                    };
                    sent.insert("rate_low".to_owned(), local(low));
                    sent.insert("rate_high".to_owned(), local(high));
                    sent.insert("rate_unit".to_owned(), unit.code().to_owned());
                }
                if let Some((dose, litres)) = usage.tank_dose {
                    sent.insert(
                        "tank_dose".to_owned(),
                        farm_log::quantity::editable_number_vi(dose.value),
                    );
                    sent.insert("tank_unit".to_owned(), dose.unit.code().to_owned());
                    sent.insert("tank_litres".to_owned(), farm_log::quantity::editable_number_vi(litres));
                }
            }
            sent
        }
    };
    let heading = fill(&m.usage_title, &[("name", &input.trade_name)]);
    let page = UsagePage {
        c: ctx.chrome(heading.clone()).await,
        m,
        heading,
        pesticide: input.kind == InputKind::Pesticide,
        action: ctx.href(&format!("/danh-muc/vat-tu/{}", input.id)),
        back: ctx.href("/danh-muc/vat-tu"),
        sent,
        rate_units: vec![("KGM", "kg"), ("GRM", "g"), ("LTR", "lít"), ("MLT", "ml")],
        areas: rate_areas(region).into_iter().map(|(k, _, name)| (k, name)).collect(),
        tank_units: vec![("MLT", "ml"), ("GRM", "g")],
        errors,
    };
    Ok(ctx.page(status, page.render()))
}

/// `GET /app/danh-muc/vat-tu/{id}`: what an input's label says about how much to use.
pub async fn usage_form(Signed(ctx): Signed, Path(input_id): Path<i64>) -> Result<Response, PageError> {
    render_usage(&ctx, input_id, StatusCode::OK, None, vec![]).await
}

/// `POST /app/danh-muc/vat-tu/{id}`: records it (empty fields remove it).
pub async fn set_usage(
    Signed(ctx): Signed,
    Path(input_id): Path<i64>,
    super::Posted { fields: sent, .. }: super::Posted,
) -> Result<Response, PageError> {
    use rust_decimal::Decimal;
    use std::str::FromStr;
    ctx.check_csrf(&text(&sent, "csrf"))?;
    let principal = ctx.principal()?.clone();
    leader_of(&principal, principal.cooperative_id).map_err(|e| refused(&ctx, e))?;
    let input = own_input(&ctx, input_id).await?;
    let store = &ctx.state.store;
    let region = store
        .cooperative(principal.cooperative_id)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?
        .region;
    let m = ctx.m();
    let number = |name: &str| -> Option<Result<Decimal, ()>> {
        optional(&sent, name).map(|v| {
            let plain = match ctx.lang {
                PageLang::Vi => farm_log::quantity::typed_number_vi(&v),
                PageLang::En => v.replace(',', ""),
            };
            Decimal::from_str(&plain).map_err(|_| ()).and_then(|d| {
                if d > Decimal::ZERO && d < Decimal::from(1_000_000) {
                    Ok(d)
                } else {
                    Err(())
                }
            })
        })
    };
    let mut errors = vec![];
    let rate = match (number("rate_low"), number("rate_high")) {
        (None, None) => None,
        (Some(Ok(low)), Some(Ok(high))) if low <= high => {
            let unit = farm_log::Unit::from_code_or_name(&text(&sent, "rate_unit"))
                .filter(|u| matches!(u.dimension(), farm_log::Dimension::Mass | farm_log::Dimension::Volume));
            let area = rate_areas(region)
                .into_iter()
                .find(|(key, _, _)| *key == text(&sent, "rate_per"))
                .map(|(_, m2, _)| m2);
            match (unit, area) {
                (Some(unit), Some(area)) => {
                    let per_ha = |v: Decimal| v * unit.base_factor() * Decimal::from(10_000) / area;
                    Some((per_ha(low), per_ha(high), farm_log::Unit::base_of(unit.dimension())))
                }
                _ => {
                    errors.push(m.usage_bad_rate.clone());
                    None
                }
            }
        }
        _ => {
            errors.push(m.usage_bad_rate.clone());
            None
        }
    };
    let tank = match (number("tank_dose"), number("tank_litres")) {
        (None, _) => None,
        (Some(Ok(dose)), Some(Ok(litres))) => {
            match farm_log::Unit::from_code_or_name(&text(&sent, "tank_unit"))
                .filter(|u| matches!(u, farm_log::Unit::Millilitre | farm_log::Unit::Gram))
            {
                Some(unit) => Some((
                    farm_log::Quantity {
                        value: dose.normalize(),
                        unit,
                    },
                    litres.normalize(),
                )),
                None => {
                    errors.push(m.usage_bad_tank.clone());
                    None
                }
            }
        }
        _ => {
            errors.push(m.usage_bad_tank.clone());
            None
        }
    };
    if !errors.is_empty() {
        return render_usage(&ctx, input.id, StatusCode::UNPROCESSABLE_ENTITY, Some(sent), errors).await;
    }
    let usage = store::InputUsage {
        input_product_id: input.id,
        rate_per_ha: rate,
        tank_dose: tank,
    };
    match store.set_input_usage(principal.cooperative_id, &usage).await {
        Ok(()) => {
            ctx.flash(fill(&m.usage_saved, &[("name", &input.trade_name)])).await;
            Ok(ctx.see_other("/danh-muc/vat-tu"))
        }
        Err(StoreError::Invalid(list)) => {
            let errors = list
                .0
                .iter()
                .map(|e| ctx.pick(e.message_en.clone(), e.message_vi.clone()))
                .collect();
            render_usage(&ctx, input.id, StatusCode::UNPROCESSABLE_ENTITY, Some(sent), errors).await
        }
        Err(error) => Err(ctx.error(Failure::Store(error))),
    }
}
