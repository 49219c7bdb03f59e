//! Fills a SQLite database for the lookup benchmark (`bench/lookup.sh`): one cooperative whose
//! harvests are packed into child lots that carry signed QR labels — by default 50,000 harvests,
//! 150,000 lots and 1,000,000 labels — all through the public `Store` API, so every chain,
//! signature and cap is exactly what the product makes.
//!
//! Each harvest lot gets a short season from a member household (basal fertilizing, seeding,
//! top dressing, a spraying whose pre-harvest interval ends before the harvest, the harvest), then
//! the leader packs it into child lots, issues one label batch per child and ships it.
//!
//! Run with `cargo run --release -p nguon --example lookup_load -- --dir DIR`. The database is
//! `DIR/lookup.db`; `DIR/lookup.json` is written only when loading completed, and a later run
//! that finds it does nothing. A database without it (an interrupted load) is started over.
//! `DIR/label-url.txt` holds the label the benchmark scans (one from the middle of the load), and
//! `DIR/urls.txt` one label of every child lot, for spreading scans over many labels.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use clap::Parser;
use farm_log::{GeoPoint, Gs1CompanyPrefix, Gtin, InputKind, LotCode, PhoneNumber, Quantity, Region, Role, ShortText};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use store::{
    AppendItem, IssueRequest, NewCooperative, NewInputProduct, NewLot, NewMember, NewPlot, NewProduct, Principal, Store,
};
use uuid::Uuid;

/// What to load.
#[derive(Debug, Parser)]
#[command(about = "Loads the lookup benchmark's SQLite database through the Store API.")]
struct Args {
    /// Directory for lookup.db, lookup.json (written once loading completed) and urls.txt.
    #[arg(long)]
    dir: PathBuf,
    /// Harvest lots; each is packed into `--children` labelled lots.
    #[arg(long, default_value_t = 50_000)]
    harvests: usize,
    /// Child lots packed from each harvest.
    #[arg(long, default_value_t = 2)]
    children: usize,
    /// Labels issued on each child lot (one signed batch per child).
    #[arg(long, default_value_t = 10)]
    labels: u32,
    /// Harvests handled by one worker at a time: their events go in one append per step.
    #[arg(long, default_value_t = 50)]
    chunk: usize,
    /// Workers running at once (all writes still queue on SQLite's one writer).
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// The base URL printed in the labels' QR codes.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base_url: String,
    /// Load into this database (e.g. `postgres://…`) instead of `DIR/lookup.db`; the lists of
    /// URLs and the marker still go in DIR.
    #[arg(long)]
    database: Option<String>,
}

/// Member households, one plot each; a chunk of harvests belongs to one household.
const HOUSEHOLDS: usize = 20;

/// What a chunk of harvests needs from the registry.
struct Farm {
    leader: Principal,
    households: Vec<(Principal, i64)>,
    products: Vec<i64>,
    compost: i64,
    npk: i64,
    pesticide: i64,
    base_url: label::BaseUrl,
}

fn text(value: &str) -> anyhow::Result<ShortText> {
    ShortText::parse(value, "text").map_err(|e| anyhow!(e.message_en))
}

fn quantity(value: &str) -> anyhow::Result<Quantity> {
    Quantity::parse(value, None, "quantity").map_err(|e| anyhow!(e.message_en))
}

fn phone(value: &str) -> anyhow::Result<PhoneNumber> {
    PhoneNumber::parse(value, "phone").map_err(|e| anyhow!(e.message_en))
}

fn principal(member: &store::Member, cooperative_id: i64) -> Principal {
    Principal {
        member_id: member.id,
        name: member.name.clone(),
        cooperative_id,
        role: member.role,
        token_id: 0,
    }
}

