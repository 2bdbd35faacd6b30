//! Connecting: SQLite (bundled) or PostgreSQL (feature `postgres`), migrations run on
//! connect.

use crate::error::LedgerError;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
#[cfg(feature = "postgres")]
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a ledger is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite: one process (a file may be shared by a few processes on one machine).
    Sqlite,
    /// PostgreSQL: several processes and machines.
    Postgres,
}

/// How to open the ledger's database.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub backend: Backend,
    pub url: String,
    pub in_memory: bool,
}

/// Reads `sqlite::memory:`, `sqlite://PATH`, a bare file path, or `postgres://...`.
pub(crate) fn target(url: &str) -> Result<Target, LedgerError> {
    if url == "sqlite::memory:" || url == ":memory:" {
        return Ok(Target {
            backend: Backend::Sqlite,
            url: "sqlite::memory:".into(),
            in_memory: true,
        });
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        if cfg!(feature = "postgres") {
            return Ok(Target {
                backend: Backend::Postgres,
                url: url.to_owned(),
                in_memory: false,
            });
        }
        return Err(LedgerError::UnsupportedDatabase {
            scheme: "postgres".into(),
            reason: "this build of payhub-ledger has no feature `postgres`",
        });
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = if path.contains("mode=") {
            format!("sqlite://{path}")
        } else {
            format!("sqlite://{path}{sep}mode=rwc")
        };
        return Ok(Target {
            backend: Backend::Sqlite,
            url,
            in_memory: false,
        });
    }
    if let Some((scheme, _)) = url.split_once("://") {
        return Err(LedgerError::UnsupportedDatabase {
            scheme: scheme.to_owned(),
            reason: "expected sqlite: or postgres:// (or a file path)",
        });
    }
    Ok(Target {
        backend: Backend::Sqlite,
        url: format!("sqlite://{url}?mode=rwc"),
        in_memory: false,
    })
}

/// Opens the pool and applies the embedded migrations.
pub(crate) async fn open(target: &Target, max_connections: u32) -> Result<AnyPool, LedgerError> {
    install_default_drivers();
    let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
    options = match (target.backend, target.in_memory) {
        // One connection is one in-memory database: keep exactly one, forever.
        (Backend::Sqlite, true) => options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None),
        (Backend::Sqlite, false) => options.max_connections(max_connections.max(1)),
        (Backend::Postgres, _) => options.max_connections(max_connections.max(1)),
    };
    if target.backend == Backend::Sqlite {
        options = options.after_connect(|conn, _meta| {
            Box::pin(async move {
                // WAL lets readers run beside the one writer; the busy timeout makes writers
                // from other connections and processes wait instead of failing.
                conn.execute(sqlx::raw_sql(
                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 30000; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                ))
                .await?;
                Ok(())
            })
        });
    }
    let pool = options.connect(&target.url).await?;
    match target.backend {
        Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
        #[cfg(feature = "postgres")]
        Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        #[cfg(not(feature = "postgres"))]
        Backend::Postgres => {
            return Err(LedgerError::UnsupportedDatabase {
                scheme: "postgres".into(),
                reason: "this build of payhub-ledger has no feature `postgres`",
            });
        }
    }
    Ok(pool)
}

/// Now, in Unix milliseconds (the ledger's time column type).
pub(crate) fn now_ms() -> i64 {
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(target("sqlite::memory:").unwrap().in_memory);
        assert_eq!(
            target("/tmp/l.db").unwrap().url,
            "sqlite:///tmp/l.db?mode=rwc"
        );
        assert_eq!(
            target("sqlite:///tmp/l.db").unwrap().url,
            "sqlite:///tmp/l.db?mode=rwc"
        );
        assert!(matches!(
            target("mysql://x"),
            Err(LedgerError::UnsupportedDatabase { .. })
        ));
    }
}
