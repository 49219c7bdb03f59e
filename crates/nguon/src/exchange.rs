//! `nguon export epcis` and `nguon import epcis|diary`: the standard document out to a file or
//! standard output with a progress bar, and documents and diaries in, as the cooperative's
//! leader, every refused row reported with its line before anything is written.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use store::{DiaryImportFailure, ImportProgress, Principal, Store};

use crate::config::Config;

/// `nguon export …`
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A cooperative (or one lot's genealogy) as an EPCIS 2.0 JSON-LD document.
    Epcis {
        /// Cooperative id.
        #[arg(long)]
        coop: i64,
        /// Only this lot and the lots connected to it by packing or merging.
        #[arg(long)]
        lot: Option<String>,
        /// First day (dd/mm/yyyy), included.
        #[arg(long)]
        from: Option<String>,
        /// Last day (dd/mm/yyyy), included.
        #[arg(long)]
        to: Option<String>,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// `nguon import …`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// An EPCIS document exported by Nguồn, into a cooperative.
    Epcis {
        /// The .jsonld file.
        file: PathBuf,
        /// Cooperative id.
        #[arg(long)]
        coop: i64,
        /// Check and report; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// A diary kept in a spreadsheet (.csv or .xlsx), into one lot.
    Diary {
        /// The .csv or .xlsx file.
        file: PathBuf,
        /// Cooperative id.
        #[arg(long)]
        coop: i64,
        /// The lot's code.
        #[arg(long)]
        lot: String,
        /// Check every row and report; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

fn bar(unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{msg}} {{bar:40}} {{pos}}/{{len}} {unit} ({{per_sec}}, {{eta}})"
    )) {
        bar.set_style(style);
    }
    bar
}

struct Bar(ProgressBar);

impl ImportProgress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }

    fn advance(&self, done: u64) {
        self.0.inc(done);
    }
}

