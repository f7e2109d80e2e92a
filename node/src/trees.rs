//! The node's supervision trees, one list each: which actors run, in which order, and the
//! handles each is given. An entry is an actor's `spec(args, budget)`, and its args are all it
//! touches: the tables it writes (a writer handle, one per table), what it reads, the feeds and
//! metrics it updates and the event bus. Adding an actor touches its own file and one list here.
//!
//! Children start in list order and stop in reverse (the sealer stops before the pool it takes
//! from, the eth sender first).
//!
//! | tree | children |
//! | --- | --- |
//! | a chain (`l1`, `l2`) | [`sequencer`] (pool, sealer), then on the L2 [`settlement`] (batcher, tree writer, eth watcher, eth sender) |
//! | `prover` (once the keys are loaded) | [`provers`] (exchange, local provers, gateway) |

use crate::config::NodeConfig;
use crate::node::OpenChain;
use crate::settlement::{budget, Proofs, ProverParts, SettlementParts};
use rollup_actors::sequencer::pool::actor::{self as pool_actor, PoolArgs};
use rollup_actors::sequencer::sealer::{self, SealerArgs};
use rollup_actors::settlement::backlog::BacklogGauge;
use rollup_actors::settlement::{batcher, tree_writer};
use rollup_actors::storage::chain::ChainWriters;
use rollup_prover::keys::KeySet;
use rollup_supervision::ChildSpec;
use std::sync::Arc;
use std::time::Duration;

/// The pool and the sealer of `chain`, each with its writer of `writers`. The pool refuses
/// submissions while `backlog` is set (never, on a chain that does not settle:
/// [`BacklogGauge::open`]).
pub(crate) fn sequencer(
    config: &NodeConfig,
    chain: &OpenChain,
    writers: &ChainWriters,
    backlog: BacklogGauge,
) -> Vec<ChildSpec> {
    let budget = budget(config);
    vec![
        pool_actor::spec(
            PoolArgs {
                config: chain.config.clone(),
                store: writers.pool.clone(),
                slot: chain.slots.pool.clone(),
                sealer: chain.slots.sealer.clone(),
                admitted: chain.admitted.clone(),
                backlog,
                metrics: chain.metrics.pool.clone(),
                events: chain.events.clone(),
            },
            budget,
        ),
        sealer::spec(
            SealerArgs {
                config: chain.config.clone(),
                store: writers.blocks.clone(),
                slot: chain.slots.sealer.clone(),
                pool: chain.slots.pool.clone(),
                blocks: chain.blocks.clone(),
                metrics: chain.metrics.sealer.clone(),
                events: chain.events.clone(),
            },
            budget,
        ),
    ]
}

