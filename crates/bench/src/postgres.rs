//! A throw-away PostgreSQL database for one run: `sightline_bench_<unix seconds>`, created on
//! the given server and dropped at the end.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use sqlx::{Connection, PgConnection, Row};

pub struct PgDatabase {
    admin_url: String,
    pub name: String,
    /// The new database's URL, for the server.
    pub url: String,
    /// The server's `synchronous_commit`, which decides durability on PostgreSQL.
    pub synchronous_commit: String,
}

impl PgDatabase {
    pub fn create(admin_url: &str) -> Result<PgDatabase> {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let name = format!("sightline_bench_{unix}");
        let synchronous_commit = block_on(async {
            let mut connection = PgConnection::connect(admin_url)
                .await
                .with_context(|| format!("cannot connect to {}", redact(admin_url)))?;
            sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut connection)
                .await
                .with_context(|| format!("cannot create database {name}"))?;
            let row = sqlx::query("SHOW synchronous_commit")
                .fetch_one(&mut connection)
                .await?;
            let setting: String = row.try_get(0)?;
            connection.close().await?;
            Ok(setting)
        })?;
        Ok(PgDatabase {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
            synchronous_commit,
        })
    }

    /// A database created by an earlier run (`--data-dir`), used as it is and never dropped.
    pub fn existing(url: &str) -> Result<PgDatabase> {
        let synchronous_commit = block_on(async {
            let mut connection = PgConnection::connect(url)
                .await
                .with_context(|| format!("cannot connect to {}", redact(url)))?;
            let row = sqlx::query("SHOW synchronous_commit")
                .fetch_one(&mut connection)
                .await?;
            let setting: String = row.try_get(0)?;
            connection.close().await?;
            Ok(setting)
        })?;
        let path = url.split('?').next().unwrap_or(url);
        Ok(PgDatabase {
            admin_url: url.to_owned(),
            name: path.rsplit('/').next().unwrap_or_default().to_owned(),
            url: url.to_owned(),
            synchronous_commit,
        })
    }

    /// `pg_database_size` of the database: its tables and indexes, without the server's WAL.
    pub fn size_bytes(&self) -> Result<u64> {
        block_on(async {
            let mut connection = PgConnection::connect(&self.admin_url).await?;
            let row = sqlx::query("SELECT pg_database_size($1)")
                .bind(&self.name)
                .fetch_one(&mut connection)
                .await?;
            let bytes: i64 = row.try_get(0)?;
            connection.close().await?;
            Ok(u64::try_from(bytes).unwrap_or(0))
        })
        .with_context(|| format!("cannot read the size of database {}", self.name))
    }

    /// Drops the database (the server must have stopped, or `FORCE` ends its connections).
    pub fn drop_database(&self) -> Result<()> {
        block_on(async {
            let mut connection = PgConnection::connect(&self.admin_url).await?;
            let forced = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
            if sqlx::raw_sql(&forced)
                .execute(&mut connection)
                .await
                .is_err()
            {
                // Before PostgreSQL 13 there is no FORCE.
                let plain = format!("DROP DATABASE IF EXISTS \"{}\"", self.name);
                sqlx::raw_sql(&plain).execute(&mut connection).await?;
            }
            connection.close().await?;
            Ok(())
        })
        .with_context(|| format!("cannot drop database {}", self.name))
    }
}

fn block_on<T>(work: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(work)
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_info = &url[scheme + 3..at];
            let user = user_info.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{redact, with_database};

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "b"),
            "postgres://postgres@127.0.0.1:5432/b"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "b"),
            "postgres://u:p@h/b?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "b"),
            "postgres://h:5432/b"
        );
    }

    #[test]
    fn passwords_are_left_out_of_messages() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u@h/db");
    }
}