/// Runs `nguon export epcis`.
pub async fn export(store: &Store, config: &Config, command: ExportCommand) -> anyhow::Result<ExitCode> {
    let ExportCommand::Epcis {
        coop,
        lot,
        from,
        to,
        output,
    } = command;
    let window = epcis::Window::from_days(from.as_deref(), to.as_deref()).map_err(|errors| {
        anyhow::anyhow!(
            "{}",
            errors
                .0
                .iter()
                .map(|e| format!("--{}: {}", e.field, e.message_en))
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let cooperative = store
        .export_cooperative(coop)
        .await
        .map_err(|_| anyhow::anyhow!("--coop: there is no cooperative {coop}"))?;
    let codes = match &lot {
        Some(code) => Some(
            store
                .genealogy_codes(coop, code)
                .await
                .map_err(|_| anyhow::anyhow!("--lot: cooperative {coop} has no lot {code}"))?,
        ),
        None => None,
    };
    let lots = store.export_lots(coop, codes.as_deref()).await?;
    let base = label::BaseUrl::parse(&config.public_url).map_err(|e| anyhow::anyhow!("public_url: {e}"))?;
    let exporter = epcis::Exporter::new(cooperative, base.as_ref());
    let mut out: Box<dyn Write> = match &output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let progress = bar("lots");
    progress.set_length(lots.len() as u64);
    progress.set_message("EPCIS");
    let metas: Vec<epcis::Lot> = lots.iter().map(|l| l.lot.clone()).collect();
    out.write_all(exporter.document_start(store::now(), &metas).as_bytes())?;
    let mut first = true;
    let mut written = 0usize;
    for lot in &lots {
        let (events, merge) = store.export_events(coop, lot).await?;
        for event in exporter.lot_events(&lot.lot, &events, merge.as_deref(), window) {
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            serde_json::to_writer(&mut out, &event)?;
            written += 1;
        }
        progress.inc(1);
    }
    out.write_all(epcis::DOCUMENT_END.as_bytes())?;
    out.flush()?;
    progress.finish_and_clear();
    eprintln!("{written} EPCIS events from {} lots written.", lots.len());
    Ok(ExitCode::SUCCESS)
}

/// The cooperative's first active leader, whom an import acts as.
async fn leader(store: &Store, coop: i64) -> anyhow::Result<Principal> {
    let members = store
        .members(coop)
        .await
        .map_err(|_| anyhow::anyhow!("--coop: there is no cooperative {coop}"))?;
    let leader = members
        .into_iter()
        .find(|m| m.role == farm_log::Role::Leader && m.active)
        .ok_or_else(|| anyhow::anyhow!("cooperative {coop} has no active leader to import as"))?;
    eprintln!("Importing as {} (leader, member {}).", leader.name, leader.id);
    Ok(Principal {
        member_id: leader.id,
        name: leader.name,
        cooperative_id: coop,
        role: farm_log::Role::Leader,
        token_id: 0,
    })
}

/// Runs `nguon import epcis|diary`.
pub async fn import(store: &Store, command: ImportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ImportCommand::Epcis { file, coop, dry_run } => {
            let text = std::fs::read(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let document: serde_json::Value =
                serde_json::from_slice(&text).map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", file.display()))?;
            let plan = match epcis::read_document(&document) {
                Ok(plan) => plan,
                Err(errors) => {
                    for error in errors {
                        eprintln!("{}: {error}", file.display());
                    }
                    return Ok(ExitCode::FAILURE);
                }
            };
            let principal = leader(store, coop).await?;
            let progress = bar("events");
            progress.set_message("import");
            let report = store
                .import_epcis(&principal, &plan, dry_run, &Bar(progress.clone()))
                .await?;
            progress.finish_and_clear();
            let verb = if dry_run { "would add" } else { "added" };
            println!(
                "{verb} {} events ({} already there), lots made: {}; registry entries {verb}: {}{}",
                report.events_added,
                report.events_existing,
                if report.lots_created.is_empty() {
                    "none".into()
                } else {
                    report.lots_created.join(", ")
                },
                if report.registry_added.is_empty() {
                    "none".into()
                } else {
                    report.registry_added.join(", ")
                },
                if report.photos_left_out > 0 {
                    format!(
                        "; {} photos left out (their images are not on this server)",
                        report.photos_left_out
                    )
                } else {
                    String::new()
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        ImportCommand::Diary {
            file,
            coop,
            lot,
            dry_run,
        } => {
            let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let principal = leader(store, coop).await?;
            let context = store
                .diary_import_context(coop, &lot)
                .await
                .map_err(|_| anyhow::anyhow!("--lot: cooperative {coop} has no lot {lot}"))?;
            let context = diary::import::ImportContext {
                cooperative_id: coop,
                lot_code: lot.clone(),
                region: context.region,
                inputs: context
                    .inputs
                    .into_iter()
                    .map(|(id, kind, trade_name)| diary::import::RegistryInput { id, kind, trade_name })
                    .collect(),
                plots: context.plots,
                now: store::now(),
            };
            let rows = match diary::import::read_table(&bytes)
                .map_err(|e| vec![e])
                .and_then(|table| diary::import::read_rows(&table, &context))
            {
                Ok(rows) => rows,
                Err(errors) => {
                    for error in &errors {
                        let column = error.column.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default();
                        eprintln!("{}:{}{column}: {}", file.display(), error.line, error.message_vi);
                    }
                    eprintln!("{} rows cannot be read; nothing was written.", errors.len());
                    return Ok(ExitCode::FAILURE);
                }
            };
            let progress = bar("rows");
            progress.set_message("diary");
            let result = store
                .import_diary(
                    &principal,
                    &lot,
                    rows.into_iter().map(|r| (r.line, r.draft)).collect(),
                    dry_run,
                    &Bar(progress.clone()),
                )
                .await;
            progress.finish_and_clear();
            match result {
                Ok(report) => {
                    let verb = if dry_run { "would add" } else { "added" };
                    println!(
                        "{} rows read: {verb} {} events to lot {lot}; {} were already there.",
                        report.rows, report.added, report.existing
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(DiaryImportFailure::Rows(problems)) => {
                    for problem in &problems {
                        eprintln!(
                            "{}:{} [{}]: {}",
                            file.display(),
                            problem.line,
                            problem.field,
                            problem.message_vi
                        );
                    }
                    eprintln!("{} rows are refused; nothing was written.", problems.len());
                    Ok(ExitCode::FAILURE)
                }
                Err(DiaryImportFailure::Store(error)) => Err(error.into()),
            }
        }
    }
}
