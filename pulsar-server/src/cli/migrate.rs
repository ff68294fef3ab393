//! `pulsar migrate`: applies the schema to the database and exits; the store applies every
//! migration it has not yet applied when it opens, and nothing else.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use pulsar_server::config::DEFAULT_DATA_DIR;
use pulsar_store::{PgOptions, PgStore, SqliteStore};

#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    /// PostgreSQL to migrate (postgres://user@host/db); without it, the embedded database
    /// in --data-dir.
    #[arg(long, env = "PULSAR_DATABASE_URL")]
    database_url: Option<String>,
    /// Directory of the embedded database.
    #[arg(long, env = "PULSAR_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
}

pub(crate) fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let migrated = runtime.block_on(async {
        match &args.database_url {
            Some(url) => {
                let options = PgOptions::new(url).fold_interval(None);
                let store = PgStore::connect_with(options)
                    .await
                    .with_context(|| format!("cannot migrate {}", pulsar_core::redact_url(url)))?;
                store.close().await;
                anyhow::Ok(pulsar_core::redact_url(url).into_owned())
            }
            None => {
                std::fs::create_dir_all(&args.data_dir).with_context(|| {
                    format!(
                        "cannot create the data directory {}",
                        args.data_dir.display()
                    )
                })?;
                let path = args.data_dir.join("pulsar.db");
                let store = SqliteStore::open(&path)
                    .await
                    .with_context(|| format!("cannot migrate {}", path.display()))?;
                store.close().await;
                Ok(path.display().to_string())
            }
        }
    })?;
    println!("migrated {migrated}");
    Ok(ExitCode::SUCCESS)
}
