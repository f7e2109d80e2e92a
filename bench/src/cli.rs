//! The command line: flags, the `--scenario` grammar and the checks clap cannot express.
//!
//! Every flag has a default that runs against `rollupd dev` on its default port, so
//! `rollup-bench` alone is a meaningful run.

use crate::error::BenchError;
use clap::Parser;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Dev account 0 of the test mnemonic (anvil's and rollupd dev's first funded account).
const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// `rollupd dev`'s embedded L1 on its default port.
const DEV_L1_RPC: &str = "http://127.0.0.1:8545";

/// Most transactions signed before a run. Each holds ~250 bytes in memory with its request
/// text; past this the signing phase alone takes minutes.
const MAX_PRESIGNED: u64 = 20_000_000;

/// Load tester for rollupd and any Ethereum JSON-RPC node: funded accounts send pre-signed
/// transactions as fast as the node takes them; the run reports throughput, inclusion latency
/// and, on a node that speaks `zks_`, settlement on L1.
#[derive(Debug, Parser)]
#[command(name = "rollup-bench", version, about, long_about = None)]
pub(crate) struct Args {
    /// JSON-RPC endpoint of the node under test (http:// or https://).
    #[arg(long, default_value = "http://127.0.0.1:3050")]
    pub(crate) rpc: String,
    /// Rich key that funds the load accounts (default: dev account 0 of the test mnemonic).
    #[arg(long, env = "ROLLUP_BENCH_KEY", default_value = DEV_KEY, hide_env_values = true)]
    pub(crate) private_key: String,
    /// Chain id the endpoint must report; a different answer stops the run before funding.
    #[arg(long)]
    pub(crate) chain_id: Option<u64>,
    /// What the accounts send: `eth`, `fresh` (ETH to a new address each time: every transfer
    /// creates an account, so settlement proves an initial write per transaction), `erc20`,
    /// `deploy`, `deposit` (L1->L2), `withdraw` (L2->L1), or a weighted mix such as
    /// `mix:eth=70,erc20=20,deploy=10`.
    #[arg(long, default_value = "eth")]
    pub(crate) scenario: Scenario,
    /// JSON-RPC endpoint of the L1 the rollup settles on, where deposits are sent (only read
    /// when the scenario has deposits; default: `rollupd dev`'s embedded L1).
    #[arg(long, value_name = "URL", default_value = DEV_L1_RPC)]
    pub(crate) l1_rpc: String,
    /// Number of sending accounts.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub(crate) accounts: u64,
    /// Seconds of sending (the measured window).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) duration: u64,
    /// Most unconfirmed transactions per account.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub(crate) window: u64,
    /// Transactions per JSON-RPC request: each sender sends up to this many of its
    /// transactions in one batch request (a JSON array). 1 sends plain requests.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub(crate) batch: u64,
    /// Most HTTP requests in flight at once, hence most connections: senders beyond it wait
    /// their turn. Nodes limit connections per client address (rollupd: 500, more get 429).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub(crate) connections: u64,
    /// Ceiling on the offered rate: `max-tps x duration` transactions are signed before the run,
    /// split across the accounts. An account that has sent all of its own stops.
    #[arg(long, default_value_t = 40_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_tps: u64,
    /// Offered rate in transactions per second across all accounts (open loop): `rate x
    /// duration` transactions are signed and each account's are spread evenly over the window
    /// (accounts staggered; an account's deposits, which go to the L1, on their own schedule at
    /// their share of the rate). A transaction's latency counts from when it was due, so a node
    /// that falls behind is charged for the wait. Without it, accounts send as fast as their
    /// window lets them.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub(crate) rate: Option<u64>,
    /// Seconds to wait for stragglers after sending stops.
    #[arg(long, default_value_t = 60)]
    pub(crate) drain: u64,
    /// Block poll period in milliseconds (the resolution of the inclusion latency).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub(crate) poll_ms: u64,
    /// Seconds between progress lines when stderr is not a terminal (a terminal gets one line
    /// redrawn twice a second).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) progress_secs: u64,
    /// After the run, wait up to this many seconds for the run's L1 batches to be executed on
    /// L1 (nodes that speak `zks_` only; 0: report whatever settled during the run).
    #[arg(long, default_value_t = 0)]
    pub(crate) settle_wait: u64,
    /// Write `report.json` and the plots `tps.svg`, `latency.svg`, `histogram.svg` into DIR
    /// (created if missing).
    #[arg(long, value_name = "DIR")]
    pub(crate) report: Option<PathBuf>,
}

