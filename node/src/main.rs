//! `rollupd`: the rollupd node binary.
//!
//! Subcommands: `dev` (embedded L1, Diamond and L2 sequencer in one process), `run` (the sequencer
//! against an external L1), `deploy` (deploys the L1 contract suite through the Rust bindings),
//! `prover` (key setup, verifier generation, remote prover worker) and `bridge` (deposits and
//! withdrawals of ETH).

mod bridge_cmd;
mod config;
mod deploy_cmd;
mod dev;
mod metrics;
mod node;
mod prover_cmd;
mod rpc;
mod settlement;
mod trees;

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
    Dev(NodeArgs),
    /// Run the sequencer against an external L1 described by a config file.
    Run(NodeArgs),
    /// Deploy the L1 contract suite (facets, init, Diamond proxy) and write the addresses as JSON.
    Deploy(Box<deploy_cmd::DeployArgs>),
    /// The proof system: key setup, Solidity verifier, remote prover worker.
    #[command(subcommand)]
    Prover(prover_cmd::ProverCommand),
    /// Move ETH between L1 and the L2: deposit, withdraw, finalize, status (key from
    /// ROLLUPD_BRIDGE_KEY).
    #[command(subcommand)]
    Bridge(bridge_cmd::BridgeCommand),
}

/// Configuration flags shared by `dev` and `run`.
#[derive(Debug, clap::Args)]
struct NodeArgs {
    /// TOML config read over the embedded defaults (required by `run`).
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Data directory (overrides `data_dir`).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// Override one key, e.g. `--set l2.block_time_ms=100` (repeatable; wins over file and env).
    #[arg(long = "set", value_name = "SECTION.KEY=VALUE")]
    sets: Vec<String>,
}

impl NodeArgs {
    /// The configuration, with `defaults` (a command's own, TOML) over the embedded ones.
    fn load(&self, defaults: Option<&str>) -> anyhow::Result<config::NodeConfig> {
        let mut sets = self.sets.clone();
        if let Some(dir) = &self.data_dir {
            let text = dir.to_str().ok_or_else(|| anyhow::anyhow!("--data-dir is not UTF-8"))?;
            sets.push(format!("data_dir={}", toml::Value::String(text.to_string())));
        }
        config::NodeConfig::load_over(defaults, self.config.as_deref(), std::env::vars(), &sets)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        Command::Dev(args) => {
            args.load(None).and_then(|c| runtime().and_then(|rt| rt.block_on(dev::dev(c))))
        }
        Command::Run(args) => {
            if args.config.is_none() {
                eprintln!(
                    "error: `rollupd run` needs --config FILE (see config/dev.toml for the keys)"
                );
                return ExitCode::from(2);
            }
            args.load(Some(config::RUN_DEFAULTS))
                .and_then(|c| runtime().and_then(|rt| rt.block_on(dev::run(c))))
        }
        Command::Deploy(args) => runtime().and_then(|rt| rt.block_on(deploy_cmd::run(*args))),
        Command::Prover(cmd) => prover_cmd::run(cmd),
        Command::Bridge(cmd) => runtime().and_then(|rt| rt.block_on(bridge_cmd::run(cmd))),
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
