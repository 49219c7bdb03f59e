//! Loads the demo cooperatives from `fixtures/demo.json` (compiled in, so `--demo` works from any
//! directory) through the same store calls the API uses, so demo data obeys every rule.

use std::collections::HashMap;

use anyhow::{Context, anyhow};
use farm_log::{
    GeoPoint, Gs1CompanyPrefix, Gtin, InputKind, LotCode, Password, PhoneNumber, Quantity, Region, Role, ShortText,
};
use serde::Deserialize;
use serde_json::Value;
use store::{AppendItem, NewCooperative, NewInputProduct, NewLot, NewMember, NewPlot, NewProduct, Principal, Store};
use uuid::Uuid;

/// The demo fixture, as shipped.
pub const DEMO_JSON: &str = include_str!("../../../fixtures/demo.json");

#[derive(Deserialize)]
struct DemoFile {
    cooperatives: Vec<DemoCooperative>,
}

#[derive(Deserialize)]
struct DemoCooperative {
    name: String,
    address: String,
    province: String,
    commune: String,
    phone: String,
    region: String,
    gs1_company_prefix: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    certificates: Vec<DemoCertificate>,
    members: Vec<DemoMember>,
    plots: Vec<DemoPlot>,
    products: Vec<DemoProduct>,
    inputs: Vec<DemoInput>,
    lots: Vec<DemoLot>,
    #[serde(default)]
    listings: Vec<DemoListing>,
}

/// A listing as a leader would type it, and sales recorded since.
#[derive(Deserialize)]
struct DemoListing {
    #[serde(flatten)]
    fields: catalog::ListingInput,
    #[serde(default)]
    sales: Vec<DemoSale>,
}

#[derive(Deserialize)]
struct DemoSale {
    kind: String,
    units: u64,
    note: Option<String>,
}

#[derive(Deserialize)]
struct DemoCertificate {
    scheme: String,
    number: String,
    body: String,
    scope: Option<String>,
    product: Option<String>,
    valid_from: chrono::NaiveDate,
    valid_to: chrono::NaiveDate,
}

#[derive(Deserialize)]
struct DemoMember {
    name: String,
    phone: String,
    role: String,
    plots: Vec<String>,
}

#[derive(Deserialize)]
struct DemoPlot {
    name: String,
    area: String,
    commune: String,
    lat: Option<f64>,
    lon: Option<f64>,
    growing_area_code: Option<String>,
}

#[derive(Deserialize)]
struct DemoProduct {
    key: String,
    commodity: String,
    variety: Option<String>,
    gtin: Option<String>,
    #[serde(default)]
    shelf_life_days: Option<u32>,
}

#[derive(Deserialize)]
struct DemoInput {
    key: String,
    kind: String,
    trade_name: String,
    active_ingredients: Vec<String>,
    registration_number: Option<String>,
    phi_days: Option<u32>,
    /// The usual rate per hectare from the label: `{"low": "420", "high": "700", "unit": "kg"}`.
    #[serde(default)]
    usual_per_ha: Option<DemoRate>,
    /// A pesticide's dose per sprayer tank: `{"dose": "20 ml", "litres": "16"}`.
    #[serde(default)]
    tank: Option<DemoTank>,
}

#[derive(Deserialize)]
struct DemoRate {
    low: String,
    high: String,
    unit: String,
}

#[derive(Deserialize)]
struct DemoTank {
    dose: String,
    litres: String,
}

#[derive(Deserialize)]
struct DemoLot {
    code: String,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    plots: Vec<String>,
    #[serde(default)]
    derived: bool,
    events: Vec<Value>,
}

/// What loading did, and a fresh leader token per demo cooperative.
#[derive(Debug)]
pub struct DemoSummary {
    /// False when the demo was already in the database.
    pub created: bool,
    /// Cooperative id, name, leader phone and a fresh leader token.
    pub cooperatives: Vec<(i64, String, String, String)>,
}

