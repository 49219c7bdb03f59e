//! Turns what the store found into what a page shows: every line already in the page's
//! language (from the message files), dates as dd/mm/yyyy, amounts with their units. Templates
//! only lay these out; askama escapes every string they print.

use chrono::{DateTime, FixedOffset, NaiveDate};
use farm_log::timeline::{Amendment, SprayInterval, timeline};
use farm_log::validate::{show_date, show_datetime};
use farm_log::{Event, EventBody, EventKind, Quantity};
use store::{Certificate, Plot, Product, PublicLot};

use super::i18n::{Messages, fill};

/// One line under an event; `class` is `ok`, `bad` or empty.
#[derive(Debug, Clone)]
pub struct Line {
    /// The text.
    pub text: String,
    /// Its CSS class.
    pub class: &'static str,
}

impl Line {
    fn plain(text: String) -> Self {
        Self { text, class: "" }
    }
}

/// One event of a timeline.
#[derive(Debug, Clone)]
pub struct EntryView {
    /// `seeding`, `spraying` … (CSS class `event-{kind}`).
    pub kind: &'static str,
    /// "Bón phân".
    pub title: String,
    /// dd/mm/yyyy HH:mm.
    pub when: String,
    /// RFC 3339, for `<time datetime>`.
    pub when_iso: String,
    /// What was done, how much, and the spraying interval.
    pub lines: Vec<Line>,
    /// The farmer's note.
    pub note: Option<String>,
    /// What corrected or voided it.
    pub amendment: Option<String>,
    /// Its photos: the small copies' addresses, each linking to the large one.
    pub photos: Vec<(String, String)>,
    /// Struck through.
    pub voided: bool,
    /// Set when it was recorded after the label was printed.
    pub after_label: Option<String>,
}

/// A name and value in a definition list.
#[derive(Debug, Clone)]
pub struct Fact {
    /// The name.
    pub label: String,
    /// The value.
    pub value: String,
}

impl Fact {
    /// A fact.
    pub fn new(label: &str, value: impl Into<String>) -> Self {
        Self {
            label: label.to_owned(),
            value: value.into(),
        }
    }
}

/// A certificate as shown.
#[derive(Debug, Clone)]
pub struct CertView {
    /// "VietGAP".
    pub scheme: String,
    /// Number and certifying body.
    pub detail: String,
    /// Valid from – to.
    pub validity: String,
    /// "Còn hiệu lực" / "Đã hết hạn".
    pub status: String,
    /// Valid today.
    pub valid: bool,
    /// Scope and product.
    pub scope: Option<String>,
    /// The scan of the paper certificate: its address and the link's words.
    pub scan: Option<(String, String)>,
}

/// A photo with its two sizes.
#[derive(Debug, Clone)]
pub struct PhotoView {
    /// The small copy.
    pub src: String,
    /// Both sizes with their widths.
    pub srcset: String,
    /// The small copy's pixels.
    pub width: u32,
    /// The small copy's pixels.
    pub height: u32,
    /// Alternative text.
    pub alt: String,
}

/// The product at the top of a page.
#[derive(Debug, Clone)]
pub struct ProductCard {
    /// Product name.
    pub name: String,
    /// Cooperative name.
    pub coop_name: String,
    /// Link to the cooperative page.
    pub coop_href: String,
    /// The photo, when there is one.
    pub photo: Option<PhotoView>,
    /// Place and growers.
    pub lines: Vec<String>,
}

/// A parent lot's history.
#[derive(Debug, Clone)]
pub struct LotSection {
    /// "Trước đó: lô …".
    pub heading: String,
    /// Where it grew, what it is.
    pub about: Vec<String>,
    /// Its timeline.
    pub entries: Vec<EntryView>,
}

