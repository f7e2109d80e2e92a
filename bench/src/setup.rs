//! Before the window: what the endpoint is, and the accounts and contracts the run needs.
//!
//! [`probe`] asks the endpoint who it is (chain id, gas price, client, whether it speaks
//! `zks_`); a failure there is the user's to fix (exit 2). [`prepare`] then measures each
//! kind's gas limit once with `eth_estimateGas`, deploys the ERC-20 if the scenario uses it,
//! and funds fresh load accounts from the rich key with exactly what their pre-signed
//! transactions can cost (plus a margin), and with tokens.

use crate::cli::{Args, Kind, Scenario};
use crate::contracts;
use crate::error::BenchError;
use crate::rpc::{parse_quantity, Rpc, RpcError};
use crate::sign::{sign, Call, Fees, Key};
use alloy::primitives::{Address, Bytes, TxKind, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Where load transfers go: an address nobody holds a key for.
pub(crate) const SINK: Address = Address::repeat_byte(0x42);

/// Funder transactions in flight at once: below every node's per-sender pool limit (geth's and
/// rollupd's are 64).
const FUNDING_CHUNK: usize = 32;

/// How long one funding chunk may take to be included.
const FUNDING_TIMEOUT: Duration = Duration::from_secs(120);

/// What the endpoint said about itself.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// `eth_chainId`.
    pub(crate) chain_id: u64,
    /// `eth_gasPrice` at start.
    pub(crate) gas_price: u128,
    /// `web3_clientVersion` (empty if the node does not say).
    pub(crate) client: String,
    /// `zks_L1BatchNumber` at start, if the node speaks `zks_`.
    pub(crate) sealed_batch: Option<u64>,
}

/// Asks the endpoint who it is. Unreachable, not JSON-RPC, or not the expected chain: a
/// [`BenchError::Endpoint`].
pub(crate) async fn probe(rpc: &Rpc, expected_chain: Option<u64>) -> Result<Endpoint, BenchError> {
    let url = rpc.url();
    let endpoint_err = |method: &str, e: RpcError| match e {
        RpcError::Node { .. } => {
            BenchError::Endpoint(format!("{url} does not answer {method}: {e}"))
        }
        other => BenchError::Endpoint(other.to_string()),
    };
    let chain_id =
        rpc.quantity("eth_chainId", json!([])).await.map_err(|e| endpoint_err("eth_chainId", e))?
            as u64;
    if let Some(want) = expected_chain {
        if want != chain_id {
            return Err(BenchError::Endpoint(format!(
                "{url} is chain {chain_id}, not the chain {want} that --chain-id asks for"
            )));
        }
    }
    let gas_price = rpc
        .quantity("eth_gasPrice", json!([]))
        .await
        .map_err(|e| endpoint_err("eth_gasPrice", e))?;
    let client = rpc
        .call("web3_clientVersion", json!([]))
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let sealed_batch = match rpc.call("zks_L1BatchNumber", json!([])).await {
        Ok(v) => parse_quantity(&v).map(|n| n as u64),
        Err(_) => None,
    };
    Ok(Endpoint { chain_id, gas_price, client, sealed_batch })
}

/// What the setup phase made: funded load accounts, fees, gas limits, the token.
#[derive(Debug, Clone)]
pub(crate) struct Setup {
    /// Load accounts and the nonce each starts from.
    pub(crate) accounts: Vec<(Key, u64)>,
    /// Fees of every transaction.
    pub(crate) fees: Fees,
    /// Gas limit of each kind the scenario uses (`None`: not used).
    pub(crate) gas: [Option<u64>; 3],
    /// The ERC-20, if the scenario uses it.
    pub(crate) token: Option<Address>,
    /// Wei each load account received.
    pub(crate) funding_wei: U256,
    /// Wall time of the setup phase.
    pub(crate) elapsed: Duration,
    /// Transactions the funder sent.
    pub(crate) funder_txs: usize,
}

