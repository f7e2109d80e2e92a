//! `rollupd bridge deposit | withdraw | finalize | status`: ETH between L1 and the L2 without an
//! SDK or hand-built calldata (docs/bridge.md shows the same flows with plain cast). The key comes
//! from `ROLLUPD_BRIDGE_KEY`, never from a flag's value on the command line.

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{utils::parse_units, Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent};
use anyhow::{bail, Context};
use rollup_actors::execution::system::{BASE_TOKEN_CONTRACT, L1_MESSENGER};
use rollup_contracts::bindings::{IRollupChain, L1Messenger, L2BaseToken};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Gas per pubdata byte every request declares (the Mailbox accepts only 800).
const GAS_PER_PUBDATA: u64 = 800;

/// `rollupd bridge`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum BridgeCommand {
    /// Deposit ETH from L1 to L2 (an L1->L2 request through the Diamond's Mailbox).
    Deposit(DepositArgs),
    /// Withdraw ETH from L2 (`withdraw` of the base token at 0x…800a); finalize it on L1 once
    /// its batch is executed.
    Withdraw(WithdrawArgs),
    /// Release a withdrawal on L1 with the node's log proof (once its status is `finalized`).
    Finalize(FinalizeArgs),
    /// Where an L2 transaction is: pending, included, committed, verified, finalized (and, for a
    /// withdrawal, whether it was released on L1).
    Status(StatusArgs),
}

/// Endpoints every subcommand takes.
#[derive(Debug, clap::Args)]
pub(crate) struct Endpoints {
    /// The L2's JSON-RPC (rollupd).
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:3050")]
    l2_rpc: reqwest_url::Url,
    /// The L1's JSON-RPC.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8545")]
    l1_rpc: reqwest_url::Url,
    /// The Diamond proxy on L1 (default: what the L2 reports in `zks_getMainContract`).
    #[arg(long, value_name = "ADDRESS")]
    diamond: Option<Address>,
    /// Seconds to wait for each step before giving up.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: u64,
}

/// `rollupd bridge deposit`.
#[derive(Debug, clap::Args)]
pub(crate) struct DepositArgs {
    #[command(flatten)]
    endpoints: Endpoints,
    /// ETH to deposit: wei, or a number with a unit (`0.5ether`, `100gwei`).
    #[arg(long, value_parser = parse_amount)]
    amount: U256,
    /// Recipient on L2 (default: the sender's own address).
    #[arg(long, value_name = "ADDRESS")]
    to: Option<Address>,
    /// L2 gas limit of the request (the L1 fee is priced from it).
    #[arg(long, default_value_t = 300_000, value_parser = clap::value_parser!(u64).range(21_000..=80_000_000))]
    gas_limit: u64,
}

/// `rollupd bridge withdraw`.
#[derive(Debug, clap::Args)]
pub(crate) struct WithdrawArgs {
    #[command(flatten)]
    endpoints: Endpoints,
    /// ETH to withdraw: wei, or a number with a unit (`0.5ether`, `100gwei`).
    #[arg(long, value_parser = parse_amount)]
    amount: U256,
    /// Receiver on L1 (default: the sender's own address).
    #[arg(long, value_name = "ADDRESS")]
    to: Option<Address>,
}

/// `rollupd bridge finalize`.
#[derive(Debug, clap::Args)]
pub(crate) struct FinalizeArgs {
    #[command(flatten)]
    endpoints: Endpoints,
    /// The L2 withdrawal transaction.
    #[arg(long, value_name = "HASH")]
    tx: B256,
    /// Which of its withdrawals (its L2->L1 messages, in order).
    #[arg(long, default_value_t = 0)]
    index: u64,
}

/// `rollupd bridge status`.
#[derive(Debug, clap::Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    endpoints: Endpoints,
    /// The L2 transaction (a deposit's L2 hash, a withdrawal, any transaction).
    #[arg(long, value_name = "HASH")]
    tx: B256,
}

/// Re-export of the URL type alloy's HTTP transport takes, for clap parsing.
mod reqwest_url {
    pub(crate) use alloy::transports::http::reqwest::Url;
}

