//! The command line: `serve`, `migrate`, `demo`, `verify`, `coop create`, `member add`,
//! `token revoke`, `labels issue`, `labels verify`, `export epcis`, `import epcis|diary`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use farm_log::{ChainStatus, Gln, Gs1CompanyPrefix, PhoneNumber, Region, Role, ShortText};
use indicatif::{ProgressBar, ProgressStyle};
use server::AppState;
use store::{NewCooperative, NewMember, Store, VerifyProgress};

use crate::config::{self, Config, Overrides};

/// Nguồn: farm diaries with tamper-evident lot histories.
#[derive(Debug, Parser)]
#[command(name = "nguon", version, about)]
pub struct Cli {
    /// Configuration file (optional).
    #[arg(long, global = true, default_value = "nguon.toml")]
    pub config: PathBuf,
    /// Database: a SQLite file path (default ./nguon.db) or a postgres:// URL.
    #[arg(long = "database", global = true)]
    pub database_url: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (migrates first).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
        /// Load the demo cooperatives first (once).
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations.
    Migrate,
    /// Load the demo cooperatives (once) and print their leaders' tokens.
    Demo,
    /// Walk every lot's chain and check every label batch; exit status 1 names each altered
    /// lot, event and batch.
    Verify {
        /// Also keep what was verified, and every lot's public record, so the server's pages
        /// need not verify or assemble them again (run once after upgrading from a version that
        /// kept none; records are sealed with `seal_secret`, so set it as the server has it).
        #[arg(long)]
        keep_checks: bool,
    },
    /// Cooperatives.
    Coop {
        /// What to do with cooperatives.
        #[command(subcommand)]
        command: CoopCommand,
    },
    /// Members.
    Member {
        /// What to do with members.
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// QR labels: issue a signed batch and print it, or check a batch file offline.
    Labels {
        /// What to do with labels.
        #[command(subcommand)]
        command: crate::labels::LabelsCommand,
    },
    /// Standard documents out: `export epcis`.
    Export {
        /// What to export.
        #[command(subcommand)]
        command: crate::exchange::ExportCommand,
    },
    /// Documents in: `import epcis` (a Nguồn EPCIS export), `import diary` (a spreadsheet diary).
    Import {
        /// What to import.
        #[command(subcommand)]
        command: crate::exchange::ImportCommand,
    },
    /// API tokens.
    Token {
        /// What to do with tokens.
        #[command(subcommand)]
        command: TokenCommand,
    },
}

/// `nguon coop …`
#[derive(Debug, Subcommand)]
pub enum CoopCommand {
    /// Register a cooperative with its first leader; prints the leader's token once.
    Create(Box<NewCoopArgs>),
    /// List cooperatives.
    List,
}

/// The fields of a new cooperative.
#[derive(Debug, clap::Args)]
pub struct NewCoopArgs {
    /// "HTX Nông nghiệp …".
    #[arg(long)]
    name: String,
    /// Street address.
    #[arg(long)]
    address: String,
    /// Province.
    #[arg(long)]
    province: String,
    /// Commune.
    #[arg(long)]
    commune: String,
    /// Contact phone.
    #[arg(long)]
    phone: String,
    /// north, central or south (decides what "sào" means).
    #[arg(long, default_value = "north")]
    region: String,
    /// GS1 company prefix.
    #[arg(long)]
    gs1_prefix: Option<String>,
    /// GLN.
    #[arg(long)]
    gln: Option<String>,
    /// The first leader's name.
    #[arg(long)]
    leader_name: String,
    /// The first leader's phone.
    #[arg(long)]
    leader_phone: String,
}

/// `nguon member …`
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a member; prints their API token once.
    Add {
        /// Cooperative id.
        #[arg(long)]
        coop: i64,
        /// Name.
        #[arg(long)]
        name: String,
        /// Phone.
        #[arg(long)]
        phone: String,
        /// leader, member or inspector.
        #[arg(long, default_value = "member")]
        role: String,
    },
}

/// `nguon token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Revoke a token by id.
    Revoke {
        /// The token's id.
        id: i64,
    },
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NGUON_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if config.log_format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Runs the command line and returns the process exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot open the database {}: {e}",
            config::redact_url(&config.database_url)
        )
    })?;
    store
        .migrate()
        .await
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(if config.seal_secret.is_empty() {
        store
    } else {
        store.sealing_with(&config.seal_secret)
    })
}