impl Setup {
    /// The call a load transaction of `kind` makes.
    pub(crate) fn call(&self, kind: Kind) -> Call {
        let gas = self.gas[kind.index()].unwrap_or(0);
        match kind {
            Kind::Eth => {
                Call { to: TxKind::Call(SINK), value: U256::from(1), input: Bytes::new(), gas }
            }
            Kind::Erc20 => Call {
                to: TxKind::Call(self.token.unwrap_or_default()),
                value: U256::ZERO,
                input: contracts::transfer_calldata(SINK, U256::from(1)),
                gas,
            },
            Kind::Deploy => Call {
                to: TxKind::Create,
                value: U256::ZERO,
                input: contracts::probe_initcode(),
                gas,
            },
        }
    }
}

/// Parses the rich key.
pub(crate) fn funder_key(text: &str) -> Result<Key, BenchError> {
    let signer: PrivateKeySigner = text
        .trim()
        .parse()
        .map_err(|_| BenchError::Usage("--private-key is not a 32-byte hex key".to_string()))?;
    Ok(Key { secret: signer.to_bytes(), address: signer.address() })
}

/// Measures gas, deploys the token if needed and funds fresh load accounts.
pub(crate) async fn prepare(
    rpc: &Rpc,
    endpoint: &Endpoint,
    args: &Args,
    funder: Key,
    status: impl Fn(&str),
) -> anyhow::Result<Setup> {
    let started = Instant::now();
    // Room for the base fee to move (anvil's does) without repricing the pre-signed load.
    let fees = Fees { chain_id: endpoint.chain_id, max_fee: endpoint.gas_price * 3 + 1, tip: 1 };
    let scenario = &args.scenario;
    let mut funder_nonce =
        quantity(rpc, "eth_getTransactionCount", json!([funder.address, "pending"])).await? as u64;
    let mut funder_txs = 0;

    let mut gas = [None; 3];
    let mut token = None;
    if scenario.uses(Kind::Eth) {
        gas[Kind::Eth.index()] =
            Some(estimate(rpc, funder.address, Some(SINK), U256::from(1), &Bytes::new()).await?);
    }
    if scenario.uses(Kind::Deploy) {
        let code = contracts::probe_initcode();
        gas[Kind::Deploy.index()] =
            Some(estimate(rpc, funder.address, None, U256::ZERO, &code).await?);
    }
    if scenario.uses(Kind::Erc20) {
        status("deploying the ERC-20");
        let code = contracts::token_initcode(contracts::TOKEN_SUPPLY);
        let deploy_gas = estimate(rpc, funder.address, None, U256::ZERO, &code).await?;
        let call = Call { to: TxKind::Create, value: U256::ZERO, input: code, gas: deploy_gas };
        let signed = sign(&funder, fees, funder_nonce, &call)?;
        funder_nonce += 1;
        funder_txs += 1;
        submit(rpc, &signed.raw).await.context("deploying the ERC-20")?;
        let receipts = wait_receipts(rpc, &[signed.hash]).await?;
        let address = receipts[0]["contractAddress"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .context("the ERC-20 deployment receipt has no contractAddress")?;
        token = Some(address);
        // A transfer to an empty balance is the dearest kind; later ones to the sink cost less.
        let input = contracts::transfer_calldata(SINK, U256::from(1));
        gas[Kind::Erc20.index()] =
            Some(estimate(rpc, funder.address, Some(address), U256::ZERO, &input).await?);
    }

    // What each account's pre-signed list can cost at most, plus a margin.
    let per_account = args.per_account();
    let accounts: Vec<Key> = (0..args.accounts)
        .map(|_| {
            let s = PrivateKeySigner::random();
            Key { secret: s.to_bytes(), address: s.address() }
        })
        .collect();
    let worst = (0..accounts.len())
        .map(|a| account_cost(scenario, a, per_account, &gas, fees.max_fee))
        .max()
        .unwrap_or_default();
    let funding_wei = worst + worst / U256::from(10) + U256::from(10u64.pow(15));
    let tokens = U256::from(per_account as u64 + 1);
    let need = funding_wei * U256::from(accounts.len());
    let balance =
        U256::from(quantity(rpc, "eth_getBalance", json!([funder.address, "latest"])).await?);
    if balance < need {
        bail!(
            "the funder {} holds {} wei; {} accounts x {} pre-signed transactions need {need} \
             wei: lower --max-tps, --duration or --accounts, or fund the key",
            funder.address,
            balance,
            accounts.len(),
            per_account
        );
    }

    status(&format!("funding {} accounts", accounts.len()));
    let mut transfers: Vec<Call> = Vec::new();
    for a in &accounts {
        transfers.push(Call {
            to: TxKind::Call(a.address),
            value: funding_wei,
            input: Bytes::new(),
            gas: 21_000,
        });
        if let (Some(token), Some(g)) = (token, gas[Kind::Erc20.index()]) {
            transfers.push(Call {
                to: TxKind::Call(token),
                value: U256::ZERO,
                input: contracts::transfer_calldata(a.address, tokens),
                gas: g,
            });
        }
    }
    for chunk in transfers.chunks(FUNDING_CHUNK) {
        let mut hashes = Vec::with_capacity(chunk.len());
        for call in chunk {
            let signed = sign(&funder, fees, funder_nonce, call)?;
            funder_nonce += 1;
            submit(rpc, &signed.raw).await.context("funding the load accounts")?;
            hashes.push(signed.hash);
        }
        funder_txs += chunk.len();
        wait_receipts(rpc, &hashes).await.context("funding the load accounts")?;
    }
    Ok(Setup {
        accounts: accounts.into_iter().map(|k| (k, 0)).collect(),
        fees,
        gas,
        token,
        funding_wei,
        elapsed: started.elapsed(),
        funder_txs,
    })
}

/// The most wei account `account`'s `n` pre-signed transactions can spend.
fn account_cost(
    scenario: &Scenario,
    account: usize,
    n: usize,
    gas: &[Option<u64>; 3],
    max_fee: u128,
) -> U256 {
    let mut count = [0u64; 3];
    for i in 0..n {
        count[scenario.kind_at(account, i).index()] += 1;
    }
    Kind::ALL.iter().fold(U256::ZERO, |acc, k| {
        let c = U256::from(count[k.index()]);
        let per = U256::from(gas[k.index()].unwrap_or(0)) * U256::from(max_fee)
            + if *k == Kind::Eth { U256::from(1) } else { U256::ZERO };
        acc + c * per
    })
}

async fn quantity(rpc: &Rpc, method: &str, params: Value) -> anyhow::Result<u128> {
    rpc.quantity(method, params).await.with_context(|| format!("{method} on {}", rpc.url()))
}

/// `eth_estimateGas` of a call from `from`.
async fn estimate(
    rpc: &Rpc,
    from: Address,
    to: Option<Address>,
    value: U256,
    input: &Bytes,
) -> anyhow::Result<u64> {
    let mut req = json!({"from": from, "value": value, "input": input, "data": input});
    if let Some(to) = to {
        req["to"] = json!(to);
    }
    let what = if to.is_some() { "a call" } else { "a deployment" };
    Ok(quantity(rpc, "eth_estimateGas", json!([req]))
        .await
        .with_context(|| format!("estimating the gas of {what}"))? as u64)
}

async fn submit(rpc: &Rpc, raw: &Bytes) -> anyhow::Result<()> {
    rpc.call("eth_sendRawTransaction", json!([raw])).await.context("eth_sendRawTransaction")?;
    Ok(())
}

/// Waits until every hash has a receipt; fails if one reverted or time runs out.
async fn wait_receipts(rpc: &Rpc, hashes: &[B256]) -> anyhow::Result<Vec<Value>> {
    let deadline = Instant::now() + FUNDING_TIMEOUT;
    let mut out = vec![Value::Null; hashes.len()];
    for (h, slot) in hashes.iter().zip(&mut out) {
        loop {
            let r = rpc.call("eth_getTransactionReceipt", json!([h])).await?;
            if !r.is_null() {
                if r["status"] != json!("0x1") {
                    bail!("setup transaction {h} reverted");
                }
                *slot = r;
                break;
            }
            if Instant::now() > deadline {
                bail!("setup transaction {h} not included within {}s", FUNDING_TIMEOUT.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(out)
}