/// Parses `123` (wei) or `1.5ether` / `20gwei` / `7wei`; refuses zero.
fn parse_amount(s: &str) -> Result<U256, String> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    if number.is_empty() {
        return Err(format!("`{s}` is not an amount (wei, or a number with gwei or ether)"));
    }
    let unit = if unit.is_empty() { "wei" } else { unit };
    if !matches!(unit, "wei" | "gwei" | "ether") {
        return Err(format!("unknown unit `{unit}` (wei, gwei or ether)"));
    }
    let v = parse_units(number, unit)
        .map_err(|e| format!("`{s}` is not an amount: {e}"))?
        .get_absolute();
    if v.is_zero() {
        return Err("the amount must be above zero".into());
    }
    Ok(v)
}

/// The signer from `ROLLUPD_BRIDGE_KEY`.
fn key() -> anyhow::Result<PrivateKeySigner> {
    let k = std::env::var("ROLLUPD_BRIDGE_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
        .context("set ROLLUPD_BRIDGE_KEY to the hex private key that signs")?;
    k.trim().parse().context("ROLLUPD_BRIDGE_KEY is not a 32-byte hex private key")
}

fn provider(url: &reqwest_url::Url, signer: Option<&PrivateKeySigner>) -> DynProvider {
    match signer {
        Some(s) => ProviderBuilder::new()
            .wallet(EthereumWallet::from(s.clone()))
            .connect_http(url.clone())
            .erased(),
        None => ProviderBuilder::new().connect_http(url.clone()).erased(),
    }
}

async fn diamond(e: &Endpoints, l2: &DynProvider) -> anyhow::Result<Address> {
    if let Some(d) = e.diamond {
        return Ok(d);
    }
    let v: Value = l2
        .raw_request("zks_getMainContract".into(), ())
        .await
        .with_context(|| format!("asking the L2 at {} for its Diamond", e.l2_rpc))?;
    v.as_str()
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("the L2 at {} names no Diamond; pass --diamond", e.l2_rpc))
}

