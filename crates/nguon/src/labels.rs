//! `nguon labels issue` and `nguon labels verify`, and loading what label printing needs from
//! the configuration (the base URL and the font file).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use farm_log::{PhoneNumber, Quantity, Role};
use indicatif::{ProgressBar, ProgressStyle};
use label::{BaseUrl, LabelFont, PublicKey, SheetLayout, SignedBatch};
use server::api::LabelSettings;
use store::{IssueRequest, Principal, Store};

use crate::config::Config;

/// `nguon labels …`
#[derive(Debug, clap::Subcommand)]
pub enum LabelsCommand {
    /// Issue a signed batch of labels for a lot and print them to a PDF.
    Issue(Box<IssueArgs>),
    /// Check a saved batch file (the JSON of a label batch) offline: signature, serials, key.
    Verify {
        /// The batch file, as written by `labels issue --json` or fetched from the API.
        file: PathBuf,
        /// Insist on this public key (from `/api/v1/cooperatives/{id}/keys`).
        #[arg(long)]
        key: Option<String>,
    },
}

/// What to issue.
#[derive(Debug, clap::Args)]
pub struct IssueArgs {
    /// Cooperative id.
    #[arg(long)]
    coop: i64,
    /// Lot code.
    #[arg(long)]
    lot: String,
    /// How many labels.
    #[arg(long)]
    count: u32,
    /// What one pack holds, e.g. 1KGM, "500 g", "10 kg".
    #[arg(long)]
    pack_size: String,
    /// Where to write the printable PDF.
    #[arg(long)]
    pdf: Option<PathBuf>,
    /// 3x8 (default), 4x10, 5x13 on A4, or a thermal label size such as 50x30mm.
    #[arg(long, default_value = "3x8")]
    layout: String,
    /// Where to write the signed batch (JSON) for offline checks.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The issuing leader's phone; the cooperative's first leader when absent.
    #[arg(long)]
    by: Option<String>,
    /// For a lot past its use-by date: why the labels must be printed anyway (recorded in the
    /// lot's diary as the leader's decision); without it such a lot gets no labels.
    #[arg(long)]
    past_use_by_reason: Option<String>,
}

/// Reads the label font, refusing a missing file or one without Vietnamese letters with a
/// message that says what to install.
pub fn load_font(path: &Path) -> Result<LabelFont, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "the label font {} cannot be read ({e}). Install it with `apt-get install fonts-dejavu-core`, \
             or point `label_font` in nguon.toml (or NGUON_LABEL_FONT) at a TrueType font with Vietnamese letters.",
            path.display()
        )
    })?;
    LabelFont::from_bytes(bytes).map_err(|e| format!("the label font {} cannot be used: {e}", path.display()))
}

/// The label settings the server and the CLI share.
pub fn settings(config: &Config) -> anyhow::Result<LabelSettings> {
    let base_url =
        BaseUrl::parse(&config.public_url).map_err(|e| anyhow::anyhow!("public_url {:?}: {e}", config.public_url))?;
    let font = load_font(Path::new(&config.label_font)).map(Arc::new);
    if let Err(why) = &font {
        tracing::warn!("label sheets cannot be printed: {why}");
    }
    Ok(LabelSettings { base_url, font })
}

async fn issuer(store: &Store, coop: i64, by: Option<&str>) -> anyhow::Result<Principal> {
    store
        .cooperative(coop)
        .await
        .map_err(|_| anyhow::anyhow!("--coop: there is no cooperative {coop}"))?;
    let member = match by {
        Some(phone) => {
            let phone = PhoneNumber::parse(phone, "by").map_err(|e| anyhow::anyhow!("--by: {}", e.message_en))?;
            store
                .member_by_phone(coop, phone.as_ref())
                .await
                .map_err(|_| anyhow::anyhow!("--by: no member of cooperative {coop} has phone {phone}"))?
        }
        None => store
            .members(coop)
            .await?
            .into_iter()
            .find(|m| m.role == Role::Leader && m.active)
            .ok_or_else(|| anyhow::anyhow!("cooperative {coop} has no active leader to issue labels"))?,
    };
    if member.role != Role::Leader || !member.active {
        anyhow::bail!(
            "--by: only an active leader may issue labels; {} is not one",
            member.name
        );
    }
    Ok(Principal {
        member_id: member.id,
        name: member.name,
        cooperative_id: coop,
        role: member.role,
        token_id: 0,
    })
}

