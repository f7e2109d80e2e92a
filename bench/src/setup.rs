//! Before the window: what the endpoint is, and the accounts and contracts the run needs.
//!
//! [`probe`] asks the endpoint who it is (chain id, gas price, client, whether it speaks
//! `zks_`); a failure there is the user's to fix (exit 2). [`prepare`] then measures each
//! kind's gas limit once with `eth_estimateGas`, deploys the ERC-20 if the scenario uses it,
//! and funds fresh load accounts from the rich key with exactly what their pre-signed
//! transactions can cost (plus a margin), and with tokens.
//!
//! Deposits and withdrawals need a rollup: [`probe_bridge`] finds the L1 (`--l1-rpc`) and the
//! Diamond (`zks_getMainContract`) for deposits, and the base token system contract for
//! withdrawals; a node without them (anvil) is the user's to fix (exit 2). The load accounts
//! are then funded on the L1 too, from the same rich key.

use crate::cli::{Args, Kind, Scenario, KINDS};
use crate::contracts;
use crate::error::BenchError;
use crate::rpc::{parse_quantity, Rpc, RpcError};
use crate::sign::{sign, sign_priced, Call, Fees, Key, Pricing};
use alloy::primitives::{Address, Bytes, TxKind, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Where load transfers go: an address nobody holds a key for.
pub(crate) const SINK: Address = Address::repeat_byte(0x42);

/// The L2 recipient of every deposit (nobody holds its key), so its balance grows by exactly
/// [`DEPOSIT_WEI`] per successful deposit.
pub(crate) const DEPOSIT_SINK: Address = Address::repeat_byte(0xd3);

/// The L1 receiver of every withdrawal (nobody holds its key).
pub(crate) const WITHDRAW_SINK: Address = Address::repeat_byte(0xe1);

/// What each deposit moves to L2.
pub(crate) const DEPOSIT_WEI: u64 = 1;

/// What each withdrawal moves to L1 (zero reverts).
pub(crate) const WITHDRAW_WEI: u64 = 1;

/// L2 gas limit of a deposit: well above an L2 transfer's 21,000. The request pays for all of
/// it on L1; the L2 refunds what is not used to the sender's L2 address.
pub(crate) const DEPOSIT_L2_GAS: u64 = 100_000;

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

/// The L1 deposits go to.
#[derive(Debug, Clone)]
pub(crate) struct L1 {
    /// Its JSON-RPC client.
    pub(crate) rpc: Rpc,
    /// `eth_chainId`.
    pub(crate) chain_id: u64,
    /// `web3_clientVersion` (empty if it does not say).
    pub(crate) client: String,
    /// The Diamond proxy (`zks_getMainContract` of the L2).
    pub(crate) diamond: Address,
    /// Gas price of every L1 transaction of the run (legacy): twice L1's `eth_gasPrice` at
    /// start, room for its base fee to move.
    pub(crate) gas_price: u128,
}

/// What a scenario with deposits or withdrawals needs beyond an Ethereum node: for deposits,
/// the L1 (checked to be the one the L2 settles on) and its Diamond; for withdrawals, the base
/// token system contract on the L2. Missing: a [`BenchError::Endpoint`] (exit 2).
pub(crate) async fn probe_bridge(
    rpc: &Rpc,
    args: &Args,
    connections: usize,
    timeout: Duration,
) -> Result<Option<L1>, BenchError> {
    let url = rpc.url();
    let scenario = &args.scenario;
    if scenario.uses(Kind::Withdraw) {
        let code = rpc
            .call("eth_getCode", json!([contracts::BASE_TOKEN, "latest"]))
            .await
            .map_err(|e| BenchError::Endpoint(format!("eth_getCode on {url}: {e}")))?;
        if code.as_str().is_none_or(|c| c.len() <= 2) {
            return Err(BenchError::Endpoint(format!(
                "--scenario {scenario} sends withdrawals, which need the base token system \
                 contract at {}: {url} has no code there (not a rollup with a bridge)",
                contracts::BASE_TOKEN
            )));
        }
    }
    if !scenario.uses(Kind::Deposit) {
        return Ok(None);
    }
    let no_l1 = |why: String| {
        BenchError::Endpoint(format!(
            "--scenario {scenario} sends deposits, which need a rollup that settles on an L1: \
             {url} {why}"
        ))
    };
    let diamond: Address = match rpc.call("zks_getMainContract", json!([])).await {
        Ok(v) => v
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| no_l1(format!("names no Diamond (zks_getMainContract answered {v})")))?,
        Err(e @ RpcError::Node { .. }) => {
            return Err(no_l1(format!("does not answer zks_getMainContract ({e})")))
        }
        Err(e) => return Err(BenchError::Endpoint(e.to_string())),
    };
    let want_chain =
        rpc.call("zks_L1ChainId", json!([])).await.ok().and_then(|v| parse_quantity(&v));
    let l1_url = &args.l1_rpc;
    let l1_err = |e: RpcError| BenchError::Endpoint(format!("the L1 (--l1-rpc): {e}"));
    let l1 = Rpc::new(l1_url, timeout, connections)?;
    let chain_id = l1.quantity("eth_chainId", json!([])).await.map_err(l1_err)? as u64;
    if let Some(want) = want_chain {
        if want as u64 != chain_id {
            return Err(BenchError::Endpoint(format!(
                "--l1-rpc {l1_url} is chain {chain_id}, but {url} settles on chain {want}"
            )));
        }
    }
    let code = l1.call("eth_getCode", json!([diamond, "latest"])).await.map_err(l1_err)?;
    if code.as_str().is_none_or(|c| c.len() <= 2) {
        return Err(BenchError::Endpoint(format!(
            "the Diamond {diamond} that {url} names has no code on the L1 at {l1_url}: is \
             --l1-rpc the rollup's L1?"
        )));
    }
    let gas_price = l1.quantity("eth_gasPrice", json!([])).await.map_err(l1_err)? * 2;
    let client = l1
        .call("web3_clientVersion", json!([]))
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Ok(Some(L1 { rpc: l1, chain_id, client, diamond, gas_price }))
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

/// What the setup phase made on the L1 for deposits.
#[derive(Debug, Clone)]
pub(crate) struct L1Setup {
    /// The L1.
    pub(crate) l1: L1,
    /// `msg.value` of each deposit: `l2TransactionBaseCost` at the run's gas price plus
    /// [`DEPOSIT_WEI`].
    pub(crate) deposit_value: U256,
    /// Wei each load account received on L1.
    pub(crate) funding_wei: U256,
}

/// What the setup phase made: funded load accounts, fees, gas limits, the token.
#[derive(Debug, Clone)]
pub(crate) struct Setup {
    /// Load accounts and the (L2) nonce each starts from.
    pub(crate) accounts: Vec<(Key, u64)>,
    /// Fees of every L2 transaction.
    pub(crate) fees: Fees,
    /// Gas limit of each kind the scenario uses (`None`: not used); a deposit's is its L1 gas
    /// limit.
    pub(crate) gas: [Option<u64>; KINDS],
    /// The ERC-20, if the scenario uses it.
    pub(crate) token: Option<Address>,
    /// Wei each load account received (on the L2).
    pub(crate) funding_wei: U256,
    /// The L1 side, if the scenario has deposits.
    pub(crate) l1: Option<L1Setup>,
    /// Wall time of the setup phase.
    pub(crate) elapsed: Duration,
    /// Transactions the funder sent.
    pub(crate) funder_txs: usize,
}

impl Setup {
    /// The call a load transaction of `kind` makes, and how it is priced.
    pub(crate) fn tx(&self, kind: Kind) -> (Call, Pricing) {
        let gas = self.gas[kind.index()].unwrap_or(0);
        let l2 = Pricing::Eip1559(self.fees);
        let call = match kind {
            Kind::Eth => {
                Call { to: TxKind::Call(SINK), value: U256::from(1), input: Bytes::new(), gas }
            }
            // The receiver is set per transaction when signing.
            Kind::Fresh => Call {
                to: TxKind::Call(Address::ZERO),
                value: U256::from(1),
                input: Bytes::new(),
                gas,
            },
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
            Kind::Withdraw => Call {
                to: TxKind::Call(contracts::BASE_TOKEN),
                value: U256::from(WITHDRAW_WEI),
                input: contracts::withdraw_calldata(WITHDRAW_SINK),
                gas,
            },
            Kind::Deposit => {
                let Some(l1) = &self.l1 else {
                    // Never signed: the scenario has no deposits.
                    return (
                        Call { to: TxKind::Create, value: U256::ZERO, input: Bytes::new(), gas },
                        l2,
                    );
                };
                let call = Call {
                    to: TxKind::Call(l1.l1.diamond),
                    value: l1.deposit_value,
                    input: contracts::deposit_calldata(
                        DEPOSIT_SINK,
                        U256::from(DEPOSIT_WEI),
                        DEPOSIT_L2_GAS,
                    ),
                    gas,
                };
                let pricing =
                    Pricing::Legacy { chain_id: l1.l1.chain_id, gas_price: l1.l1.gas_price };
                return (call, pricing);
            }
        };
        (call, l2)
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
    l1: Option<L1>,
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

    let mut gas = [None; KINDS];
    let mut token = None;
    if scenario.uses(Kind::Eth) {
        gas[Kind::Eth.index()] =
            Some(estimate(rpc, funder.address, Some(SINK), U256::from(1), &Bytes::new()).await?);
    }
    if scenario.uses(Kind::Fresh) {
        let to = crate::sign::fresh_receiver(&funder.address, u64::MAX);
        gas[Kind::Fresh.index()] =
            Some(estimate(rpc, funder.address, Some(to), U256::from(1), &Bytes::new()).await?);
    }
    if scenario.uses(Kind::Deploy) {
        let code = contracts::probe_initcode();
        gas[Kind::Deploy.index()] =
            Some(estimate(rpc, funder.address, None, U256::ZERO, &code).await?);
    }
    if scenario.uses(Kind::Withdraw) {
        let input = contracts::withdraw_calldata(WITHDRAW_SINK);
        gas[Kind::Withdraw.index()] = Some(
            estimate(
                rpc,
                funder.address,
                Some(contracts::BASE_TOKEN),
                U256::from(WITHDRAW_WEI),
                &input,
            )
            .await?,
        );
    }
    let mut deposit_value = U256::ZERO;
    if let Some(l1) = &l1 {
        let base = l1
            .rpc
            .call(
                "eth_call",
                json!([{"to": l1.diamond, "input": contracts::base_cost_calldata(l1.gas_price, DEPOSIT_L2_GAS)}, "latest"]),
            )
            .await
            .context("l2TransactionBaseCost on the L1")?;
        let base: Bytes = serde_json::from_value(base).context("l2TransactionBaseCost's answer")?;
        if base.len() != 32 {
            bail!("l2TransactionBaseCost on the L1 answered {base}, not a uint256");
        }
        deposit_value = U256::from_be_slice(&base) + U256::from(DEPOSIT_WEI);
        let input =
            contracts::deposit_calldata(DEPOSIT_SINK, U256::from(DEPOSIT_WEI), DEPOSIT_L2_GAS);
        let g = estimate(&l1.rpc, funder.address, Some(l1.diamond), deposit_value, &input)
            .await
            .context("on the L1 (the funder must hold ETH there too)")?;
        // The request that starts an empty queue costs the most; later ones may cost a little
        // more or less (storage): a margin, paid only for the gas used.
        gas[Kind::Deposit.index()] = Some(g + g / 4);
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
        .map(|a| account_cost(scenario, a, per_account, &gas, fees.max_fee, false, U256::ZERO))
        .max()
        .unwrap_or_default();
    let has_l2 = Kind::ALL.iter().any(|k| !k.on_l1() && scenario.uses(*k));
    let funding_wei = if has_l2 {
        worst + worst / U256::from(10) + U256::from(10u64.pow(15))
    } else {
        U256::ZERO
    };
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

    // On the L1: what each account's deposits can cost, checked before anything is sent.
    let mut l1_setup = None;
    if let Some(l1) = l1 {
        let worst = (0..accounts.len())
            .map(|a| {
                account_cost(scenario, a, per_account, &gas, l1.gas_price, true, deposit_value)
            })
            .max()
            .unwrap_or_default();
        let l1_funding = worst + worst / U256::from(10) + U256::from(10u64.pow(15));
        let need = l1_funding * U256::from(accounts.len());
        let balance = U256::from(
            quantity(&l1.rpc, "eth_getBalance", json!([funder.address, "latest"])).await?,
        );
        if balance < need {
            bail!(
                "the funder {} holds {balance} wei on the L1; {} accounts' deposits need {need} \
                 wei there: lower --max-tps, --duration or --accounts, or fund the key on the L1",
                funder.address,
                accounts.len()
            );
        }
        l1_setup = Some(L1Setup { l1, deposit_value, funding_wei: l1_funding });
    }

    status(&format!("funding {} accounts", accounts.len()));
    // Handing out `tokens` costs more calldata gas than the load's 1-token transfer (more
    // non-zero bytes): measured on its own, against an empty balance with an address of no zero
    // bytes (the dearest case). anvil's estimates are exact, so reusing the load's ran out of gas.
    let token_funding_gas = match token {
        Some(token) if gas[Kind::Erc20.index()].is_some() => {
            let input = contracts::transfer_calldata(SINK, tokens);
            Some(estimate(rpc, funder.address, Some(token), U256::ZERO, &input).await?)
        }
        _ => None,
    };
    let mut transfers: Vec<Call> = Vec::new();
    for a in accounts.iter().filter(|_| has_l2) {
        transfers.push(Call {
            to: TxKind::Call(a.address),
            value: funding_wei,
            input: Bytes::new(),
            gas: 21_000,
        });
        if let (Some(token), Some(g)) = (token, token_funding_gas) {
            transfers.push(Call {
                to: TxKind::Call(token),
                value: U256::ZERO,
                input: contracts::transfer_calldata(a.address, tokens),
                gas: g,
            });
        }
    }
    funder_txs += fund(rpc, &funder, Pricing::Eip1559(fees), funder_nonce, &transfers, &status)
        .await
        .context("funding the load accounts")?;
    if let Some(s) = &l1_setup {
        let l1 = &s.l1;
        let transfers: Vec<Call> = accounts
            .iter()
            .map(|a| Call {
                to: TxKind::Call(a.address),
                value: s.funding_wei,
                input: Bytes::new(),
                gas: 21_000,
            })
            .collect();
        let nonce = quantity(&l1.rpc, "eth_getTransactionCount", json!([funder.address, "pending"]))
            .await? as u64;
        let pricing = Pricing::Legacy { chain_id: l1.chain_id, gas_price: l1.gas_price };
        funder_txs += fund(&l1.rpc, &funder, pricing, nonce, &transfers, &status)
            .await
            .context("funding the load accounts on the L1")?;
    }
    Ok(Setup {
        accounts: accounts.into_iter().map(|k| (k, 0)).collect(),
        fees,
        gas,
        token,
        funding_wei,
        l1: l1_setup,
        elapsed: started.elapsed(),
        funder_txs,
    })
}

/// Sends `calls` from the funder, nonces from `nonce`, [`FUNDING_CHUNK`] at a time, each chunk
/// waited for (a status line after each when there are several); returns how many it sent.
async fn fund(
    rpc: &Rpc,
    funder: &Key,
    pricing: Pricing,
    mut nonce: u64,
    calls: &[Call],
    status: &impl Fn(&str),
) -> anyhow::Result<usize> {
    let mut done = 0;
    for chunk in calls.chunks(FUNDING_CHUNK) {
        if done > 0 {
            status(&format!("funding: {done}/{} transactions included", calls.len()));
        }
        done += chunk.len();
        let mut hashes = Vec::with_capacity(chunk.len());
        for call in chunk {
            let signed = sign_priced(funder, pricing, nonce, call)?;
            nonce += 1;
            submit(rpc, &signed.raw).await?;
            hashes.push(signed.hash);
        }
        wait_receipts(rpc, &hashes).await?;
    }
    Ok(calls.len())
}

/// The most wei account `account`'s `n` pre-signed transactions can spend on the L2
/// (`on_l1` false) or on the L1 (`on_l1` true, each deposit sending `deposit_value`).
fn account_cost(
    scenario: &Scenario,
    account: usize,
    n: usize,
    gas: &[Option<u64>; KINDS],
    max_fee: u128,
    on_l1: bool,
    deposit_value: U256,
) -> U256 {
    let mut count = [0u64; KINDS];
    for i in 0..n {
        count[scenario.kind_at(account, i).index()] += 1;
    }
    Kind::ALL.iter().filter(|k| k.on_l1() == on_l1).fold(U256::ZERO, |acc, k| {
        let c = U256::from(count[k.index()]);
        let value = match k {
            Kind::Eth | Kind::Fresh => U256::from(1),
            Kind::Withdraw => U256::from(WITHDRAW_WEI),
            Kind::Deposit => deposit_value,
            Kind::Erc20 | Kind::Deploy => U256::ZERO,
        };
        let per = U256::from(gas[k.index()].unwrap_or(0)) * U256::from(max_fee) + value;
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