/// dd/mm/yyyy of a calendar day.
pub fn show_day(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// The lines of a lot's timeline. `issued_count` marks events recorded after a label was
/// printed (their seq is higher).
pub fn entries(events: &[Event], m: &Messages, issued_count: Option<u64>, prefix: &str) -> Vec<EntryView> {
    timeline(events)
        .into_iter()
        .map(|entry| {
            let event = &entry.event;
            let (amendment, voided) = match &entry.amendment {
                Amendment::None => (None, false),
                Amendment::Corrected { reason, at } => (
                    Some(fill(
                        &m.corrected,
                        &[("date", &show_date(at)), ("reason", reason.as_ref())],
                    )),
                    false,
                ),
                Amendment::Voided { reason, at } => (
                    Some(fill(
                        &m.voided,
                        &[("date", &show_date(at)), ("reason", reason.as_ref())],
                    )),
                    true,
                ),
            };
            EntryView {
                photos: event
                    .photos
                    .iter()
                    .map(|p| {
                        (
                            format!("{prefix}/media/{p}/card.jpg"),
                            format!("{prefix}/media/{p}/full.jpg"),
                        )
                    })
                    .collect(),
                kind: event.body.kind().as_str(),
                title: m.kind(event.body.kind()),
                when: show_datetime(&event.occurred_at),
                when_iso: event.occurred_at.to_rfc3339(),
                lines: lines(event, entry.interval, m),
                note: event.note.as_ref().map(|n| n.to_string()),
                amendment,
                voided,
                after_label: issued_count
                    .filter(|count| event.seq > *count)
                    .map(|_| m.after_label.clone()),
            }
        })
        .collect()
}

fn lines(event: &Event, interval: Option<SprayInterval>, m: &Messages) -> Vec<Line> {
    let q = |quantity: &Quantity| m.quantity(quantity);
    let value = |template: &str, v: &str| Line::plain(fill(template, &[("value", v)]));
    let mut out = Vec::new();
    match &event.body {
        EventBody::Seeding {
            seed_source,
            seed_lot,
            variety,
            quantity,
        } => {
            if let Some(variety) = variety {
                out.push(value(&m.line_variety, variety.as_ref()));
            }
            out.push(value(&m.line_seed_source, seed_source.as_ref()));
            if let Some(lot) = seed_lot {
                out.push(value(&m.line_seed_lot, lot.as_ref()));
            }
            out.push(value(&m.line_quantity, &q(quantity)));
        }
        EventBody::Fertilizing { input, amount, method } => {
            let name = input.snapshot.as_ref().map_or("—", |s| s.trade_name.as_str());
            out.push(Line::plain(fill(
                &m.line_input,
                &[("name", name), ("amount", &q(amount))],
            )));
            if let Some(method) = method {
                out.push(value(&m.line_method, method.as_ref()));
            }
        }
        EventBody::Spraying {
            input,
            dose,
            area,
            target_pest,
        } => {
            let name = input.snapshot.as_ref().map_or("—", |s| s.trade_name.as_str());
            out.push(Line::plain(fill(
                &m.line_input,
                &[("name", name), ("amount", &q(dose))],
            )));
            if let Some(snapshot) = &input.snapshot
                && !snapshot.active_ingredients.is_empty()
            {
                out.push(value(&m.line_ingredients, &snapshot.active_ingredients.join(", ")));
            }
            if let Some(pest) = target_pest {
                out.push(value(&m.line_target, pest.as_ref()));
            }
            if let Some(area) = area {
                out.push(value(&m.line_area, &q(area)));
            }
            if let Some(interval) = interval {
                out.extend(interval_lines(event.occurred_at, interval, m));
            }
        }
        EventBody::Irrigation {
            method,
            water_source,
            amount,
        } => {
            if let Some(method) = method {
                out.push(value(&m.line_method, method.as_ref()));
            }
            if let Some(source) = water_source {
                out.push(value(&m.line_water, source.as_ref()));
            }
            if let Some(amount) = amount {
                out.push(value(&m.line_quantity, &q(amount)));
            }
        }
        EventBody::Observation { subject } => out.push(Line::plain(subject.to_string())),
        EventBody::Harvest { quantity, phi_override } => {
            out.push(value(&m.line_quantity, &q(quantity)));
            if let Some(over) = phi_override {
                out.push(Line::plain(fill(
                    &m.line_phi_override,
                    &[("reason", over.reason.as_ref())],
                )));
            }
        }
        EventBody::Packing { children } => {
            let list: Vec<String> = children
                .iter()
                .map(|c| format!("{} ({})", c.code, q(&c.quantity)))
                .collect();
            out.push(value(&m.line_packed_into, &list.join(", ")));
        }
        EventBody::Merging { output_lot, quantity } => out.push(Line::plain(fill(
            &m.line_merged_into,
            &[("quantity", &q(quantity)), ("lot", output_lot.as_ref())],
        ))),
        EventBody::Shipping {
            from,
            to,
            document_ref,
            quantity,
        }
        | EventBody::Receiving {
            from,
            to,
            document_ref,
            quantity,
        } => {
            out.push(Line::plain(fill(
                &m.line_from_to,
                &[("from", from.as_ref()), ("to", to.as_ref())],
            )));
            if let Some(doc) = document_ref {
                out.push(value(&m.line_document, doc.as_ref()));
            }
            if let Some(quantity) = quantity {
                out.push(value(&m.line_quantity, &q(quantity)));
            }
        }
        EventBody::Recall { reason } => out.push(value(&m.line_reason, reason.as_ref())),
        EventBody::Close { reason } => {
            if let Some(reason) = reason {
                out.push(value(&m.line_reason, reason.as_ref()));
            }
        }
        EventBody::AlterationAcknowledged { explanation, .. } => {
            out.push(value(&m.line_reason, explanation.as_ref()));
        }
        EventBody::Override { reason, .. } => out.push(value(&m.line_reason, reason.as_ref())),
        // Corrections are folded into the events they correct by the timeline.
        EventBody::Correction { reason, .. } => out.push(value(&m.line_reason, reason.as_ref())),
    }
    out
}

fn interval_lines(sprayed: DateTime<FixedOffset>, interval: SprayInterval, m: &Messages) -> Vec<Line> {
    let Some(phi) = interval.required_days else {
        return Vec::new();
    };
    let phi_text = phi.to_string();
    match interval.days_to_harvest {
        Some(days) => {
            let days_text = days.to_string();
            let values = [("days", days_text.as_str()), ("phi", phi_text.as_str())];
            if days >= i64::from(phi) {
                vec![Line {
                    text: fill(&m.line_phi_harvest, &values),
                    class: "ok",
                }]
            } else {
                vec![Line {
                    text: fill(&m.line_phi_harvest_bad, &values),
                    class: if interval.respected() { "" } else { "bad" },
                }]
            }
        }
        None => {
            let earliest = sprayed + chrono::Duration::days(i64::from(phi));
            vec![
                Line::plain(fill(&m.line_phi, &[("phi", &phi_text)])),
                Line::plain(fill(&m.line_phi_pending, &[("date", &show_date(&earliest))])),
            ]
        }
    }
}

/// Certificates as shown on `today`.
pub fn certificates(
    items: &[Certificate],
    products: &[Product],
    m: &Messages,
    today: NaiveDate,
    prefix: &str,
) -> Vec<CertView> {
    items
        .iter()
        .map(|c| {
            let (status, valid) = if c.valid_on(today) {
                (m.cert_valid.clone(), true)
            } else if today < c.valid_from {
                (m.cert_not_yet.clone(), false)
            } else {
                (m.cert_expired.clone(), false)
            };
            let product = c
                .product_id
                .and_then(|id| products.iter().find(|p| p.id == id))
                .map(|p| fill(&m.cert_for_product, &[("product", &p.name)]));
            let scope = match (c.scope.clone(), product) {
                (Some(scope), Some(product)) => Some(format!("{scope}. {product}")),
                (scope, product) => scope.or(product),
            };
            CertView {
                scheme: match c.scheme {
                    farm_log::CertificateScheme::Other => c.scope.clone().unwrap_or_else(|| "—".into()),
                    scheme => scheme.display_name().to_owned(),
                },
                detail: fill(&m.cert_detail, &[("number", &c.number), ("body", &c.body)]),
                validity: fill(
                    &m.cert_validity,
                    &[("from", &show_day(c.valid_from)), ("to", &show_day(c.valid_to))],
                ),
                status,
                valid,
                scope,
                scan: c
                    .scan
                    .as_ref()
                    .map(|hash| (format!("{prefix}/media/{hash}/full.jpg"), m.cert_scan.clone())),
            }
        })
        .collect()
}

/// "Ruộng Đồng Chùa, xã Yên Mỹ" for each plot.
pub fn plot_lines(plots: &[Plot], m: &Messages) -> Vec<String> {
    plots
        .iter()
        .map(|p| fill(&m.plot_line, &[("plot", &p.name), ("commune", &p.commune)]))
        .collect()
}

/// The photo of a product, when it has one; `prefix` is the site's path prefix.
pub fn photo(product: &Product, prefix: &str, m: &Messages) -> Option<PhotoView> {
    let hash = product.photo.as_ref()?;
    Some(PhotoView {
        src: format!("{prefix}/media/{hash}/card.jpg"),
        srcset: format!(
            "{prefix}/media/{hash}/card.jpg {}w, {prefix}/media/{hash}/full.jpg {}w",
            media::CARD_MAX_SIDE,
            media::FULL_MAX_SIDE
        ),
        width: media::CARD_MAX_SIDE,
        height: media::CARD_MAX_SIDE * 3 / 4,
        alt: fill(&m.photo_alt, &[("product", &product.name)]),
    })
}

/// The card at the top of a lot or label page.
pub fn product_card(lot: &PublicLot, prefix: &str, m: &Messages) -> ProductCard {
    let mut lines = plot_lines(&lot.plots, m);
    if let Some(code) = lot.plots.iter().find_map(|p| p.growing_area_code.clone()) {
        lines.push(format!("{}: {code}", m.fact_growing_area_code));
    }
    ProductCard {
        name: lot.product.name.clone(),
        coop_name: lot.cooperative.name.clone(),
        coop_href: format!("{prefix}/htx/{}", lot.cooperative.id),
        photo: photo(&lot.product, prefix, m),
        lines,
    }
}

/// The parents' histories, one step back.
pub fn parent_sections(lot: &PublicLot, m: &Messages, prefix: &str) -> Vec<LotSection> {
    lot.parents
        .iter()
        .map(|parent| {
            let code = parent.lot.code.as_str();
            let mut about = vec![fill(&m.parent_about, &[("lot", code)])];
            about.extend(plot_lines(&parent.plots, m));
            LotSection {
                heading: fill(&m.parent_lot, &[("lot", code), ("product", &parent.product.name)]),
                about,
                entries: entries(&parent.events, m, None, prefix),
            }
        })
        .collect()
}

/// The recall banner's lines.
pub fn recall_lines(lot: &PublicLot, m: &Messages) -> Vec<String> {
    lot.recalls
        .iter()
        .map(|r| {
            fill(
                &m.recall_line,
                &[("lot", &r.lot_code), ("date", &show_date(&r.at)), ("reason", &r.reason)],
            )
        })
        .collect()
}

/// The consumer facts of Circular 02/2024/TT-BKHCN that a lot has, plus where and by whom it grew.
pub fn lot_facts(lot: &PublicLot, m: &Messages) -> Vec<Fact> {
    let coop = &lot.cooperative;
    let mut facts = vec![
        Fact::new(&m.fact_name, lot.product.name.clone()),
        Fact::new(
            &m.fact_producer,
            format!("{} — {}, {}, {}", coop.name, coop.address, coop.commune, coop.province),
        ),
        Fact::new(&m.fact_contact, coop.phone.clone()),
        Fact::new(&m.fact_brand, coop.name.clone()),
    ];
    if let Some(gtin) = &lot.product.gtin {
        facts.push(Fact::new(&m.fact_gtin, gtin.clone()));
    }
    facts.push(Fact::new(&m.fact_lot, lot.lot.code.clone()));
    if let Some(at) = lot.harvested_at {
        facts.push(Fact::new(&m.fact_harvested, show_date(&at)));
    }
    if let Some(at) = lot.packed_at {
        facts.push(Fact::new(&m.fact_packed, show_date(&at)));
        if let Some(days) = lot.product.shelf_life_days {
            facts.push(Fact::new(
                &m.fact_expiry,
                show_date(&(at + chrono::Duration::days(i64::from(days)))),
            ));
        }
    }
    let place = plot_lines(&lot.plots, m).join("; ");
    if !place.is_empty() {
        facts.push(Fact::new(&m.fact_place, place));
    }
    facts.push(Fact::new(
        &m.fact_growers,
        if lot.growers.is_empty() {
            m.fact_growers_hidden.clone()
        } else {
            lot.growers.join(", ")
        },
    ));
    facts
}

/// The answer first: what a buyer most wants to know, on the first screen, before the diary —
/// the product, who grew it and where, when it was harvested, the last spraying and whether
/// its waiting period was kept, the certificates valid today.
pub fn summary(lot: &PublicLot, m: &Messages, today: NaiveDate) -> Vec<Fact> {
    let mut facts = vec![Fact::new(&m.fact_name, lot.product.name.clone())];
    facts.push(Fact::new(
        &m.fact_growers,
        if lot.growers.is_empty() {
            m.fact_growers_hidden.clone()
        } else {
            lot.growers.join(", ")
        },
    ));
    let place = plot_lines(&lot.plots, m).join("; ");
    if !place.is_empty() {
        facts.push(Fact::new(&m.fact_place, place));
    }
    if let Some(at) = lot.harvested_at {
        facts.push(Fact::new(&m.fact_harvested, show_date(&at)));
    }
    if let Some(day) = lot.use_by {
        facts.push(Fact::new(&m.fact_expiry, day.format("%d/%m/%Y").to_string()));
    }
    facts.push(Fact::new(&m.fact_last_spraying, last_spraying(lot, m)));
    let valid: Vec<String> = lot
        .certificates
        .iter()
        .filter(|c| c.valid_on(today))
        .map(|c| {
            let scheme = c.scheme.display_name();
            if c.number.to_lowercase().contains(&scheme.to_lowercase()) {
                c.number.clone()
            } else {
                format!("{scheme} {}", c.number)
            }
        })
        .collect();
    facts.push(Fact::new(
        &m.fact_certificates_now,
        if valid.is_empty() {
            m.none_valid.clone()
        } else {
            valid.join(", ")
        },
    ));
    facts
}

/// The last spraying on the lot or the lots it was made from, and whether the harvest after it
/// kept the pesticide's waiting period.
fn last_spraying(lot: &PublicLot, m: &Messages) -> String {
    let last = std::iter::once(lot.events.as_slice())
        .chain(lot.parents.iter().map(|p| p.events.as_slice()))
        .flat_map(timeline)
        .filter(|entry| !matches!(entry.amendment, Amendment::Voided { .. }))
        .filter_map(|entry| match &entry.event.body {
            EventBody::Spraying { input, .. } => Some((
                entry.event.occurred_at,
                input
                    .snapshot
                    .as_ref()
                    .map_or_else(|| m.kind(EventKind::Spraying), |s| s.trade_name.clone()),
                entry.interval,
            )),
            _ => None,
        })
        .max_by_key(|(at, _, _)| *at);
    let Some((at, product, interval)) = last else {
        return m.no_spraying.clone();
    };
    let date = show_date(&at);
    match interval {
        Some(SprayInterval {
            required_days: Some(phi),
            days_to_harvest: Some(days),
            ..
        }) => {
            let respected = interval.is_some_and(|i| i.respected());
            fill(
                if respected {
                    &m.spraying_kept
                } else {
                    &m.spraying_not_kept
                },
                &[
                    ("product", &product),
                    ("date", &date),
                    ("days", &days.to_string()),
                    ("phi", &phi.to_string()),
                ],
            )
        }
        Some(SprayInterval {
            days_to_harvest: None, ..
        }) => fill(&m.spraying_before_harvest, &[("product", &product), ("date", &date)]),
        _ => fill(&m.spraying_no_interval, &[("product", &product), ("date", &date)]),
    }
}