/// A stable event id, so the same harvest always gets the same events.
fn event_id(lot: &str, what: &str) -> Uuid {
    let hash = blake3::hash(format!("nguon lookup bench/{lot}/{what}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash.as_bytes()[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

async fn registry(store: &Store, base_url: &str) -> anyhow::Result<Farm> {
    let (coop, leader, _token) = store
        .create_cooperative(
            NewCooperative {
                name: text("HTX Rau an toàn Đo Tải")?,
                address: text("Thôn Thượng, Tây Tựu")?,
                province: text("Hà Nội")?,
                commune: text("Phường Tây Tựu")?,
                phone: phone("0243 765 0000")?,
                region: Region::North,
                gs1_company_prefix: Some(
                    Gs1CompanyPrefix::parse("893604912", "gs1_company_prefix").map_err(|e| anyhow!(e.message_en))?,
                ),
                gln: None,
            },
            NewMember {
                name: text("Nguyễn Thị Tải")?,
                phone: phone("0912 000 100")?,
                role: Role::Leader,
            },
        )
        .await?;
    let mut households = Vec::with_capacity(HOUSEHOLDS);
    for i in 0..HOUSEHOLDS {
        let plot = store
            .create_plot(
                coop.id,
                NewPlot {
                    name: text(&format!("Ruộng số {}", i + 1))?,
                    area: Quantity::parse("3 sào", Some(Region::North), "area").map_err(|e| anyhow!(e.message_en))?,
                    commune: text("Phường Tây Tựu")?,
                    location: Some(
                        GeoPoint::from_degrees(21.07 + i as f64 * 0.001, 105.73, "location")
                            .map_err(|e| anyhow!(e.message_en))?,
                    ),
                    growing_area_code: Some(text(&format!("VN-HN-TT-{:03}", i + 1))?),
                },
            )
            .await?;
        let member = store
            .add_member(
                coop.id,
                NewMember {
                    name: text(&format!("Hộ số {} Trần Văn Bình", i + 1))?,
                    phone: phone(&format!("0912 001 {:03}", i + 1))?,
                    role: Role::Member,
                },
            )
            .await?;
        store.assign_plot(coop.id, plot.id, member.id).await?;
        households.push((principal(&member, coop.id), plot.id));
    }
    let mut products = Vec::new();
    for (commodity, variety, gtin) in [
        ("Cải ngọt", None, "8936049120015"),
        ("Cà chua", Some("Savior"), "8936049120022"),
    ] {
        let product = store
            .create_product(
                coop.id,
                NewProduct {
                    commodity: text(commodity)?,
                    variety: variety.map(text).transpose()?,
                    gtin: Some(Gtin::parse(gtin, "gtin").map_err(|e| anyhow!(e.message_en))?),
                },
            )
            .await?;
        products.push(product.id);
    }
    let input = async |kind: InputKind, name: &str, active: &str, registration: Option<&str>, phi_days| {
        anyhow::Ok(
            store
                .create_input_product(
                    coop.id,
                    NewInputProduct {
                        kind,
                        trade_name: text(name)?,
                        active_ingredients: vec![text(active)?],
                        registration_number: registration.map(text).transpose()?,
                        phi_days,
                    },
                )
                .await?
                .id,
        )
    };
    let compost = input(
        InputKind::Fertilizer,
        "Phân hữu cơ vi sinh Sông Gianh",
        "Chất hữu cơ 15%",
        None,
        None,
    )
    .await?;
    let npk = input(InputKind::Fertilizer, "NPK Lâm Thao 5-10-3", "Đạm (N) 5%", None, None).await?;
    let pesticide = input(
        InputKind::Pesticide,
        "Oshin 20WP",
        "Dinotefuran",
        Some("BVTV-3808.10"),
        Some(7),
    )
    .await?;
    show_to_buyers(store, coop.id, &products).await?;
    Ok(Farm {
        leader: principal(&leader, coop.id),
        households,
        products,
        compost,
        npk,
        pesticide,
        base_url: label::BaseUrl::parse(base_url).map_err(|e| anyhow!("--base-url: {e}"))?,
    })
}

/// How long the benchmark's produce keeps: long enough that every label it scans is in date
/// (a label past its use-by date is a red page, which is not the page buyers usually see).
const SHELF_LIFE_DAYS: u32 = 3650;

/// What the public pages show besides lots, as the demo cooperatives have it: a description, a
/// VietGAP certificate and the products' shelf life. Also run on a database loaded before these
/// existed (once for the certificate; the shelf life is set again, for databases loaded when
/// it was 5 days).
async fn show_to_buyers(store: &Store, cooperative_id: i64, products: &[i64]) -> anyhow::Result<()> {
    for product in products {
        if store.product(cooperative_id, *product).await?.shelf_life_days != Some(SHELF_LIFE_DAYS) {
            store
                .set_product_shelf_life(cooperative_id, *product, Some(SHELF_LIFE_DAYS))
                .await?;
        }
    }
    if !store.certificates(cooperative_id).await?.is_empty() {
        return Ok(());
    }
    store
        .set_cooperative_profile(
            cooperative_id,
            store::CooperativeProfile {
                description: Some(
                    farm_log::Note::parse(
                        "Hợp tác xã của 20 hộ trồng rau ở Tây Tựu, Hà Nội. Rau được trồng theo quy trình VietGAP, \
                         mỗi lần bón phân, phun thuốc đều được ghi vào nhật ký và có cán bộ kiểm tra.",
                        "description",
                    )
                    .map_err(|e| anyhow!(e.message_en))?,
                ),
                grower_display: farm_log::GrowerDisplay::Name,
            },
        )
        .await?;
    store
        .add_certificate(
            cooperative_id,
            store::NewCertificate {
                product_id: None,
                scheme: farm_log::CertificateScheme::parse("vietgap", "scheme").map_err(|e| anyhow!(e.message_en))?,
                number: text("VietGAP-TT-11-01-0999")?,
                body: text("Trung tâm Chứng nhận Phù hợp (QUACERT)")?,
                scope: Some(text("Rau ăn lá và cà chua, 6 ha")?),
                valid_from: chrono::NaiveDate::from_ymd_opt(2025, 6, 1).ok_or_else(|| anyhow!("date"))?,
                valid_to: chrono::NaiveDate::from_ymd_opt(2028, 5, 31).ok_or_else(|| anyhow!("date"))?,
            },
        )
        .await?;
    Ok(())
}

fn harvest_code(index: usize) -> String {
    format!("CN-26-{index:06}")
}

fn child_code(index: usize, child: usize) -> String {
    // A, B, C … then AA-style is never needed for a handful of children.
    let letter = char::from(b'A' + u8::try_from(child % 26).unwrap_or(0));
    format!("{}-{letter}", harvest_code(index))
}

fn at(start: DateTime<FixedOffset>, days: i64, hour: i64) -> String {
    (start + Duration::days(days) + Duration::hours(hour)).to_rfc3339()
}

fn draft(lot: &str, what: &str, mut body: Value) -> anyhow::Result<AppendItem> {
    body["id"] = Value::String(event_id(lot, what).to_string());
    let draft = farm_log::draft::parse_draft(&body, "").map_err(|e| anyhow!("lot {lot} {what}: {e}"))?;
    Ok(AppendItem {
        lot_code: lot.to_owned(),
        draft,
    })
}

/// The first label URL of each child lot, for the caller to sample.
type ChunkUrls = Vec<String>;

/// Loads harvests `range`: lots, their seasons, packing, labels and shipping.
async fn load_chunk(
    store: &Store,
    farm: &Farm,
    args: &Args,
    chunk_index: usize,
    range: std::ops::Range<usize>,
    bar: &ProgressBar,
) -> anyhow::Result<ChunkUrls> {
    let (member, plot) = &farm.households[chunk_index % HOUSEHOLDS];
    let product = farm.products[chunk_index % farm.products.len()];
    let vietnam = FixedOffset::east_opt(7 * 3600).ok_or_else(|| anyhow!("offset"))?;
    // Seasons over the last months, so every harvest is in the past whenever this is loaded.
    let today = chrono::Utc::now().with_timezone(&vietnam).date_naive() - Duration::days(260);
    let season_start = vietnam
        .from_local_datetime(&today.and_hms_opt(6, 0, 0).ok_or_else(|| anyhow!("time"))?)
        .single()
        .ok_or_else(|| anyhow!("date"))?;
    let mut field_events = Vec::with_capacity(range.len() * 5);
    let mut packing = Vec::with_capacity(range.len());
    let child_quantity = 480 / args.children.max(1);
    for index in range.clone() {
        let code = harvest_code(index);
        store
            .create_lot(
                member.cooperative_id,
                NewLot {
                    code: LotCode::parse(&code, "code").map_err(|e| anyhow!(e.message_en))?,
                    product_id: product,
                    plot_ids: vec![*plot],
                },
            )
            .await
            .with_context(|| format!("lot {code}"))?;
        // Seasons start over 200 days, so harvests end between 218 and 18 days ago.
        let start = season_start + Duration::days(i64::try_from(index % 200).unwrap_or(0));
        field_events.extend([
            draft(
                &code,
                "basal",
                json!({"type": "fertilizing", "occurred_at": at(start, -2, 0), "input": {"input_product_id": farm.compost},
                       "amount": "30 kg", "method": "Bón lót trước khi gieo"}),
            )?,
            draft(
                &code,
                "seeding",
                json!({"type": "seeding", "occurred_at": at(start, 0, 1), "seed_source": "Công ty CP Giống cây trồng Trung ương",
                       "seed_lot": "CN-0826", "variety": "Cải ngọt lá to", "quantity": "300 g"}),
            )?,
            draft(
                &code,
                "top-dressing",
                json!({"type": "fertilizing", "occurred_at": at(start, 14, 0), "input": {"input_product_id": farm.npk},
                       "amount": "10 kg", "method": "Bón thúc, hòa nước tưới"}),
            )?,
            // Oshin's pre-harvest interval is 7 days; the harvest comes 12 days later.
            draft(
                &code,
                "spraying",
                json!({"type": "spraying", "occurred_at": at(start, 30, 10), "input": {"input_product_id": farm.pesticide},
                       "dose": "20 g", "area": "1080 m2", "target_pest": "Bọ phấn trắng"}),
            )?,
            draft(
                &code,
                "harvest",
                json!({"type": "harvest", "occurred_at": at(start, 42, 0), "quantity": "500 kg",
                       "note": "Thu hoạch sáng sớm"}),
            )?,
        ]);
        let children: Vec<Value> = (0..args.children)
            .map(|c| json!({"code": child_code(index, c), "quantity": format!("{child_quantity} kg")}))
            .collect();
        packing.push(draft(
            &code,
            "packing",
            json!({"type": "packing", "occurred_at": at(start, 42, 4), "children": children,
                   "note": "Sơ chế, đóng thùng 10 kg tại nhà sơ chế HTX"}),
        )?);
    }
    store.append(member, field_events, true).await.context("field events")?;
    store.append(&farm.leader, packing, true).await.context("packing")?;
    let mut urls = Vec::with_capacity(range.len() * args.children);
    let mut shipping = Vec::with_capacity(range.len() * args.children);
    for index in range {
        let start = season_start + Duration::days(i64::try_from(index % 200).unwrap_or(0));
        for c in 0..args.children {
            let code = child_code(index, c);
            let batch = store
                .issue_labels(
                    &farm.leader,
                    IssueRequest {
                        lot_code: code.clone(),
                        count: args.labels,
                        pack_size: quantity("10 kg")?,
                        base_url: farm.base_url.clone(),
                        past_use_by_reason: None,
                    },
                )
                .await
                .with_context(|| format!("labels for lot {code}"))?;
            if let Some(first) = batch.labels.first() {
                urls.push(first.url.clone());
            }
            shipping.push(draft(
                &code,
                "shipping",
                json!({"type": "shipping", "occurred_at": at(start, 43, 0), "from": "Nhà sơ chế HTX Tây Tựu",
                       "to": "Chuỗi cửa hàng rau sạch Bác Tôm, Hà Nội", "document_ref": format!("PXK-{code}"),
                       "quantity": format!("{child_quantity} kg")}),
            )?);
        }
        bar.inc(1);
    }
    store.append(&farm.leader, shipping, true).await.context("shipping")?;
    Ok(urls)
}

fn remove_database(path: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file).with_context(|| file.display().to_string())?;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Arc::new(Args::parse());
    std::fs::create_dir_all(&args.dir).with_context(|| args.dir.display().to_string())?;
    let file = args.dir.join("lookup.db");
    let database = args.database.clone().unwrap_or_else(|| file.display().to_string());
    let marker = args.dir.join("lookup.json");
    if marker.exists() && (args.database.is_some() || file.exists()) {
        let store = Store::connect(&database).await?;
        store.migrate().await?;
        for cooperative in store.cooperatives().await? {
            let products: Vec<i64> = store.products(cooperative.id).await?.iter().map(|p| p.id).collect();
            show_to_buyers(&store, cooperative.id, &products).await?;
        }
        println!("{database} is already loaded ({}).", marker.display());
        return Ok(());
    }
    if args.database.is_some() {
        println!("loading into {database} (which must be empty)");
    } else {
        if file.exists() {
            println!("{database} is incomplete (no {}): loading it again.", marker.display());
        }
        remove_database(&file)?;
    }
    let _ = std::fs::remove_file(&marker);

    let started = Instant::now();
    let store = Store::connect(&database).await?;
    store.migrate().await?;
    let farm = Arc::new(registry(&store, &args.base_url).await?);

    let bar = ProgressBar::new(args.harvests as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} harvests ({per_sec}, {elapsed} elapsed, eta {eta})")
    {
        bar.set_style(style);
    }
    bar.set_message("Loading");
    // Workers take chunks in order from a shared counter.
    let chunks = args.harvests.div_ceil(args.chunk.max(1));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.jobs.max(1) {
        let (store, farm, args, next, bar) = (store.clone(), farm.clone(), args.clone(), next.clone(), bar.clone());
        workers.spawn(async move {
            let mut urls = Vec::new();
            loop {
                let chunk = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if chunk >= chunks {
                    return anyhow::Ok(urls);
                }
                let range = chunk * args.chunk..((chunk + 1) * args.chunk).min(args.harvests);
                urls.push((chunk, load_chunk(&store, &farm, &args, chunk, range, &bar).await?));
            }
        });
    }
    let mut urls = Vec::new();
    while let Some(done) = workers.join_next().await {
        urls.extend(done??);
    }
    bar.finish();
    urls.sort_by_key(|(chunk, _)| *chunk);
    let urls: Vec<String> = urls.into_iter().flat_map(|(_, u)| u).collect();
    let elapsed = started.elapsed();

    // One label of every child lot, and the one the benchmark scans from the middle of the load.
    let url_list: String = urls.iter().map(|u| format!("{u}\n")).collect();
    std::fs::write(args.dir.join("urls.txt"), url_list)?;
    let label_url = urls
        .get(urls.len() / 2)
        .ok_or_else(|| anyhow!("no labels were issued"))?;
    std::fs::write(args.dir.join("label-url.txt"), format!("{label_url}\n"))?;
    let lots = args.harvests * (1 + args.children);
    let labels = args.harvests * args.children * args.labels as usize;
    let events = args.harvests * (6 + args.children);
    let summary = json!({
        "database": database,
        "harvests": args.harvests,
        "lots": lots,
        "events": events,
        "labels": labels,
        "label_url": label_url,
        "base_url": args.base_url,
        "load_seconds": elapsed.as_secs_f64(),
        "jobs": args.jobs,
        "chunk": args.chunk,
    });
    // Written last: its presence means the database is complete.
    std::fs::write(&marker, serde_json::to_vec_pretty(&summary)?)?;
    println!(
        "Loaded {lots} lots, {events} events and {labels} labels in {:.1} s into {database}.",
        elapsed.as_secs_f64(),
    );
    println!("Label URL: {label_url}");
    Ok(())
}