fn field_error(error: farm_log::FieldError) -> anyhow::Error {
    anyhow::anyhow!("--{}: {}", error.field.replace('_', "-"), error.message_en)
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let bind = match &cli.command {
        Command::Serve { bind, .. } => bind.clone(),
        _ => None,
    };
    let overrides = Overrides {
        database_url: cli.database_url.clone(),
        bind,
    };
    let config = config::load(&cli.config, &overrides).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    init_logging(&config);
    match cli.command {
        Command::Serve { demo, .. } => {
            let store = open_store(&config).await?;
            if demo {
                crate::demo::load(&store).await?.print();
            }
            let listener = tokio::net::TcpListener::bind(&config.bind)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
            eprintln!("Nguồn is listening on http://{}", listener.local_addr()?);
            let labels = crate::labels::settings(&config)?;
            let state = AppState::new(store, labels).reverifying_every(std::time::Duration::from_secs(
                config.reverify_minutes.saturating_mul(60),
            ));
            server::serve(listener, state, shutdown_signal()).await?;
        }
        Command::Labels {
            command: crate::labels::LabelsCommand::Issue(args),
        } => {
            let store = open_store(&config).await?;
            return crate::labels::issue(&store, &config, *args).await;
        }
        Command::Labels {
            command: crate::labels::LabelsCommand::Verify { file, key },
        } => return crate::labels::verify(&file, key.as_deref()),
        Command::Export { command } => {
            let store = open_store(&config).await?;
            return crate::exchange::export(&store, &config, command).await;
        }
        Command::Import { command } => {
            let store = open_store(&config).await?;
            return crate::exchange::import(&store, command).await;
        }
        Command::Migrate => {
            open_store(&config).await?;
            println!("Database is up to date ({}).", config::redact_url(&config.database_url));
        }
        Command::Demo => {
            let store = open_store(&config).await?;
            crate::demo::load(&store).await?.print();
        }
        Command::Verify { keep_checks } => {
            let store = open_store(&config).await?;
            return verify(&store, keep_checks, !config.seal_secret.is_empty()).await;
        }
        Command::Coop {
            command: CoopCommand::List,
        } => {
            let store = open_store(&config).await?;
            for coop in store.cooperatives().await? {
                println!("{}\t{}\t{}", coop.id, coop.name, coop.province);
            }
        }
        Command::Coop {
            command: CoopCommand::Create(args),
        } => {
            let NewCoopArgs {
                name,
                address,
                province,
                commune,
                phone,
                region,
                gs1_prefix,
                gln,
                leader_name,
                leader_phone,
            } = *args;
            let cooperative = NewCooperative {
                name: ShortText::parse(&name, "name").map_err(field_error)?,
                address: ShortText::parse(&address, "address").map_err(field_error)?,
                province: ShortText::parse(&province, "province").map_err(field_error)?,
                commune: ShortText::parse(&commune, "commune").map_err(field_error)?,
                phone: PhoneNumber::parse(&phone, "phone").map_err(field_error)?,
                region: Region::parse(&region, "region").map_err(field_error)?,
                gs1_company_prefix: gs1_prefix
                    .map(|p| Gs1CompanyPrefix::parse(&p, "gs1_prefix"))
                    .transpose()
                    .map_err(field_error)?,
                gln: gln.map(|g| Gln::parse(&g, "gln")).transpose().map_err(field_error)?,
            };
            let leader = NewMember {
                name: ShortText::parse(&leader_name, "leader_name").map_err(field_error)?,
                phone: PhoneNumber::parse(&leader_phone, "leader_phone").map_err(field_error)?,
                role: Role::Leader,
            };
            let store = open_store(&config).await?;
            let (coop, member, token) = store.create_cooperative(cooperative, leader).await?;
            println!(
                "Created cooperative {} \"{}\" with leader {} (member {}).",
                coop.id, coop.name, member.name, member.id
            );
            println!("Leader's API token (shown once, keep it safe): {}", token.token);
        }
        Command::Member {
            command:
                MemberCommand::Add {
                    coop,
                    name,
                    phone,
                    role,
                },
        } => {
            let member = NewMember {
                name: ShortText::parse(&name, "name").map_err(field_error)?,
                phone: PhoneNumber::parse(&phone, "phone").map_err(field_error)?,
                role: Role::parse(&role, "role").map_err(field_error)?,
            };
            let store = open_store(&config).await?;
            store
                .cooperative(coop)
                .await
                .map_err(|_| anyhow::anyhow!("--coop: there is no cooperative {coop}"))?;
            let member = store.add_member(coop, member).await?;
            let token = store.issue_token(member.id, "issued by nguon member add").await?;
            println!(
                "Added {} ({}) as member {} of cooperative {}.",
                member.name, member.role, member.id, coop
            );
            println!(
                "API token {} (shown once, keep it safe): {}",
                token.token_id, token.token
            );
        }
        Command::Token {
            command: TokenCommand::Revoke { id },
        } => {
            let store = open_store(&config).await?;
            let token = store
                .revoke_token(id)
                .await
                .map_err(|e| anyhow::anyhow!("token {id}: {e}"))?;
            println!(
                "Token {} of member {} is revoked (since {}).",
                token.id,
                token.member_id,
                token.revoked_at.unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

struct Bar(ProgressBar);

impl VerifyProgress for Bar {
    fn start(&self, lots: u64, events: u64) {
        self.0.set_length(events);
        self.0.set_message(format!("{lots} lots"));
    }

    fn advance(&self, events: u64) {
        self.0.inc(events);
    }
}

/// Progress of building the lots' public records, counted in lots.
struct Records(ProgressBar);

impl VerifyProgress for Records {
    fn start(&self, lots: u64, _: u64) {
        self.0.set_length(lots);
    }

    fn advance(&self, lots: u64) {
        self.0.inc(lots);
    }
}

async fn verify(store: &Store, keep_checks: bool, sealed: bool) -> anyhow::Result<ExitCode> {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} events ({per_sec}, {eta})") {
        bar.set_style(style);
    }
    let report = if keep_checks {
        store.verify_and_keep(&Bar(bar.clone())).await?
    } else {
        store.verify_all(&Bar(bar.clone())).await?
    };
    bar.finish_and_clear();
    if keep_checks && !sealed {
        eprintln!(
            "note: lots' public records not kept: without seal_secret (NGUON_SEAL_SECRET) the server could not trust them"
        );
    }
    if keep_checks && sealed {
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} lots ({per_sec}, {eta})") {
            bar.set_style(style);
        }
        bar.set_message("public records");
        // The report of what is altered matters more than the records: a failure here (the
        // database busy, say) is told and the report still follows.
        if let Err(error) = store.keep_public_records(&Records(bar.clone())).await {
            eprintln!("warning: lots' public records not all kept: {error}");
        }
        bar.finish_and_clear();
    }
    let results = &report.lots;
    let altered: Vec<_> = results.iter().filter(|r| !r.status.is_intact()).collect();
    let events: u64 = results
        .iter()
        .map(|r| match r.status {
            ChainStatus::Intact { events, .. } => events,
            ChainStatus::Altered { .. } => 0,
        })
        .sum();
    if altered.is_empty() && report.batches.is_empty() {
        println!(
            "All {} lots intact ({} events verified); every label batch verifies.",
            results.len(),
            events
        );
        return Ok(ExitCode::SUCCESS);
    }
    for lot in &altered {
        if let ChainStatus::Altered {
            at_seq,
            event_id,
            reason,
            acknowledged_by,
        } = &lot.status
        {
            let event = event_id.map(|id| format!(" (event {id})")).unwrap_or_default();
            let acknowledged = acknowledged_by
                .map(|seq| format!(" [acknowledged by a leader at event {seq}]"))
                .unwrap_or_default();
            println!(
                "ALTERED cooperative {} lot {} at event {}{}: {}{}",
                lot.cooperative_id, lot.lot_code, at_seq, event, reason, acknowledged
            );
        }
    }
    for batch in &report.batches {
        println!(
            "ALTERED cooperative {} label batch {} (lot {}): {}",
            batch.cooperative_id, batch.batch_id, batch.lot_code, batch.reason
        );
    }
    println!(
        "{} of {} lots altered; {} label batches altered.",
        altered.len(),
        results.len(),
        report.batches.len()
    );
    Ok(ExitCode::FAILURE)
}

/// Ctrl-C, or SIGTERM as systemd and container runtimes send it: either one stops the server
/// gracefully, so the last scan counts are written.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