/// Polls `f` every 500 ms until it yields, for at most `secs`.
async fn wait<T, F, Fut>(secs: u64, what: &str, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await? {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            bail!("{what} did not happen within {secs}s (see `rollupd bridge status`)");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn details(l2: &DynProvider, tx: B256) -> anyhow::Result<Value> {
    l2.raw_request("zks_getTransactionDetails".into(), (tx,))
        .await
        .context("zks_getTransactionDetails")
}

async fn deposit(a: DepositArgs) -> anyhow::Result<()> {
    let signer = key()?;
    let e = &a.endpoints;
    let l2 = provider(&e.l2_rpc, None);
    let l1 = provider(&e.l1_rpc, Some(&signer));
    let diamond = diamond(e, &l2).await?;
    let to = a.to.unwrap_or(signer.address());
    let chain = IRollupChain::new(diamond, &l1);
    // A legacy transaction pins tx.gasprice, which the Mailbox prices the L2 gas from.
    let gas_price = l1.get_gas_price().await.context("reading the L1 gas price")?;
    let cost = chain
        .l2TransactionBaseCost(
            U256::from(gas_price),
            U256::from(a.gas_limit),
            U256::from(GAS_PER_PUBDATA),
        )
        .call()
        .await
        .context("l2TransactionBaseCost")?;
    let value = cost.checked_add(a.amount).context("amount too large")?;
    let call = chain
        .requestL2Transaction(
            to,
            a.amount,
            Bytes::new(),
            U256::from(a.gas_limit),
            U256::from(GAS_PER_PUBDATA),
            vec![],
            Address::ZERO,
        )
        .value(value)
        .gas_price(gas_price);
    let pending = call
        .send()
        .await
        .map_err(|err| anyhow::anyhow!("{}", rollup_contracts::errors::describe_error(&err)))?;
    println!("L1 transaction {} (pays {cost} wei for L2 gas)", pending.tx_hash());
    let receipt = pending.get_receipt().await.context("waiting for the L1 receipt")?;
    if !receipt.status() {
        bail!("the deposit reverted on L1 ({})", receipt.transaction_hash);
    }
    let hash = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| l.log_decode::<IRollupChain::NewPriorityRequest>().ok())
        .map(|l| l.inner.data.txHash)
        .context("the L1 receipt has no NewPriorityRequest")?;
    println!("L2 transaction {hash}");
    // Raw JSON: a priority transaction's receipt has type 0xff, which Ethereum's types refuse.
    let included = wait(a.endpoints.timeout, "inclusion on L2", || async {
        let r = receipt_json(&l2, hash).await?;
        Ok((!r.is_null()).then_some(r))
    })
    .await?;
    if included["status"] != "0x1" {
        bail!("the deposit was included on L2 as failed ({hash}); its ETH went to the refund recipient");
    }
    println!(
        "deposited {} wei to {to} on L2 (block {})",
        a.amount,
        included["blockNumber"].as_str().unwrap_or("?")
    );
    Ok(())
}

async fn withdraw(a: WithdrawArgs) -> anyhow::Result<()> {
    let signer = key()?;
    let l2 = provider(&a.endpoints.l2_rpc, Some(&signer));
    let to = a.to.unwrap_or(signer.address());
    let tx = TransactionRequest::default()
        .with_to(BASE_TOKEN_CONTRACT)
        .with_value(a.amount)
        .with_input(L2BaseToken::withdrawCall { l1Receiver: to }.abi_encode());
    let pending = l2.send_transaction(tx).await.context("sending the withdrawal on L2")?;
    let hash = *pending.tx_hash();
    println!("L2 transaction {hash}");
    let receipt = pending.get_receipt().await.context("waiting for the L2 receipt")?;
    if !receipt.status() {
        bail!("the withdrawal failed on L2 ({hash})");
    }
    println!(
        "withdrawing {} wei to {to} on L1: once `rollupd bridge status --tx {hash}` says finalized, run `rollupd bridge finalize --tx {hash}`",
        a.amount
    );
    Ok(())
}

/// An L2 receipt as JSON (null if unknown).
async fn receipt_json(l2: &DynProvider, tx: B256) -> anyhow::Result<Value> {
    l2.raw_request("eth_getTransactionReceipt".into(), (tx,))
        .await
        .context("eth_getTransactionReceipt")
}

/// The withdrawal message `index` of `tx` (the messenger's `L1MessageSent` data).
async fn withdrawal_message(l2: &DynProvider, tx: B256, index: u64) -> anyhow::Result<Bytes> {
    let receipt = receipt_json(l2, tx).await?;
    let logs = receipt["logs"].as_array().with_context(|| format!("no L2 transaction {tx}"))?;
    let topic = format!("{:#x}", L1Messenger::L1MessageSent::SIGNATURE_HASH);
    logs.iter()
        .filter(|l| {
            l["address"].as_str().and_then(|a| a.parse::<Address>().ok()) == Some(L1_MESSENGER)
                && l["topics"][0].as_str() == Some(topic.as_str())
        })
        .nth(index as usize)
        .and_then(|l| l["data"].as_str().and_then(|d| d.parse::<Bytes>().ok()))
        .and_then(|data| L1Messenger::L1MessageSent::abi_decode_data(&data).ok())
        .map(|(message,)| message)
        .with_context(|| format!("{tx} sent no L2->L1 message with index {index}"))
}

async fn finalize(a: FinalizeArgs) -> anyhow::Result<()> {
    let signer = key()?;
    let e = &a.endpoints;
    let l2 = provider(&e.l2_rpc, None);
    let l1 = provider(&e.l1_rpc, Some(&signer));
    let diamond = diamond(e, &l2).await?;
    let d = details(&l2, a.tx).await?;
    if d["status"] != "finalized" {
        bail!(
            "{} is `{}`, not finalized: its batch must be executed on L1 first",
            a.tx,
            d["status"].as_str().unwrap_or("unknown")
        );
    }
    let message = withdrawal_message(&l2, a.tx, a.index).await?;
    if message.len() != 56 || message[..4] != IRollupChain::finalizeEthWithdrawalCall::SELECTOR {
        bail!("message {} of {} is not an ETH withdrawal", a.index, a.tx);
    }
    let receiver = Address::from_slice(&message[4..24]);
    let amount = U256::from_be_slice(&message[24..56]);
    let proof: Value = l2
        .raw_request("zks_getL2ToL1LogProof".into(), (a.tx, a.index))
        .await
        .context("zks_getL2ToL1LogProof")?;
    let id: U256 = serde_json::from_value(proof["id"].clone()).context("proof id")?;
    let path: Vec<B256> = serde_json::from_value(proof["proof"].clone()).context("proof path")?;
    let receipt = receipt_json(&l2, a.tx).await?;
    let batch: U256 =
        serde_json::from_value(receipt["l1BatchNumber"].clone()).context("l1BatchNumber")?;
    let tx_index: u16 = serde_json::from_value::<U256>(receipt["l1BatchTxIndex"].clone())
        .context("l1BatchTxIndex")?
        .try_into()
        .context("l1BatchTxIndex above 16 bits")?;
    let chain = IRollupChain::new(diamond, &l1);
    if chain.isEthWithdrawalFinalized(batch, id).call().await.context("isEthWithdrawalFinalized")? {
        bail!("the withdrawal of {amount} wei to {receiver} was already finalized on L1");
    }
    let pending = chain
        .finalizeEthWithdrawal(batch, id, tx_index, message, path)
        .send()
        .await
        .map_err(|err| anyhow::anyhow!("{}", rollup_contracts::errors::describe_error(&err)))?;
    println!("L1 transaction {}", pending.tx_hash());
    let r = pending.get_receipt().await.context("waiting for the L1 receipt")?;
    if !r.status() {
        bail!("finalizeEthWithdrawal reverted on L1 ({})", r.transaction_hash);
    }
    println!("released {amount} wei to {receiver} on L1");
    Ok(())
}

async fn status(a: StatusArgs) -> anyhow::Result<()> {
    let e = &a.endpoints;
    let l2 = provider(&e.l2_rpc, None);
    let d = details(&l2, a.tx).await?;
    if d.is_null() {
        bail!("the L2 at {} knows no transaction {}", e.l2_rpc, a.tx);
    }
    let status = d["status"].as_str().unwrap_or("unknown");
    println!("status         {status}");
    println!("from L1        {}", d["isL1Originated"].as_bool().unwrap_or(false));
    for (key, name) in [
        ("ethCommitTxHash", "commit"),
        ("ethProveTxHash", "prove"),
        ("ethExecuteTxHash", "execute"),
    ] {
        if let Some(h) = d[key].as_str() {
            println!("L1 {name:<11} {h}");
        }
    }
    if status != "finalized" {
        return Ok(());
    }
    let Ok(message) = withdrawal_message(&l2, a.tx, 0).await else { return Ok(()) };
    if message.len() != 56 {
        return Ok(());
    }
    let proof: Value = l2.raw_request("zks_getL2ToL1LogProof".into(), (a.tx, 0u64)).await?;
    let receipt = receipt_json(&l2, a.tx).await?;
    let (Ok(id), Ok(batch)) = (
        serde_json::from_value::<U256>(proof["id"].clone()),
        serde_json::from_value::<U256>(receipt["l1BatchNumber"].clone()),
    ) else {
        return Ok(());
    };
    let l1 = provider(&e.l1_rpc, None);
    let diamond = diamond(e, &l2).await?;
    let done = IRollupChain::new(diamond, &l1).isEthWithdrawalFinalized(batch, id).call().await?;
    println!("released on L1 {done}");
    Ok(())
}

pub(crate) async fn run(cmd: BridgeCommand) -> anyhow::Result<()> {
    match cmd {
        BridgeCommand::Deposit(a) => deposit(a).await,
        BridgeCommand::Withdraw(a) => withdraw(a).await,
        BridgeCommand::Finalize(a) => finalize(a).await,
        BridgeCommand::Status(a) => status(a).await,
    }
}