impl Args {
    /// The checks that involve several flags; a failure exits 2, as a clap error does.
    pub(crate) fn validate(&self) -> Result<(), BenchError> {
        if !(self.rpc.starts_with("http://") || self.rpc.starts_with("https://")) {
            return Err(BenchError::Usage(format!(
                "--rpc must be an http:// or https:// URL, got {}",
                self.rpc
            )));
        }
        if self.scenario.uses(Kind::Deposit)
            && !(self.l1_rpc.starts_with("http://") || self.l1_rpc.starts_with("https://"))
        {
            return Err(BenchError::Usage(format!(
                "--l1-rpc must be an http:// or https:// URL, got {}",
                self.l1_rpc
            )));
        }
        if self.batch > self.window {
            return Err(BenchError::Usage(format!(
                "--batch {} is larger than --window {}: a batch never holds more than the \
                 account's free window slots",
                self.batch, self.window
            )));
        }
        let total = self.presigned_total();
        if total > MAX_PRESIGNED {
            let flag = if self.rate.is_some() { "--rate" } else { "--max-tps" };
            return Err(BenchError::Usage(format!(
                "{flag} {} x --duration {} is {total} transactions to pre-sign (at most \
                 {MAX_PRESIGNED}): lower one of them",
                self.offered_ceiling(),
                self.duration
            )));
        }
        Ok(())
    }

    /// The most transactions per second the run can offer: `--rate`, else `--max-tps`.
    pub(crate) fn offered_ceiling(&self) -> u64 {
        self.rate.unwrap_or(self.max_tps)
    }

    /// Transactions pre-signed for the run, at least one per account.
    pub(crate) fn presigned_total(&self) -> u64 {
        self.offered_ceiling().saturating_mul(self.duration).max(self.accounts)
    }

    /// Pre-signed transactions per account (the total split evenly, rounded up).
    pub(crate) fn per_account(&self) -> usize {
        self.presigned_total().div_ceil(self.accounts) as usize
    }
}

/// One kind of load transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// A 1-wei ETH transfer to the sink address.
    Eth,
    /// `transfer(sink, 1)` on the bench's ERC-20.
    Erc20,
    /// A deployment of the small probe contract.
    Deploy,
    /// An L1 `requestL2Transaction` depositing 1 wei to the deposit sink on L2 (sent to the L1).
    Deposit,
    /// `withdraw(sink)` with 1 wei on the base token system contract (`0x…800a`).
    Withdraw,
    /// A 1-wei ETH transfer to an address nobody used (derived from the sender and its nonce).
    Fresh,
}

/// Number of transaction kinds, for per-kind arrays.
pub(crate) const KINDS: usize = 6;

impl Kind {
    /// Every kind, in report order.
    pub(crate) const ALL: [Kind; KINDS] =
        [Kind::Eth, Kind::Erc20, Kind::Deploy, Kind::Deposit, Kind::Withdraw, Kind::Fresh];

    /// The name used on the command line and in reports.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Eth => "eth",
            Kind::Erc20 => "erc20",
            Kind::Deploy => "deploy",
            Kind::Deposit => "deposit",
            Kind::Withdraw => "withdraw",
            Kind::Fresh => "fresh",
        }
    }

    /// Whether transactions of this kind are sent to the L1 (with the account's L1 nonces).
    pub(crate) fn on_l1(self) -> bool {
        self == Kind::Deposit
    }

    /// Position in [`Kind::ALL`], for per-kind arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Kind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            format!("unknown transaction kind `{s}` (eth, fresh, erc20, deploy, deposit, withdraw)")
        })
    }
}

/// What the load accounts send: one kind, or a weighted mix of kinds.
///
/// A mix is spread evenly along each account's nonces (a smooth weighted round-robin, the
/// same short pattern for every account, shifted by the account's index), so every stretch of
/// a run carries the requested proportions and accounts do not all deploy at the same moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scenario {
    /// Kinds with a non-zero weight, as given.
    weights: Vec<(Kind, u32)>,
    /// One period of the interleaving; its length is the sum of the weights.
    pattern: Vec<Kind>,
    /// `l1_prefix[j]`: L1 kinds among `pattern[..j]` (length `pattern.len() + 1`).
    l1_prefix: Vec<usize>,
    /// Whether the user wrote `mix:` (kept for the label).
    mix: bool,
}

/// Largest sum of mix weights (after reduction); bounds the pattern's length.
const MAX_WEIGHT_SUM: u32 = 10_000;

impl Scenario {
    fn new(mut weights: Vec<(Kind, u32)>, mix: bool) -> Result<Self, String> {
        weights.retain(|(_, w)| *w > 0);
        if weights.is_empty() {
            return Err("a mix needs at least one kind with a weight above 0".into());
        }
        let g = weights.iter().fold(0, |g, (_, w)| gcd(g, *w));
        let reduced: Vec<u32> = weights.iter().map(|(_, w)| w / g).collect();
        let sum: u64 = reduced.iter().map(|w| u64::from(*w)).sum();
        if sum > u64::from(MAX_WEIGHT_SUM) {
            return Err(format!("mix weights reduce to a sum of {sum}; at most {MAX_WEIGHT_SUM}"));
        }
        // Smooth weighted round-robin: each step every kind gains its weight, the richest is
        // picked and pays the total. Exact proportions over each period, evenly interleaved.
        let mut credit = vec![0i64; weights.len()];
        let mut pattern = Vec::with_capacity(sum as usize);
        for _ in 0..sum {
            for (c, w) in credit.iter_mut().zip(&reduced) {
                *c += i64::from(*w);
            }
            let best = (0..credit.len()).max_by_key(|&i| (credit[i], usize::MAX - i)).unwrap_or(0);
            credit[best] -= sum as i64;
            pattern.push(weights[best].0);
        }
        let mut l1_prefix = vec![0];
        for k in &pattern {
            l1_prefix.push(l1_prefix.last().copied().unwrap_or(0) + usize::from(k.on_l1()));
        }
        Ok(Self { weights, pattern, l1_prefix, mix })
    }

