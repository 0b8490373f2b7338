//! Where the server keeps its data for a run: a temporary directory (and, on PostgreSQL, a
//! throw-away database) removed at the end, or with `--data-dir` a directory (and database) kept
//! between runs, with `sightline-bench.json` remembering the keys and what was seeded into it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::cli::Database;
use crate::postgres::PgDatabase;
use crate::server::{Keys, TempDir};

pub const MANIFEST: &str = "sightline-bench.json";
const SQLITE_FILE: &str = "sightline.db";

/// What a data directory holds: the `reads` scenario's seeded data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Seeded {
    /// The scenario whose data set it is (`reads`, `dashboard`).
    pub scenario: String,
    pub traces: usize,
    pub seed: u64,
    /// The trace with 100 observations.
    pub small_trace: String,
    /// The trace with 20,000 observations.
    pub large_trace: String,
    pub seeded_at: String,
    /// The seeding's figures, as its report's JSON gave them.
    pub seeding: Value,
}

pub struct DataDir {
    path: PathBuf,
    _temp: Option<TempDir>,
    pg: Option<PgDatabase>,
    /// Whether the data outlives the run.
    kept: bool,
    pub database: Database,
    pub database_url: String,
    pub keys: Keys,
    /// Set when the directory was seeded by an earlier run.
    pub seeded: Option<Seeded>,
}

