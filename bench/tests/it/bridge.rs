//! Deposits (L1->L2) and withdrawals (L2->L1) against a real `rollupd dev` and its embedded L1,
//! checked by what they did on chain; and a node without an L1 or a bridge (anvil) refused.

use crate::support::{
    assert_clean_run, assert_one_line_exit_2, balance, free_port, quantity, rpc, run_bench, Node,
};
use alloy::primitives::{keccak256, Address, B256, U256};
use serde_json::{json, Value};

/// The bench's deposit recipient on L2 and withdrawal receiver on L1 (`setup.rs`).
const DEPOSIT_SINK: &str = "0xd3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3";
const WITHDRAW_SINK: Address = Address::repeat_byte(0xe1);
const BASE_TOKEN: &str = "0x000000000000000000000000000000000000800a";
const L1_MESSENGER: &str = "0x0000000000000000000000000000000000008008";

/// Short runs: a few seconds, few accounts.
const SHORT: [&str; 8] =
    ["--duration", "3", "--accounts", "4", "--max-tps", "300", "--drain", "30"];

fn run_on(node: &Node, extra: &[&str]) -> (Value, String) {
    let l1 = node.l1_url.as_deref().unwrap();
    let mut args = vec!["--rpc", node.url.as_str(), "--l1-rpc", l1];
    args.extend(SHORT);
    args.extend(extra);
    let out = run_bench(&args);
    let s = assert_clean_run(&out);
    (s, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Every receipt of the L2's blocks so far.
fn all_receipts(url: &str) -> Vec<Value> {
    let head = quantity(&rpc(url, "eth_blockNumber", json!([]))) as u64;
    (0..=head)
        .flat_map(|n| {
            let r = rpc(url, "eth_getBlockReceipts", json!([format!("0x{n:x}")]));
            r.as_array().cloned().unwrap_or_default()
        })
        .collect()
}

/// The `l2ToL1Logs` of `receipt` that carry the bench's withdrawal message (1 wei to the sink).
fn bench_withdrawal_logs(receipt: &Value) -> usize {
    let mut message = alloy::hex::decode("6c0960f9").unwrap();
    message.extend_from_slice(WITHDRAW_SINK.as_slice());
    message.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
    let want = keccak256(&message);
    receipt["l2ToL1Logs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| {
            l["sender"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(L1_MESSENGER))
                && l["value"].as_str().and_then(|v| v.parse::<B256>().ok()) == Some(want)
        })
        .count()
}

#[test]
fn deposits_reach_the_l2_recipient() {
    let node = Node::rollupd_dev("deposit");
    // An L1 nobody listens on: exit 2 before any funding.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let out = run_bench(&["--rpc", &node.url, "--l1-rpc", &nowhere, "--scenario", "deposit"]);
    assert_one_line_exit_2(&out, &format!("the L1 (--l1-rpc): cannot reach {nowhere}"));
    // The L2 itself is not its own L1.
    let out = run_bench(&["--rpc", &node.url, "--l1-rpc", &node.url, "--scenario", "deposit"]);
    assert_one_line_exit_2(&out, "but");

    let before = balance(&node.url, DEPOSIT_SINK);
    let (s, stdout) = run_on(&node, &["--scenario", "deposit"]);
    assert_eq!(s["scenario"], "deposit");
    let included = s["included"].as_u64().unwrap();
    // Every deposit included moved exactly 1 wei to the recipient (a failed one moves none).
    assert_eq!(balance(&node.url, DEPOSIT_SINK) - before, u128::from(included), "{stdout}");
    assert!(
        stdout.contains(&format!("deposits on the L1 {}", node.l1_url.as_deref().unwrap())),
        "{stdout}"
    );
    // They are priority transactions on L2, from the load accounts.
    let priority = all_receipts(&node.url)
        .into_iter()
        .filter(|r| r["type"] == "0xff" && r["status"] == "0x1")
        .filter(|r| r["to"].as_str().is_some_and(|t| t.eq_ignore_ascii_case(DEPOSIT_SINK)))
        .count();
    assert_eq!(priority as u64, included, "{stdout}");
}

#[test]
fn withdrawals_leave_the_l2_as_messages_to_l1() {
    let node = Node::rollupd_dev("withdraw");
    let token_before = balance(&node.url, BASE_TOKEN);
    let (s, stdout) = run_on(&node, &["--scenario", "withdraw"]);
    assert_eq!(s["scenario"], "withdraw");
    let included = s["included"].as_u64().unwrap();
    // Each included withdrawal sent one L2->L1 message: 1 wei to the sink.
    let receipts: Vec<Value> = all_receipts(&node.url)
        .into_iter()
        .filter(|r| r["to"].as_str().is_some_and(|t| t.eq_ignore_ascii_case(BASE_TOKEN)))
        .collect();
    assert!(receipts.iter().all(|r| r["status"] == "0x1"), "a withdrawal failed");
    let messages: usize = receipts.iter().map(bench_withdrawal_logs).sum();
    assert_eq!(messages as u64, included, "{stdout}");
    // The withdrawn ETH left the L2: the base token contract did not keep it.
    assert_eq!(balance(&node.url, BASE_TOKEN), token_before);
}

#[test]
fn a_mix_with_deposits_and_withdrawals_includes_every_kind() {
    let node = Node::rollupd_dev("bridge-mix");
    let before = balance(&node.url, DEPOSIT_SINK);
    let (s, stdout) = run_on(&node, &["--scenario", "mix:eth=80,deposit=10,withdraw=10"]);
    assert_eq!(s["scenario"], "mix:eth=80,deposit=10,withdraw=10");
    let mut deposits = 0;
    for kind in ["eth", "deposit", "withdraw"] {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{kind}: sent")))
            .unwrap_or_else(|| panic!("no {kind} line:\n{stdout}"));
        let included: u64 = line
            .split("included ")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        assert!(included > 0, "{line}");
        if kind == "deposit" {
            deposits = included;
        }
    }
    assert_eq!(balance(&node.url, DEPOSIT_SINK) - before, u128::from(deposits), "{stdout}");
}

#[test]
fn bridge_scenarios_on_anvil_exit_2_with_one_line() {
    let node = Node::anvil();
    let out = run_bench(&["--rpc", &node.url, "--scenario", "deposit"]);
    assert_one_line_exit_2(&out, "does not answer zks_getMainContract");
    let out = run_bench(&["--rpc", &node.url, "--scenario", "mix:eth=9,withdraw=1"]);
    assert_one_line_exit_2(&out, "base token system contract");
}

#[test]
fn a_paced_mix_with_deposits_sends_every_kind_at_its_share_of_the_rate() {
    // Each plan is spread over the window: the L2 and L1 plans of an account both send all they
    // hold by its end, whatever their lengths (they were paced as equal shares of the rate).
    let node = Node::rollupd_dev("bridge-paced");
    let l1 = node.l1_url.as_deref().unwrap();
    let out = run_bench(&[
        "--rpc",
        node.url.as_str(),
        "--l1-rpc",
        l1,
        "--scenario",
        "mix:eth=75,deposit=25",
        "--rate",
        "100",
        "--duration",
        "3",
        "--accounts",
        "4",
        "--drain",
        "30",
    ]);
    let s = assert_clean_run(&out);
    assert_eq!(s["sent"], 300, "rate x duration are signed and all sent: {s}");
    assert_eq!(s["ran_out_accounts"], 0, "a paced plan ends with the window: {s}");
}
