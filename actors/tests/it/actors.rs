//! The supervised pool and sealer: real actor panics injected in the middle of their work
//! (`test-utils` faults), restarts from redb, and the restart budget.

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{address, Address, TxKind, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use ractor::rpc::CallResult;
use rollup_actors::events::fault::{Action, Point};
use rollup_actors::events::EventBus;
use rollup_actors::execution::block::ChainSpec;
use rollup_actors::execution::validation::{validate_stateless, ValidationConfig};
use rollup_actors::sequencer::chain::{
    init_genesis, unix_now, AdmittedFeed, BlockFeed, ChainConfig,
};
use rollup_actors::sequencer::pool::actor::{PoolArgs, PoolMetrics, PoolMsg, SubmitError};
use rollup_actors::sequencer::pool::PoolConfig;
use rollup_actors::sequencer::protocol::CoreSlots;
use rollup_actors::sequencer::sealer::{SealerArgs, SealerMetrics};
use rollup_actors::settlement::backlog::BacklogGauge;
use rollup_actors::storage::chain::{ChainStore, ChainWriters};
use rollup_supervision::{
    ChildSpec, RestartBudget, Supervisor, SupervisorArgs, SupervisorMsg, SupervisorStatus,
};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TO: Address = address!("0x0000000000000000000000000000000000000b0b");

pub(crate) fn key() -> PrivateKeySigner {
    rollup_test_utils::signer(0)
}

pub(crate) fn config() -> ChainConfig {
    ChainConfig {
        spec: ChainSpec {
            chain_id: 270,
            gas_limit: 30_000_000,
            base_fee: 1,
            coinbase: Address::ZERO,
            settle: Some(rollup_actors::execution::block::SettleLimits::DEV),
        },
        validation: ValidationConfig { min_gas_price: 1, ..ValidationConfig::default() },
        pool: PoolConfig::default(),
        block_time_ms: 20,
        max_block_txs: 100,
        max_block_bytes: 1 << 20,
        name: "test".into(),
        system_contracts: true,
    }
}

/// A chain under test: the parts the node's composition root would split among the pool, the
/// sealer and the RPC, with the handles a test looks at.
pub(crate) struct TestChain {
    pub(crate) config: Arc<ChainConfig>,
    pub(crate) store: ChainStore,
    pub(crate) writers: ChainWriters,
    pub(crate) slots: CoreSlots,
    pub(crate) events: EventBus,
    pub(crate) blocks: BlockFeed,
    pub(crate) admitted: AdmittedFeed,
    pub(crate) pool_metrics: Arc<PoolMetrics>,
    pub(crate) metrics: Arc<SealerMetrics>,
    pub(crate) status: Arc<SupervisorStatus>,
    pub(crate) budget: RestartBudget,
}

impl TestChain {
    /// Opens the chain in `dir` with `cfg` and `alloc` at genesis.
    fn open(
        dir: &tempfile::TempDir,
        cfg: ChainConfig,
        max_restarts: u32,
        alloc: &[(Address, U256)],
    ) -> Self {
        let (store, writers) = ChainStore::open(&dir.path().join("chain.redb")).unwrap();
        init_genesis(&cfg, &writers.blocks, alloc, unix_now()).unwrap();
        Self {
            config: Arc::new(cfg),
            store,
            writers,
            slots: CoreSlots::default(),
            events: EventBus::new(),
            blocks: BlockFeed::default(),
            admitted: AdmittedFeed::default(),
            pool_metrics: Default::default(),
            metrics: Default::default(),
            status: Default::default(),
            budget: RestartBudget { max_restarts, window: Duration::from_secs(60) },
        }
    }

    /// The pool's child spec, finding the sealer in `slots`.
    pub(crate) fn pool_spec_with(&self, slots: &CoreSlots) -> ChildSpec {
        rollup_actors::sequencer::pool::actor::spec(
            PoolArgs {
                config: self.config.clone(),
                store: self.writers.pool.clone(),
                slot: slots.pool.clone(),
                sealer: slots.sealer.clone(),
                admitted: self.admitted.clone(),
                backlog: BacklogGauge::open(),
                metrics: self.pool_metrics.clone(),
                events: self.events.clone(),
            },
            self.budget,
        )
    }

    /// The pool's child spec.
    pub(crate) fn pool_spec(&self) -> ChildSpec {
        self.pool_spec_with(&self.slots)
    }

    /// The sealer's child spec.
    pub(crate) fn sealer_spec(&self) -> ChildSpec {
        rollup_actors::sequencer::sealer::spec(
            SealerArgs {
                config: self.config.clone(),
                store: self.writers.blocks.clone(),
                slot: self.slots.sealer.clone(),
                pool: self.slots.pool.clone(),
                blocks: self.blocks.clone(),
                metrics: self.metrics.clone(),
                events: self.events.clone(),
            },
            self.budget,
        )
    }

    pub(crate) fn pool(&self) -> Option<rollup_actors::sequencer::pool::actor::PoolRef> {
        self.slots.pool.get()
    }

    /// Makes the next actor of this chain that reaches `point` panic there.
    pub(crate) fn arm(&self, point: Point) {
        self.events.faults().arm(point, Action::Panic);
    }

    pub(crate) fn account(
        &self,
        address: Address,
    ) -> Result<
        rollup_actors::execution::validation::AccountView,
        rollup_actors::storage::chain::StoreError,
    > {
        self.store.account(address)
    }

    pub(crate) fn fatal(&self) -> Option<String> {
        self.status.fatal()
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.status.is_stopping()
    }
}

pub(crate) type Sup = (ractor::ActorRef<SupervisorMsg>, tokio::task::JoinHandle<()>);

/// One ether, in wei.
pub(crate) fn ether() -> U256 {
    U256::from(10u64).pow(U256::from(18u64))
}

/// Opens the chain in `dir` with `cfg` and `alloc` at genesis, and starts the children
/// `children` builds from it under a supervisor.
pub(crate) async fn start_custom(
    dir: &tempfile::TempDir,
    cfg: ChainConfig,
    max_restarts: u32,
    alloc: &[(Address, U256)],
    children: impl FnOnce(&TestChain) -> Vec<ChildSpec>,
) -> (TestChain, Sup) {
    let chain = TestChain::open(dir, cfg, max_restarts, alloc);
    let children = children(&chain);
    let sup = supervise(&chain, children).await;
    (chain, sup)
}

/// Starts more children of `chain` under a supervisor of their own (e.g. a sealer that joins a
/// running pool).
pub(crate) async fn supervise(chain: &TestChain, children: Vec<ChildSpec>) -> Sup {
    let args = SupervisorArgs { name: "test".into(), children, status: chain.status.clone() };
    Supervisor::start(args).await.unwrap()
}

/// Opens the chain in `dir` and starts pool, sealer and `extra` children under a supervisor.
pub(crate) async fn start_with(
    dir: &tempfile::TempDir,
    max_restarts: u32,
    extra: impl FnOnce(&TestChain) -> Vec<ChildSpec>,
) -> (TestChain, ractor::ActorRef<SupervisorMsg>, tokio::task::JoinHandle<()>) {
    let alloc = [(key().address(), ether())];
    let (chain, (sup, handle)) = start_custom(dir, config(), max_restarts, &alloc, |chain| {
        let mut children = vec![chain.pool_spec(), chain.sealer_spec()];
        children.extend(extra(chain));
        children
    })
    .await;
    (chain, sup, handle)
}

async fn start(
    dir: &tempfile::TempDir,
    max_restarts: u32,
) -> (TestChain, ractor::ActorRef<SupervisorMsg>, tokio::task::JoinHandle<()>) {
    start_with(dir, max_restarts, |_| vec![]).await
}

pub(crate) fn tx(nonce: u64) -> rollup_actors::execution::validation::ValidTx {
    let t = TxEip1559 {
        chain_id: 270,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(TO),
        value: U256::from(1),
        ..Default::default()
    };
    let sig = key().sign_hash_sync(&t.signature_hash()).unwrap();
    let raw = TxEnvelope::from(t.into_signed(sig)).encoded_2718();
    validate_stateless(&raw, &config().validation).unwrap()
}

pub(crate) async fn submit(chain: &TestChain, nonce: u64) -> Result<B256, String> {
    submit_tx(chain, tx(nonce)).await
}

/// Submits `tx` to the running pool (waiting for one to run); its hash, or the error's text.
pub(crate) async fn submit_tx(
    chain: &TestChain,
    tx: rollup_actors::execution::validation::ValidTx,
) -> Result<B256, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let pool = loop {
        if let Some(p) = chain.pool() {
            break p;
        }
        assert!(Instant::now() < deadline, "pool never came back");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    match pool.call(|r| PoolMsg::Submit(Box::new(tx), r), Some(Duration::from_secs(5))).await {
        Ok(CallResult::Success(Ok(h))) => Ok(h),
        Ok(CallResult::Success(Err(e))) => Err(e.to_string()),
        other => Err(format!("no answer: {other:?}")),
    }
}

pub(crate) async fn wait_included(chain: &TestChain, hash: B256) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(t) = chain.store.transaction(hash).unwrap() {
            return t.block;
        }
        assert!(Instant::now() < deadline, "{hash} never included");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sealer_crash_before_commit_is_restarted_and_the_block_sealed_once() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, _sup, _h) = start(&dir, 5).await;
    chain.arm(Point::SealerBeforeCommit);
    let hash = submit(&chain, 0).await.unwrap();
    let block = wait_included(&chain, hash).await;
    assert_eq!(block, 1, "nothing was committed by the crashed attempt");
    assert_eq!(chain.status.restarts.load(Ordering::Relaxed), 1);
    assert_eq!(chain.store.head().unwrap().unwrap().0, 1);
    assert_eq!(chain.account(key().address()).unwrap().nonce, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sealer_crash_after_commit_neither_loses_nor_repeats_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, _sup, _h) = start(&dir, 5).await;
    chain.arm(Point::SealerAfterCommit);
    let first = submit(&chain, 0).await.unwrap();
    assert_eq!(wait_included(&chain, first).await, 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while chain.status.restarts.load(Ordering::Relaxed) == 0 {
        assert!(Instant::now() < deadline, "sealer was not restarted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = submit(&chain, 1).await.unwrap();
    assert_eq!(wait_included(&chain, second).await, 2);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        chain.store.head().unwrap().unwrap().0,
        2,
        "the first transaction was not sealed twice"
    );
    assert_eq!(chain.account(key().address()).unwrap().nonce, 2);
    assert!(
        chain.store.pool_entries().unwrap().is_empty(),
        "included transactions left the persisted pool"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pool_crash_loses_only_unacknowledged_submissions() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, _sup, _h) = start(&dir, 5).await;
    // Future nonces: pooled but not executable, so they stay in the pool across the crash.
    submit(&chain, 5).await.unwrap();
    assert_eq!(chain.store.pool_entries().unwrap().len(), 1, "persisted before acknowledged");
    chain.arm(Point::PoolBeforeFlush);
    let lost = submit(&chain, 6).await;
    assert!(lost.is_err(), "the crashed submission was not acknowledged: {lost:?}");
    // The restarted pool has the acknowledged transaction and takes the other one again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(p) = chain.pool() {
            if let Ok(CallResult::Success(n)) =
                p.call(PoolMsg::Len, Some(Duration::from_secs(1))).await
            {
                assert_eq!(n, 1, "restored from redb");
                break;
            }
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    submit(&chain, 6).await.expect("the lost submission can be sent again");
    let again = submit(&chain, 5).await;
    assert_eq!(
        again,
        Err(SubmitError::Pool(rollup_actors::sequencer::pool::PoolError::AlreadyKnown).to_string())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_restart_budget_the_chain_stops_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, _sup, handle) = start(&dir, 2).await;
    for nonce in 0..3 {
        chain.arm(Point::SealerBeforeCommit);
        let _ = submit(&chain, nonce).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while chain.status.restarts.load(Ordering::Relaxed) < (nonce + 1).min(2)
            && chain.fatal().is_none()
        {
            assert!(Instant::now() < deadline, "no restart after fault {nonce}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if chain.fatal().is_some() {
            break;
        }
        // Wait for the fault to be consumed before arming the next one.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .expect("supervisor stopped")
        .unwrap();
    let why = chain.fatal().expect("a reason");
    assert!(why.contains("restart budget"), "{why}");
    assert!(chain.pool().is_none() || chain.is_stopping());
}

#[tokio::test(flavor = "multi_thread")]
async fn graceful_shutdown_answers_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, sup, handle) = start(&dir, 5).await;
    let h = submit(&chain, 0).await.unwrap();
    wait_included(&chain, h).await;
    sup.call(SupervisorMsg::Shutdown, Some(Duration::from_secs(10))).await.unwrap();
    handle.await.unwrap();
    assert!(chain.fatal().is_none());
    drop(chain);
    // Reopen: same head, same block hash.
    let (chain2, _s, _h) = start(&dir, 5).await;
    assert_eq!(chain2.store.head().unwrap().unwrap().0, 1);
    assert_eq!(chain2.store.transaction(h).unwrap().unwrap().block, 1);
}

/// L1 mode: only a submission wakes the sealer. A transaction the pool persisted but never
/// announced (it panicked in between) is restored by the restarted pool and must be sealed
/// without another submission.
#[tokio::test(flavor = "multi_thread")]
async fn l1_mode_seals_what_a_restarted_pool_restored() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ChainConfig { block_time_ms: 0, ..config() };
    let alloc = [(key().address(), ether())];
    let (chain, _sup) =
        start_custom(&dir, cfg, 5, &alloc, |chain| vec![chain.pool_spec(), chain.sealer_spec()])
            .await;
    let first = submit(&chain, 0).await.unwrap();
    assert_eq!(wait_included(&chain, first).await, 1);
    chain.arm(Point::PoolAfterFlush);
    let lost = submit(&chain, 1).await;
    assert!(lost.is_err(), "the pool panicked before answering: {lost:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while chain.status.restarts.load(Ordering::Relaxed) == 0 {
        assert!(Instant::now() < deadline, "pool was not restarted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Durable before the panic, so restored and sealed: nobody submits anything else.
    assert_eq!(wait_included(&chain, tx(1).hash).await, 2);
    assert!(chain.store.pool_entries().unwrap().is_empty());
}

/// L1 mode: a sealer that finds no pool (it is being restarted) asks again, rather than leaving
/// what the pool holds until the next submission. Here the pool's own wake-up is lost (it has
/// no sealer to wake), so only the sealer's retry can seal the transaction.
#[tokio::test(flavor = "multi_thread")]
async fn l1_mode_sealer_asks_again_when_the_pool_is_away() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ChainConfig { block_time_ms: 0, ..config() };
    let alloc = [(key().address(), ether())];
    // The sealer starts first: its first seal finds no pool.
    let (chain, _sup) = start_custom(&dir, cfg, 5, &alloc, |chain| vec![chain.sealer_spec()]).await;
    // A transaction the pool persisted before it went away.
    let pending = tx(0);
    chain
        .writers
        .pool
        .pool_update(&[(pending.hash, unix_now(), pending.raw.clone())], &[])
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(chain.store.transaction(pending.hash).unwrap().is_none());
    // The pool comes back (restoring the transaction) but cannot reach this sealer.
    let deaf = CoreSlots { pool: chain.slots.pool.clone(), sealer: Default::default() };
    let _pool = supervise(&chain, vec![chain.pool_spec_with(&deaf)]).await;
    assert_eq!(wait_included(&chain, pending.hash).await, 1);
}

/// A chain whose eth watcher last read L1 more than half a priority deadline ago seals nothing
/// (a request it has not read could expire unseen, and L1 would refuse that batch for good), and
/// resumes once the watcher catches up.
#[tokio::test(flavor = "multi_thread")]
async fn the_sealer_waits_while_the_watchers_view_of_l1_is_older_than_half_the_deadline() {
    use rollup_actors::storage::priority::{L1View, PriorityWriter};
    let dir = tempfile::tempdir().unwrap();
    let (chain, _sup, _h) = start(&dir, 5).await;
    let watcher = PriorityWriter::of(&chain.store);
    let now = unix_now();
    let stale = L1View { timestamp: now - 1801, deadline: 3600 };
    watcher.record_scan(&[], (1, B256::repeat_byte(1)), 2, Some(stale)).unwrap();
    let hash = submit(&chain, 0).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(chain.store.transaction(hash).unwrap().is_none(), "a block was sealed blind");
    assert_eq!(chain.metrics.blind.load(Ordering::Relaxed), 1, "the pause is on the metrics");
    let fresh = L1View { timestamp: now - 1700, deadline: 3600 };
    watcher.record_scan(&[], (2, B256::repeat_byte(2)), 3, Some(fresh)).unwrap();
    wait_included(&chain, hash).await;
    assert_eq!(chain.metrics.blind.load(Ordering::Relaxed), 0, "resumed");
}