impl DemoSummary {
    /// Prints what a newcomer needs to try the API.
    pub fn print(&self) {
        // A closed stdout (a pipe whose reader went away) must not stop the server: `println!`
        // would panic, so write and let an error pass.
        let mut out = std::io::stdout().lock();
        let _ = self.write_to(&mut out);
    }

    fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        if self.created {
            writeln!(out, "Loaded the demo cooperatives.")?;
        } else {
            writeln!(out, "The demo cooperatives were already loaded.")?;
        }
        for (id, name, phone, token) in &self.cooperatives {
            writeln!(out, "  cooperative {id}: {name} — leader {phone}, API token: {token}")?;
        }
        writeln!(
            out,
            "  the cooperative app is at /app: sign in with any demo member's phone number (see fixtures/demo.json) and the password {DEMO_PASSWORD}"
        )?;
        out.flush()
    }
}

fn text(value: &str, field: &str) -> anyhow::Result<ShortText> {
    ShortText::parse(value, field).map_err(|e| anyhow!("{field}: {}", e.message_en))
}

/// The password of every demo member, for signing in to the app at `/app`.
pub const DEMO_PASSWORD: &str = "nguon-demo";

fn demo_password() -> anyhow::Result<Password> {
    Password::parse(DEMO_PASSWORD, "password").map_err(|e| anyhow!(e.message_en))
}

