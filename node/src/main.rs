//! `rollupd`: the rollupd node binary.
//!
//! Subcommands: `dev` (one-process dev chain, arrives with the L2 chain), `run` (against an external
//! L1, idem) and `deploy` (deploys the L1 contract suite through the Rust bindings).

mod deploy_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The rollupd ZK-rollup sequencer.
#[derive(Debug, Parser)]
#[command(name = "rollupd", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a one-process dev chain (embedded L1 + Diamond + L2 sequencer).
    Dev,
    /// Run the sequencer against an external L1 described by a config file.
    Run {
        /// Path of the TOML config.
        #[arg(long)]
        config: std::path::PathBuf,
    },
    /// Deploy the L1 contract suite (facets, init, Diamond proxy) and write the addresses as JSON.
    Deploy(Box<deploy_cmd::DeployArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Dev | Command::Run { .. } => {
            println!(
                "rollupd: the L2 sequencer is coming (execution, pool, sealer, JSON-RPC, embedded \
                 dev L1). Today rollupd deploys the L1 contract suite: `rollupd deploy --help`."
            );
            Ok(())
        }
        Command::Deploy(args) => runtime().and_then(|rt| rt.block_on(deploy_cmd::run(*args))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