/// `nguon labels issue`.
pub async fn issue(store: &Store, config: &Config, args: IssueArgs) -> anyhow::Result<ExitCode> {
    let pack_size = Quantity::parse(&args.pack_size, None, "pack_size")
        .map_err(|e| anyhow::anyhow!("--pack-size: {}", e.message_en))?;
    let layout = SheetLayout::parse(&args.layout).map_err(|e| anyhow::anyhow!("--layout: {e}"))?;
    let settings = settings(config)?;
    // Refuse before issuing when the sheet could not be printed.
    let font = match (&args.pdf, settings.font) {
        (Some(_), Err(why)) => anyhow::bail!("cannot print labels: {why}"),
        (_, font) => font.ok(),
    };
    let principal = issuer(store, args.coop, args.by.as_deref()).await?;
    let batch = store
        .issue_labels(
            &principal,
            IssueRequest {
                lot_code: args.lot.clone(),
                count: args.count,
                pack_size,
                base_url: settings.base_url,
                past_use_by_reason: args
                    .past_use_by_reason
                    .as_deref()
                    .map(|reason| farm_log::Note::parse(reason, "past_use_by_reason"))
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--past-use-by-reason: {}", e.message_en))?,
            },
        )
        .await
        .map_err(|e| match e {
            store::StoreError::Invalid(errors) => anyhow::anyhow!(
                "labels cannot be issued for lot {}:\n{}",
                args.lot,
                errors
                    .0
                    .iter()
                    .map(|e| format!("  - {}: {}", e.field, e.message_en))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            other => anyhow::anyhow!("lot {}: {other}", args.lot),
        })?;
    let record = &batch.signed.record;
    if is_local(&config.public_url) {
        eprintln!(
            "Warning: these labels point at {}, which a buyer's phone cannot reach. Set public_url in nguon.toml \
             (or NGUON_PUBLIC_URL) to the cooperative's public address before printing labels for sale.",
            config.public_url
        );
    }
    println!(
        "Issued {} labels for lot {} (batch {}, chain head {}).",
        record.count, record.lot_code, record.batch_id, record.chain_head
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&batch.signed)?)
            .map_err(|e| anyhow::anyhow!("--json {}: {e}", path.display()))?;
        println!("Signed batch written to {}.", path.display());
    }
    if let (Some(path), Some(font)) = (&args.pdf, font) {
        let faces = store.label_faces(args.coop, &record.batch_id).await?;
        let pages = faces.len().div_ceil(layout.labels_per_page().max(1));
        let bar = ProgressBar::new(pages as u64);
        if let Ok(style) = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} pages") {
            bar.set_style(style);
        }
        bar.set_message("Rendering");
        let pdf = label::render_pdf(&faces, &layout, &font, |_| bar.inc(1))?;
        bar.finish_and_clear();
        std::fs::write(path, pdf).map_err(|e| anyhow::anyhow!("--pdf {}: {e}", path.display()))?;
        println!(
            "Printable sheet ({pages} pages, layout {}) written to {}.",
            args.layout,
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn is_local(url: &str) -> bool {
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0" | "[") || host.ends_with(".local")
}

/// `nguon labels verify`: no database needed.
pub fn verify(file: &Path, key: Option<&str>) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", file.display()))?;
    // Accept the signed batch itself or the API's batch answer, which holds it under `signed`.
    let signed = value.get("signed").cloned().unwrap_or(value);
    let batch: SignedBatch =
        serde_json::from_value(signed).map_err(|e| anyhow::anyhow!("{} is not a label batch: {e}", file.display()))?;
    let pinned = key
        .map(PublicKey::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--key: {e}"))?;
    match batch.verify(pinned.as_ref()) {
        Ok(()) => {
            println!(
                "VALID: batch {} of {} labels for lot {} of {}, signed by key {}.",
                batch.record.batch_id,
                batch.record.count,
                batch.record.lot_code,
                batch.record.cooperative_name,
                batch.record.key_id
            );
            if pinned.is_none() {
                println!(
                    "Note: checked against the public key inside the file ({}). Anyone can sign with a key of their own: \
                     compare it with the key the cooperative publishes at /api/v1/cooperatives/{}/keys, or pass it with --key.",
                    batch.public_key, batch.record.cooperative_id
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            println!("INVALID: batch {}: {why}", batch.record.batch_id);
            Ok(ExitCode::FAILURE)
        }
    }
}