    /// The kind of an account's `i`-th transaction.
    pub(crate) fn kind_at(&self, account: usize, i: usize) -> Kind {
        self.pattern[(i + account) % self.pattern.len()]
    }

    /// How many of an account's first `i` transactions go to the L1: the L1 nonce of its
    /// `i`-th transaction if that one does (its L2 nonce is `i` minus this otherwise).
    pub(crate) fn l1_before(&self, account: usize, i: usize) -> usize {
        let len = self.pattern.len();
        let per_period = self.l1_prefix[len];
        // L1 kinds among pattern positions [start, start + n), n < len, wrapping.
        let partial = |start: usize, n: usize| {
            let end = start + n;
            if end <= len {
                self.l1_prefix[end] - self.l1_prefix[start]
            } else {
                per_period - self.l1_prefix[start] + self.l1_prefix[end - len]
            }
        };
        (i / len) * per_period + partial(account % len, i % len)
    }

    /// Whether any transaction of the run is of kind `k`.
    pub(crate) fn uses(&self, k: Kind) -> bool {
        self.weights.iter().any(|(kind, _)| *kind == k)
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let Some(spec) = s.strip_prefix("mix:") else {
            return Self::new(vec![(s.parse()?, 1)], false);
        };
        let mut weights: Vec<(Kind, u32)> = Vec::new();
        for part in spec.split(',') {
            let (name, weight) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: a mix entry is KIND=WEIGHT, e.g. eth=70"))?;
            let kind: Kind = name.trim().parse()?;
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| format!("`{part}`: the weight must be a whole number"))?;
            if weights.iter().any(|(k, _)| *k == kind) {
                return Err(format!("`{}` appears twice in the mix", kind.name()));
            }
            weights.push((kind, weight));
        }
        Self::new(weights, true)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.mix {
            return f.write_str(self.weights[0].0.name());
        }
        f.write_str("mix:")?;
        for (i, (k, w)) in self.weights.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}={w}", k.name())?;
        }
        Ok(())
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_kinds_parse() {
        for k in Kind::ALL {
            let s: Scenario = k.name().parse().unwrap();
            assert_eq!(s.to_string(), k.name());
            assert!((0..10).all(|i| s.kind_at(3, i) == k));
        }
        assert!("transfer".parse::<Scenario>().is_err());
    }

    #[test]
    fn mix_keeps_proportions_and_interleaves() {
        let s: Scenario = "mix:eth=70,erc20=20,deploy=10".parse().unwrap();
        assert_eq!(s.to_string(), "mix:eth=70,erc20=20,deploy=10");
        assert_eq!(s.pattern.len(), 10);
        let kinds: Vec<Kind> = (0..1000).map(|i| s.kind_at(0, i)).collect();
        let count = |k| kinds.iter().filter(|x| **x == k).count();
        assert_eq!((count(Kind::Eth), count(Kind::Erc20), count(Kind::Deploy)), (700, 200, 100));
        // Evenly spread: never two erc20 in a row with these weights.
        assert!(kinds.windows(2).all(|w| !(w[0] == Kind::Erc20 && w[1] == Kind::Erc20)));
        // Accounts are shifted against each other.
        assert_ne!(
            (0..10).map(|i| s.kind_at(0, i)).collect::<Vec<_>>(),
            (0..10).map(|i| s.kind_at(1, i)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn l1_nonces_count_the_deposits_before() {
        let s: Scenario = "mix:eth=80,deposit=10,withdraw=10".parse().unwrap();
        for account in 0..12 {
            let mut l1 = 0;
            for i in 0..50 {
                assert_eq!(s.l1_before(account, i), l1, "account {account}, i {i}");
                l1 += usize::from(s.kind_at(account, i).on_l1());
            }
        }
        let all: Scenario = "deposit".parse().unwrap();
        assert_eq!(all.l1_before(3, 7), 7);
        let none: Scenario = "withdraw".parse().unwrap();
        assert_eq!(none.l1_before(3, 7), 0);
    }

    #[test]
    fn bad_mixes_are_refused() {
        for bad in ["mix:", "mix:eth", "mix:eth=x", "mix:eth=1,eth=2", "mix:eth=0", "mix:nft=1"] {
            assert!(bad.parse::<Scenario>().is_err(), "{bad} accepted");
        }
        assert_eq!("mix:eth=0,deploy=5".parse::<Scenario>().unwrap().to_string(), "mix:deploy=5");
    }
}
