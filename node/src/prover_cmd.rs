//! `rollupd prover ...`: key setup, verifier generation and the remote prover worker.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use rollup_prover::{
    circuit::Shape,
    keys::{KeySet, DEV_SEED, DEV_SHAPES},
    solidity,
    worker::{self, GatewayClient},
};

/// `rollupd prover` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ProverCommand {
    /// Generate proving and verifying keys, one pair per circuit, into a directory.
    Setup(SetupArgs),
    /// Write the Solidity verifier for a key directory (or the dev keys).
    Verifier(VerifierArgs),
    /// Prove jobs from a prover gateway until stopped.
    Worker(WorkerArgs),
}

/// Which keys to use.
#[derive(Debug, clap::Args)]
pub(crate) struct KeyArgs {
    /// Directory of key files (`state_diff_<circuit>.key`).
    #[arg(long, conflicts_with = "dev")]
    keys: Option<PathBuf>,
    /// Use the deterministic dev keys (INSECURE), computed on the fly.
    #[arg(long)]
    dev: bool,
    /// Circuits, comma-separated: a capacity (records per proof, `15`) or a repeated-only
    /// capacity (`r15`, for chunks with no initial write; about half the constraints).
    #[arg(long, value_delimiter = ',', default_values_t = DEV_SHAPES)]
    capacities: Vec<Shape>,
}

impl KeyArgs {
    fn load(&self) -> anyhow::Result<KeySet> {
        check_capacities(&self.capacities)?;
        match (&self.keys, self.dev) {
            (Some(dir), false) => Ok(KeySet::load(dir, &self.capacities)?),
            (None, true) => {
                warn_insecure();
                Ok(KeySet::dev(&self.capacities, DEV_SEED)?)
            }
            _ => bail!("say which keys: --keys DIR (from `rollupd prover setup`) or --dev"),
        }
    }
}

/// `rollupd prover setup`.
#[derive(Debug, clap::Args)]
pub(crate) struct SetupArgs {
    /// Deterministic dev keys from a public seed. Required: production keys come from a
    /// multi-party ceremony (docs/proof.md), never from a single machine.
    #[arg(long)]
    dev: bool,
    /// Circuits, comma-separated: a capacity (records per proof, `15`) or a repeated-only
    /// capacity (`r15`, for chunks with no initial write; about half the constraints).
    #[arg(long, value_delimiter = ',', default_values_t = DEV_SHAPES)]
    capacities: Vec<Shape>,
    /// Where to write the key files.
    #[arg(long)]
    out: PathBuf,
}

/// `rollupd prover verifier`.
#[derive(Debug, clap::Args)]
pub(crate) struct VerifierArgs {
    #[command(flatten)]
    keys: KeyArgs,
    /// Output file (the contract goes to stdout otherwise).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `rollupd prover worker`.
#[derive(Debug, clap::Args)]
pub(crate) struct WorkerArgs {
    /// The prover gateway, e.g. `http://10.0.0.5:3320`.
    #[arg(long)]
    gateway: String,
    /// The gateway's bearer token.
    #[arg(long, env = "ROLLUPD_PROVER_TOKEN", hide_env_values = true)]
    token: String,
    /// This worker's name in leases and logs (default: host name and process id).
    #[arg(long)]
    name: Option<String>,
    /// Wait between polls when there is no job, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    poll_ms: u64,
    #[command(flatten)]
    keys: KeyArgs,
}

fn check_capacities(capacities: &[Shape]) -> anyhow::Result<()> {
    // Each capacity's range is checked as it is parsed.
    if !capacities.iter().any(|s| !s.repeated_only) {
        bail!("--capacities needs a general circuit (e.g. 15): repeated-only ones (r15) cannot prove a chunk with an initial write");
    }
    Ok(())
}

fn warn_insecure() {
    eprintln!(
        "\n  WARNING: INSECURE DEV KEYS. They are derived from a public seed: anyone can forge\n  \
         proofs against them. Use them for development only; production keys come from a\n  \
         multi-party ceremony (docs/proof.md).\n"
    );
}

pub(crate) fn run(cmd: ProverCommand) -> anyhow::Result<()> {
    match cmd {
        ProverCommand::Setup(args) => setup(&args),
        ProverCommand::Verifier(args) => {
            let keys = args.keys.load()?;
            let contract = solidity::generate(&keys.verifying_keys());
            match args.out {
                Some(path) => std::fs::write(&path, contract)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{contract}"),
            }
            Ok(())
        }
        ProverCommand::Worker(args) => {
            let keys = Arc::new(args.keys.load()?);
            let name = args.name.unwrap_or_else(|| format!("worker-{}", std::process::id()));
            let client = GatewayClient::new(&args.gateway, &args.token);
            let poll = Duration::from_millis(args.poll_ms.max(10));
            crate::runtime()?.block_on(async move {
                tokio::select! {
                    r = worker::run(client, name, keys, poll) => r.context("prover worker"),
                    _ = tokio::signal::ctrl_c() => Ok(()),
                }
            })
        }
    }
}

fn setup(args: &SetupArgs) -> anyhow::Result<()> {
    check_capacities(&args.capacities)?;
    if !args.dev {
        bail!(
            "refusing a single-party setup for production keys: run a multi-party ceremony and \
             convert its output to key files (docs/proof.md), or pass --dev for insecure dev keys"
        );
    }
    warn_insecure();
    let mut set = KeySet::default();
    for c in &args.capacities {
        let t = Instant::now();
        set.insert(rollup_prover::keys::Keys::dev_setup(*c, DEV_SEED)?);
        eprintln!("circuit {c}: keys in {:.1} s", t.elapsed().as_secs_f64());
    }
    set.write(&args.out)?;
    println!("verification key hash {}", solidity::vk_hash(&set.verifying_keys()));
    println!("wrote {} key file(s) to {}", args.capacities.len(), args.out.display());
    Ok(())
}