/// The settlement actors of the L2 in `chain`: batcher, tree writer, eth watcher (with the
/// priority tables' writer of `writers`) and (unless `eth_sender.enabled = false`) the eth
/// sender.
pub(crate) fn settlement(
    config: &NodeConfig,
    chain: &OpenChain,
    writers: &ChainWriters,
    parts: &SettlementParts,
) -> Vec<ChildSpec> {
    let budget = budget(config);
    let b = &config.batcher;
    let mut children = vec![
        batcher::spec(
            batcher::BatcherArgs {
                config: batcher::BatcherConfig {
                    limits: batcher::criteria::Limits {
                        max_writes: b.max_writes,
                        max_pubdata_bytes: b.max_pubdata_bytes,
                        max_l2_logs: b.max_l2_logs,
                        max_blocks: b.max_blocks,
                        max_age: Duration::from_millis(b.max_age_ms),
                        max_age_behind: Duration::from_millis(b.max_age_behind_ms),
                        max_bytecodes: b.max_bytecodes,
                        max_priority_ops: b.max_priority_ops,
                        l1: config.l1.tx_limits(),
                        chunk_records: b.chunk_records as usize,
                    },
                    chunk_records: b.chunk_records,
                },
                blocks: chain.store.clone(),
                batches: parts.batch_writers.batches.clone(),
                events: chain.events.clone(),
                metrics: chain.metrics.batcher.clone(),
                proving: Some(parts.proving_load()),
            },
            budget,
        ),
        tree_writer::spec(
            tree_writer::TreeWriterArgs {
                batches: parts.batch_writers.tree_results.clone(),
                tree: parts.tree.clone(),
                events: chain.events.clone(),
                metrics: chain.metrics.tree.clone(),
            },
            budget,
        ),
    ];
    let w = &config.eth_watcher;
    children.push(rollup_eth::watcher::spec(
        rollup_eth::watcher::WatcherArgs {
            config: rollup_eth::watcher::WatcherConfig {
                diamond: parts.l1.diamond,
                confirmations: config.l1.confirmations,
                from_block: parts.l1.from_block,
                max_range: w.max_blocks_per_scan,
                poll: Duration::from_millis(w.poll_ms),
            },
            provider: parts.provider.clone(),
            priority: writers.priority.clone(),
            events: chain.events.clone(),
        },
        budget,
    ));
    if config.eth_sender.enabled {
        let e = &config.eth_sender;
        let operator = parts.l1.operator.clone();
        children.push(rollup_eth::sender::spec(
            rollup_eth::EthSenderArgs {
                config: rollup_eth::EthSenderConfig {
                    diamond: parts.l1.diamond,
                    chain_id: parts.l1.chain_id,
                    confirmations: config.l1.confirmations,
                    max_batches_per_tx: e.max_batches_per_tx,
                    limits: config.l1.tx_limits(),
                    resend_after: Duration::from_millis(e.resend_after_ms),
                    fee_bump_percent: e.fee_bump_percent,
                    poll: Duration::from_millis(e.poll_ms),
                    max_uncommitted_batches: e.max_uncommitted_batches,
                    max_unproven_writes: e.max_unproven_writes,
                    max_finality_secs: e.max_finality_secs,
                },
                provider: parts.provider.clone(),
                operator: operator.address(),
                wallet: alloy::network::EthereumWallet::from(operator),
                genesis: parts.l1.genesis.clone(),
                batches: parts.batches.clone(),
                store: parts.sender_writer.clone(),
                proofs: Arc::new(Proofs(parts.proofs.clone())),
                events: chain.events.clone(),
                metrics: parts.sender_metrics.clone(),
                backlog: parts.backlog.clone(),
                digests: Default::default(),
                proving: Some(parts.proving_load()),
            },
            budget,
        ));
    }
    children
}

/// The prover tree: the exchange, `prover.local_workers` local provers, and the gateway for
/// remote provers when `prover.gateway_addr` is set and a bearer token is given.
pub(crate) fn provers(
    config: &NodeConfig,
    parts: &ProverParts,
    keys: Arc<KeySet>,
    gateway_token: Option<String>,
) -> Vec<ChildSpec> {
    use rollup_prover::{actor, exchange, gateway};
    let budget = budget(config);
    let slot = exchange::ExchangeSlot::default();
    let mut children = vec![exchange::spec(
        exchange::ExchangeArgs {
            db: parts.db.clone(),
            vks: keys.verifying_keys(),
            lease_timeout: Duration::from_millis(config.prover.lease_ms),
            source: Some(parts.jobs.clone()),
            events: parts.events.clone(),
            slot: slot.clone(),
            leased: parts.leased.clone(),
        },
        budget,
    )];
    for i in 0..config.prover.local_workers {
        let (progress, _) = tokio::sync::watch::channel(Default::default());
        let args = actor::ProverArgs::new(
            format!("local-{i}"),
            slot.clone(),
            keys.clone(),
            Duration::from_millis(500),
            progress,
        );
        children.push(actor::spec(args, budget).named(format!("prover_{i}")));
    }
    if !config.prover.gateway_addr.is_empty() {
        match gateway_token {
            Some(token) => children.push(gateway::spec(
                gateway::GatewayArgs {
                    addr: config.prover.gateway_addr.parse().expect("validated at start"),
                    token,
                    exchange: slot,
                },
                budget,
            )),
            None => {
                tracing::info!(target: "rollup::prover", "no ROLLUPD_PROVER_TOKEN or prover.token_file: the prover gateway is off")
            }
        }
    }
    children
}