/// A stable event id for the demo, so re-loading is idempotent.
fn demo_event_id(cooperative: &str, lot: &str, index: usize) -> Uuid {
    let hash = blake3::hash(format!("nguon demo event/{cooperative}/{lot}/{index}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash.as_bytes()[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// How many days before today the demo's latest step happened: the demo is always a season
/// that has just ended, so its produce is in date (and its labels genuine) whenever it is loaded.
pub const DEMO_LATEST_DAYS_AGO: i64 = 2;

/// Moves every step of each demo cooperative by the same whole number of days, so that its
/// latest one falls [`DEMO_LATEST_DAYS_AGO`] days before `today` (times of day, offsets and the
/// gaps between steps — pre-harvest intervals included — stay as written).
fn shift_to(file: &mut DemoFile, today: chrono::NaiveDate) {
    let occurred = |event: &Value| {
        event
            .get("occurred_at")
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    };
    for cooperative in &mut file.cooperatives {
        let latest = cooperative
            .lots
            .iter()
            .flat_map(|l| l.events.iter())
            .filter_map(occurred)
            .map(|at| at.date_naive())
            .max();
        let Some(latest) = latest else {
            continue;
        };
        let shift = chrono::Duration::days((today - latest).num_days() - DEMO_LATEST_DAYS_AGO);
        for event in cooperative.lots.iter_mut().flat_map(|l| l.events.iter_mut()) {
            if let Some(at) = occurred(event)
                && let Some(object) = event.as_object_mut()
            {
                object.insert(
                    "occurred_at".into(),
                    Value::String((at + shift).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)),
                );
            }
        }
    }
}

/// Loads the demo once; later calls only issue fresh leader tokens.
pub async fn load(store: &Store) -> anyhow::Result<DemoSummary> {
    let mut file: DemoFile = serde_json::from_str(DEMO_JSON).context("fixtures/demo.json")?;
    shift_to(&mut file, store::now().date_naive());
    let existing = store.cooperatives().await?;
    let mut summary = DemoSummary {
        created: false,
        cooperatives: Vec::new(),
    };
    for demo in &file.cooperatives {
        let leader = demo
            .members
            .iter()
            .find(|m| m.role == "leader")
            .ok_or_else(|| anyhow!("{}: no leader", demo.name))?;
        let leader_phone = PhoneNumber::parse(&leader.phone, "phone").map_err(|e| anyhow!(e.message_en))?;
        if let Some(coop) = existing.iter().find(|c| c.name == demo.name) {
            let member = store.member_by_phone(coop.id, leader_phone.as_ref()).await?;
            let token = store.issue_token(member.id, "demo leader token").await?;
            summary
                .cooperatives
                .push((coop.id, coop.name.clone(), member.phone, token.token));
            continue;
        }
        summary.created = true;
        let (coop, _leader, token) = load_cooperative(store, demo, leader, leader_phone)
            .await
            .with_context(|| demo.name.clone())?;
        summary.cooperatives.push((coop.0, demo.name.clone(), coop.1, token));
    }
    Ok(summary)
}

async fn load_cooperative(
    store: &Store,
    demo: &DemoCooperative,
    leader: &DemoMember,
    leader_phone: PhoneNumber,
) -> anyhow::Result<((i64, String), i64, String)> {
    let region = Region::parse(&demo.region, "region").map_err(|e| anyhow!(e.message_en))?;
    let (coop, leader_member, token) = store
        .create_cooperative(
            NewCooperative {
                name: text(&demo.name, "name")?,
                address: text(&demo.address, "address")?,
                province: text(&demo.province, "province")?,
                commune: text(&demo.commune, "commune")?,
                phone: PhoneNumber::parse(&demo.phone, "phone").map_err(|e| anyhow!(e.message_en))?,
                region,
                gs1_company_prefix: demo
                    .gs1_company_prefix
                    .as_deref()
                    .map(|p| Gs1CompanyPrefix::parse(p, "gs1_company_prefix"))
                    .transpose()
                    .map_err(|e| anyhow!(e.message_en))?,
                gln: None,
            },
            NewMember {
                name: text(&leader.name, "name")?,
                phone: leader_phone,
                role: Role::Leader,
            },
        )
        .await?;
    let mut plots = HashMap::new();
    for plot in &demo.plots {
        let location = match (plot.lat, plot.lon) {
            (Some(lat), Some(lon)) => Some(GeoPoint::from_degrees(lat, lon, "lat").map_err(|e| anyhow!(e.message_en))?),
            _ => None,
        };
        let created = store
            .create_plot(
                coop.id,
                NewPlot {
                    name: text(&plot.name, "name")?,
                    area: Quantity::parse(&plot.area, Some(region), "area").map_err(|e| anyhow!(e.message_en))?,
                    commune: text(&plot.commune, "commune")?,
                    location,
                    growing_area_code: plot
                        .growing_area_code
                        .as_deref()
                        .map(|c| text(c, "growing_area_code"))
                        .transpose()?,
                },
            )
            .await?;
        plots.insert(plot.name.clone(), created.id);
    }
    let mut members: HashMap<String, Principal> = HashMap::new();
    for member in &demo.members {
        let phone = PhoneNumber::parse(&member.phone, "phone").map_err(|e| anyhow!(e.message_en))?;
        let stored = if member.role == "leader" && phone.as_ref() == leader_member.phone {
            leader_member.clone()
        } else {
            store
                .add_member(
                    coop.id,
                    NewMember {
                        name: text(&member.name, "name")?,
                        phone,
                        role: Role::parse(&member.role, "role").map_err(|e| anyhow!(e.message_en))?,
                    },
                )
                .await?
        };
        store.set_password(coop.id, stored.id, &demo_password()?).await?;
        for plot in &member.plots {
            let plot_id = *plots
                .get(plot)
                .ok_or_else(|| anyhow!("member {}: unknown plot {plot}", member.name))?;
            store.assign_plot(coop.id, plot_id, stored.id).await?;
        }
        members.insert(
            stored.phone.clone(),
            Principal {
                member_id: stored.id,
                name: stored.name.clone(),
                cooperative_id: coop.id,
                role: stored.role,
                token_id: 0,
            },
        );
    }
    let mut products = HashMap::new();
    for product in &demo.products {
        let created = store
            .create_product(
                coop.id,
                NewProduct {
                    commodity: text(&product.commodity, "commodity")?,
                    variety: product.variety.as_deref().map(|v| text(v, "variety")).transpose()?,
                    gtin: product
                        .gtin
                        .as_deref()
                        .map(|g| Gtin::parse(g, "gtin"))
                        .transpose()
                        .map_err(|e| anyhow!(e.message_en))?,
                },
            )
            .await?;
        if product.shelf_life_days.is_some() {
            store
                .set_product_shelf_life(coop.id, created.id, product.shelf_life_days)
                .await?;
        }
        products.insert(product.key.clone(), created.id);
    }
    store
        .set_cooperative_profile(
            coop.id,
            store::CooperativeProfile {
                description: demo
                    .description
                    .as_deref()
                    .map(|d| farm_log::Note::parse(d, "description"))
                    .transpose()
                    .map_err(|e| anyhow!(e.message_en))?,
                grower_display: farm_log::GrowerDisplay::Name,
            },
        )
        .await?;
    for certificate in &demo.certificates {
        store
            .add_certificate(
                coop.id,
                store::NewCertificate {
                    product_id: certificate.product.as_ref().and_then(|k| products.get(k).copied()),
                    scheme: farm_log::CertificateScheme::parse(&certificate.scheme, "scheme")
                        .map_err(|e| anyhow!(e.message_en))?,
                    number: text(&certificate.number, "number")?,
                    body: text(&certificate.body, "body")?,
                    scope: certificate.scope.as_deref().map(|s| text(s, "scope")).transpose()?,
                    valid_from: certificate.valid_from,
                    valid_to: certificate.valid_to,
                },
            )
            .await?;
    }
    let mut inputs = HashMap::new();
    for input in &demo.inputs {
        let created = store
            .create_input_product(
                coop.id,
                NewInputProduct {
                    kind: InputKind::parse(&input.kind, "kind").map_err(|e| anyhow!(e.message_en))?,
                    trade_name: text(&input.trade_name, "trade_name")?,
                    active_ingredients: input
                        .active_ingredients
                        .iter()
                        .map(|a| text(a, "active_ingredients"))
                        .collect::<Result<_, _>>()?,
                    registration_number: input
                        .registration_number
                        .as_deref()
                        .map(|r| text(r, "registration_number"))
                        .transpose()?,
                    phi_days: input.phi_days,
                },
            )
            .await?;
        if input.usual_per_ha.is_some() || input.tank.is_some() {
            let number = |text: &str| {
                rust_decimal::Decimal::from_str_exact(text).map_err(|e| anyhow!("{}: {e}", input.trade_name))
            };
            let rate_per_ha = match &input.usual_per_ha {
                Some(rate) => Some((
                    number(&rate.low)?,
                    number(&rate.high)?,
                    farm_log::Unit::from_code_or_name(&rate.unit)
                        .ok_or_else(|| anyhow!("{}: unit {}", input.trade_name, rate.unit))?,
                )),
                None => None,
            };
            let tank_dose = match &input.tank {
                Some(tank) => Some((
                    farm_log::Quantity::parse(&tank.dose, None, "tank").map_err(|e| anyhow!(e.message_en))?,
                    number(&tank.litres)?,
                )),
                None => None,
            };
            store
                .set_input_usage(
                    coop.id,
                    &store::InputUsage {
                        input_product_id: created.id,
                        rate_per_ha,
                        tank_dose,
                    },
                )
                .await?;
        }
        inputs.insert(input.key.clone(), created.id);
    }
    for lot in &demo.lots {
        if !lot.derived {
            let product = lot
                .product
                .as_ref()
                .and_then(|p| products.get(p))
                .ok_or_else(|| anyhow!("lot {}: unknown product", lot.code))?;
            let plot_ids = lot
                .plots
                .iter()
                .map(|p| {
                    plots
                        .get(p)
                        .copied()
                        .ok_or_else(|| anyhow!("lot {}: unknown plot {p}", lot.code))
                })
                .collect::<Result<_, _>>()?;
            store
                .create_lot(
                    coop.id,
                    NewLot {
                        code: LotCode::parse(&lot.code, "code").map_err(|e| anyhow!(e.message_en))?,
                        product_id: *product,
                        plot_ids,
                    },
                )
                .await?;
        }
        let ids: Vec<Uuid> = (0..lot.events.len())
            .map(|i| demo_event_id(&demo.name, &lot.code, i))
            .collect();
        for (index, raw) in lot.events.iter().enumerate() {
            let mut event = raw.clone();
            let object = event
                .as_object_mut()
                .ok_or_else(|| anyhow!("lot {} event {index}: not an object", lot.code))?;
            let actor_phone = object
                .remove("actor")
                .and_then(|a| a.as_str().map(str::to_owned))
                .unwrap_or_default();
            let principal = members
                .get(&actor_phone)
                .ok_or_else(|| anyhow!("lot {} event {index}: unknown actor {actor_phone}", lot.code))?;
            object.insert("id".into(), Value::String(ids[index].to_string()));
            resolve_references(object, &inputs, &ids)?;
            if let Some(Value::Object(replacement)) = object.get_mut("replacement") {
                resolve_references(replacement, &inputs, &ids)?;
            }
            let draft =
                farm_log::draft::parse_draft(&event, "").map_err(|e| anyhow!("lot {} event {index}: {e}", lot.code))?;
            store
                .append(
                    principal,
                    vec![AppendItem {
                        lot_code: lot.code.clone(),
                        draft,
                    }],
                    false,
                )
                .await
                .with_context(|| format!("lot {} event {index}", lot.code))?;
        }
    }
    let leader_principal = members
        .get(&leader_member.phone)
        .ok_or_else(|| anyhow!("{}: the leader is not among the members", demo.name))?;
    for (index, listing) in demo.listings.iter().enumerate() {
        let title = &listing.fields.title_vi;
        let fields = catalog::ListingFields::parse(&listing.fields).map_err(|e| {
            anyhow!(
                "listing {title}: {}",
                e.first().map_or(String::new(), ToString::to_string)
            )
        })?;
        let created = store.create_listing(leader_principal, fields).await?;
        for (n, sale) in listing.sales.iter().enumerate() {
            store
                .record_movement(
                    leader_principal,
                    created.id,
                    store::NewMovement {
                        id: demo_event_id(&demo.name, &format!("listing-{index}"), n),
                        kind: catalog::MovementKind::parse(&sale.kind, "kind").map_err(|e| anyhow!(e.message_en))?,
                        units: sale.units,
                        note: sale
                            .note
                            .as_deref()
                            .map(|t| farm_log::Note::parse(t, "note"))
                            .transpose()
                            .map_err(|e| anyhow!(e.message_en))?,
                    },
                )
                .await
                .with_context(|| format!("listing {title}: sale {n}"))?;
        }
    }
    Ok(((coop.id, leader_member.phone.clone()), leader_member.id, token.token))
}

/// Turns fixture shorthands into API fields: `"input": "key"` → the registry id, and
/// `"corrects": "#n"` → the id of the lot's n-th event.
fn resolve_references(
    object: &mut serde_json::Map<String, Value>,
    inputs: &HashMap<String, i64>,
    ids: &[Uuid],
) -> anyhow::Result<()> {
    if let Some(Value::String(key)) = object.get("input").cloned() {
        let id = inputs.get(&key).ok_or_else(|| anyhow!("unknown input {key}"))?;
        object.insert("input".into(), serde_json::json!({ "input_product_id": id }));
    }
    if let Some(Value::String(reference)) = object.get("corrects").cloned()
        && let Some(index) = reference.strip_prefix('#')
    {
        let index: usize = index.parse().context("corrects")?;
        let id = ids
            .get(index)
            .ok_or_else(|| anyhow!("corrects {reference}: no such event"))?;
        object.insert("corrects".into(), Value::String(id.to_string()));
    }
    Ok(())
}
