//! Layered configuration: built-in defaults → optional `nguon.toml` → `NGUON_*` environment
//! variables → command-line flags.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything the service can be told.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Config {
    /// `./nguon.db` (SQLite, the default), `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Address to listen on.
    pub bind: String,
    /// `pretty` or `json` logs.
    pub log_format: String,
    /// The public address label QR codes point to (a cooperative's own domain later).
    pub public_url: String,
    /// The TrueType font label sheets are set in; it must have Vietnamese letters.
    pub label_font: String,
    /// Minutes between the server's background re-verifications of the whole database: the
    /// bound on how long an alteration the database's triggers cannot see goes unseen (0: never).
    pub reverify_minutes: u64,
    /// A secret that seals the lots' public records the service keeps in the database, so they
    /// outlive a restart and serve every replica given the same secret. Empty: each process
    /// seals with a random key of its own and rebuilds what another one kept. Never shown.
    pub seal_secret: String,
}

/// Debian's DejaVu Sans (package `fonts-dejavu-core`), which covers Vietnamese.
pub const DEFAULT_LABEL_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "nguon.db".into(),
            bind: "127.0.0.1:8080".into(),
            log_format: "pretty".into(),
            public_url: "http://127.0.0.1:8080".into(),
            label_font: DEFAULT_LABEL_FONT.into(),
            reverify_minutes: 10,
            seal_secret: String::new(),
        }
    }
}

/// Hides a password in a database URL (`postgres://user:secret@host` → `postgres://user:***@host`).
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((credentials, host)) = rest.split_once('@')
        && let Some((user, _)) = credentials.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_owned()
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("log_format", &self.log_format)
            .field("public_url", &self.public_url)
            .field("label_font", &self.label_font)
            .field("reverify_minutes", &self.reverify_minutes)
            .field("seal_secret", &if self.seal_secret.is_empty() { "" } else { "***" })
            .finish()
    }
}

/// Values given on the command line; only those present override.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    /// `--database`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// `--bind`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
}

/// Loads the layers in order; a missing `nguon.toml` is fine, a malformed one is an error.
pub fn load(config_file: &Path, overrides: &Overrides) -> Result<Config, Box<figment::Error>> {
    Figment::from(Serialized::defaults(Config::default()))
        .merge(Toml::file(config_file))
        .merge(Env::prefixed("NGUON_"))
        .merge(Serialized::defaults(overrides))
        .extract()
        .map_err(Box::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_redacted_in_debug_output() {
        let config = Config {
            database_url: "postgres://nguon:hunter2@db/nguon".into(),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://nguon:***@db/nguon"), "{shown}");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure signature is fixed by figment.
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("nguon.toml", "bind = \"0.0.0.0:9000\"\ndatabase_url = \"from-file.db\"")?;
            jail.set_env("NGUON_DATABASE_URL", "from-env.db");
            let config = load(Path::new("nguon.toml"), &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(config.bind, "0.0.0.0:9000");
            assert_eq!(config.database_url, "from-env.db");
            let flags = Overrides {
                database_url: Some("from-flag.db".into()),
                bind: None,
            };
            let config = load(Path::new("nguon.toml"), &flags).map_err(|e| e.to_string())?;
            assert_eq!(config.database_url, "from-flag.db");
            Ok(())
        });
    }
}