impl DataDir {
    /// A fresh temporary directory, or `--data-dir` (created when missing); `keys` are used unless
    /// the directory remembers its own.
    pub fn open(
        kept: Option<&Path>,
        database: Database,
        postgres_url: &str,
        keys: Keys,
    ) -> Result<DataDir> {
        let Some(path) = kept else {
            let temp = TempDir::new()?;
            let pg = match database {
                Database::Postgres => Some(PgDatabase::create(postgres_url)?),
                Database::Sqlite => None,
            };
            return Ok(DataDir {
                path: temp.path().to_owned(),
                _temp: Some(temp),
                database_url: database_url(pg.as_ref()),
                pg,
                kept: false,
                database,
                keys,
                seeded: None,
            });
        };
        std::fs::create_dir_all(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let manifest = path.join(MANIFEST);
        if manifest.exists() {
            let text = std::fs::read_to_string(&manifest)
                .with_context(|| format!("cannot read {}", manifest.display()))?;
            let value: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", manifest.display()))?;
            return open_seeded(path, database, &value)
                .with_context(|| format!("cannot reuse {}", manifest.display()));
        }
        if path.join(SQLITE_FILE).exists() {
            bail!(
                "{} holds {SQLITE_FILE} but no {MANIFEST} (its seeding did not finish?); remove it \
                 or pick another directory",
                path.display()
            );
        }
        let pg = match database {
            Database::Postgres => Some(PgDatabase::create(postgres_url)?),
            Database::Sqlite => None,
        };
        Ok(DataDir {
            path: path.to_owned(),
            _temp: None,
            database_url: database_url(pg.as_ref()),
            pg,
            kept: true,
            database,
            keys,
            seeded: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn kept(&self) -> bool {
        self.kept
    }

    pub fn pg(&self) -> Option<&PgDatabase> {
        self.pg.as_ref()
    }

    /// Bytes of the files in the directory and below it (the SQLite database, its WAL and
    /// shared-memory file, anything else the server keeps there).
    pub fn size_bytes(&self) -> u64 {
        tree_bytes(&self.path)
    }

    /// Bytes of SQLite's write-ahead log (`sightline.db-wal`), which the server may keep at a
    /// bounded size whatever the data; `None` without one.
    pub fn wal_bytes(&self) -> Option<u64> {
        let wal = self.path.join(format!("{SQLITE_FILE}-wal"));
        std::fs::metadata(wal).ok().map(|m| m.len())
    }

    /// Remembers, in a kept directory, what was seeded into it; nothing otherwise.
    pub fn remember(&mut self, seeded: Seeded) -> Result<()> {
        if self.kept {
            let manifest = json!({
                "backend": self.database.name(),
                "database_url": self.database_url,
                "public_key": self.keys.public,
                "secret_key": self.keys.secret,
                "scenario": seeded.scenario,
                "traces": seeded.traces,
                "seed": seeded.seed,
                "small_trace": seeded.small_trace,
                "large_trace": seeded.large_trace,
                "seeded_at": seeded.seeded_at,
                "seeding": seeded.seeding,
            });
            let path = self.path.join(MANIFEST);
            std::fs::write(&path, format!("{manifest:#}\n"))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        self.seeded = Some(seeded);
        Ok(())
    }

    /// Drops a throw-away PostgreSQL database; a kept one stays.
    pub fn close(self) {
        if let Some(pg) = &self.pg
            && !self.kept
            && let Err(error) = pg.drop_database()
        {
            eprintln!("sightline-bench: {error:#}");
        }
    }
}

/// Bytes of the files under `path`; symbolic links are not followed.
fn tree_bytes(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| Some((entry.path(), entry.file_type().ok()?)))
        .map(|(path, kind)| {
            if kind.is_dir() {
                tree_bytes(&path)
            } else if kind.is_file() {
                std::fs::metadata(&path).map_or(0, |m| m.len())
            } else {
                0
            }
        })
        .sum()
}

fn database_url(pg: Option<&PgDatabase>) -> String {
    pg.map_or_else(|| format!("sqlite://{SQLITE_FILE}"), |pg| pg.url.clone())
}

fn open_seeded(path: &Path, database: Database, manifest: &Value) -> Result<DataDir> {
    let text = |key: &str| {
        manifest[key]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no {key}"))
    };
    let backend = text("backend")?;
    if backend != database.name() {
        bail!(
            "it was seeded on {backend}, not {}; pass --database {backend}",
            database.name()
        );
    }
    let database_url = text("database_url")?;
    let pg = match database {
        Database::Postgres => Some(PgDatabase::existing(&database_url)?),
        Database::Sqlite => None,
    };
    let seeded = Seeded {
        // Directories seeded before the dashboard scenario existed hold the reads data set.
        scenario: manifest["scenario"].as_str().unwrap_or("reads").to_owned(),
        traces: manifest["traces"].as_u64().context("no traces")? as usize,
        seed: manifest["seed"].as_u64().context("no seed")?,
        small_trace: text("small_trace")?,
        large_trace: text("large_trace")?,
        seeded_at: text("seeded_at")?,
        seeding: manifest["seeding"].clone(),
    };
    Ok(DataDir {
        path: path.to_owned(),
        _temp: None,
        pg,
        kept: true,
        database,
        database_url,
        keys: Keys {
            public: text("public_key")?,
            secret: text("secret_key")?,
        },
        seeded: Some(seeded),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seeded_directory_is_remembered_and_reopened() {
        let dir =
            std::env::temp_dir().join(format!("sightline-bench-test-{}", uuid::Uuid::new_v4()));
        let keys = || Keys {
            public: "pk-lf-1".into(),
            secret: "sk-lf-1".into(),
        };
        let mut data = DataDir::open(Some(&dir), Database::Sqlite, "", keys()).unwrap();
        assert!(data.kept() && data.seeded.is_none());
        let seeded = Seeded {
            scenario: "reads".into(),
            traces: 10,
            seed: 5,
            small_trace: "s".into(),
            large_trace: "l".into(),
            seeded_at: "2026-01-01T00:00:00Z".into(),
            seeding: json!({"wall_s": 1.5}),
        };
        data.remember(seeded.clone()).unwrap();
        let other = Keys {
            public: "pk-lf-2".into(),
            secret: "sk-lf-2".into(),
        };
        let again = DataDir::open(Some(&dir), Database::Sqlite, "", other).unwrap();
        assert_eq!(again.keys.public, "pk-lf-1");
        assert_eq!(again.database_url, "sqlite://sightline.db");
        assert_eq!(again.seeded, Some(seeded));
        assert!(DataDir::open(Some(&dir), Database::Postgres, "", keys()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
