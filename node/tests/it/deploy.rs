//! `rollupd deploy` against a real anvil, and its refusals of bad input.

use crate::support::{rollupd, KEY0};
use alloy::network::EthereumWallet;
use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use std::path::PathBuf;
use std::process::Command;

sol!(
    /// TEST DOUBLE of the Groth16 verifier, from the contract suite's test directory.
    #[sol(rpc)]
    TestVerifier,
    "../contracts-rs/tests/artifacts/TestVerifier.json"
);

sol!(
    #[sol(rpc)]
    interface IGettersView {
        function getGovernor() external view returns (address);
        function getAdmin() external view returns (address);
        function isValidator(address) external view returns (bool);
        function getL2ChainId() external view returns (uint256);
        function facetAddresses() external view returns (address[]);
        function getExecutionDelay() external view returns (uint256);
        function getUpgradeDelay() external view returns (uint256);
    }
);

/// The pinned anvil with the dev L1's chain id, or `None` (a skip, never in CI) without one.
pub(crate) fn anvil() -> Option<AnvilInstance> {
    let path = rollup_test_utils::anvil_path_or_skip()?;
    Some(Anvil::new().path(path).chain_id(9u64).spawn())
}

fn tmp_out(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollupd-it-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let out = dir.join("deployment.json");
    let _ = std::fs::remove_file(&out);
    out
}

#[tokio::test]
async fn deploy_writes_addresses_of_a_working_diamond() {
    let Some(anvil) = anvil() else { return };
    let signer: PrivateKeySigner = KEY0.parse().unwrap();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.endpoint_url());
    let verifier = TestVerifier::deploy(provider.clone()).await.expect("test verifier");
    let out = tmp_out("ok");
    let governor = anvil.addresses()[1];
    let validator = anvil.addresses()[3];
    let output = rollupd(&[
        "deploy",
        "--l1-rpc",
        &anvil.endpoint(),
        "--private-key",
        KEY0,
        "--verifier",
        &verifier.address().to_string(),
        "--governor",
        &governor.to_string(),
        "--validator",
        &validator.to_string(),
        "--l2-chain-id",
        "271",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let proxy: Address = json["diamond_proxy"].as_str().unwrap().parse().unwrap();
    assert_eq!(json["l1_chain_id"], 9);
    assert_eq!(json["l2_chain_id"], 271);
    assert!(!provider.get_code_at(proxy).await.unwrap().is_empty());

    let getters = IGettersView::new(proxy, provider.clone());
    assert_eq!(getters.getGovernor().call().await.unwrap(), governor);
    assert_eq!(
        getters.getAdmin().call().await.unwrap(),
        governor,
        "admin defaults to the governor"
    );
    assert!(getters.isValidator(validator).call().await.unwrap());
    assert_eq!(getters.getL2ChainId().call().await.unwrap(), alloy::primitives::U256::from(271));
    // A production deployment leaves time to catch a bad batch and to leave before an upgrade.
    assert_eq!(getters.getExecutionDelay().call().await.unwrap(), U256::from(3 * 3600));
    assert_eq!(getters.getUpgradeDelay().call().await.unwrap(), U256::from(3 * 24 * 3600));
    let facets = getters.facetAddresses().call().await.unwrap();
    for key in ["admin_facet", "getters_facet", "executor_facet", "mailbox_facet"] {
        let a: Address = json[key].as_str().unwrap().parse().unwrap();
        assert!(facets.contains(&a), "{key} installed");
    }

    // A second deploy to the same file is refused: it would lose the live addresses.
    let again = rollupd(&[
        "deploy",
        "--l1-rpc",
        &anvil.endpoint(),
        "--private-key",
        KEY0,
        "--verifier",
        &verifier.address().to_string(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
}

#[tokio::test]
async fn deploy_refuses_a_verifier_without_code() {
    let Some(anvil) = anvil() else { return };
    let out = tmp_out("nocode");
    let output = rollupd(&[
        "deploy",
        "--l1-rpc",
        &anvil.endpoint(),
        "--private-key",
        KEY0,
        "--verifier",
        &Address::repeat_byte(0x42).to_string(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("has no code"), "{stderr}");
    assert!(!out.exists(), "nothing written on failure");
}

#[test]
fn deploy_rejects_malformed_input_with_clear_errors() {
    let v = Address::repeat_byte(1).to_string();
    let z = B256::repeat_byte(0xff).to_string();
    // A well-formed command line (its L1 unreachable) with `extra` arguments after it.
    fn valid_and<'a>(verifier: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["--l1-rpc", "http://127.0.0.1:1", "--private-key", KEY0, "--verifier"];
        args.push(verifier);
        args.extend_from_slice(extra);
        args
    }
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--l1-rpc", "not a url", "--private-key", KEY0, "--verifier", &v],
            "invalid value 'not a url' for '--l1-rpc",
        ),
        (
            vec!["--l1-rpc", "ftp://host", "--private-key", KEY0, "--verifier", &v],
            "must be an http:// or https:// URL",
        ),
        (
            vec!["--l1-rpc", "http://127.0.0.1:1", "--private-key", "0x1234", "--verifier", &v],
            "for '--private-key",
        ),
        (
            vec!["--l1-rpc", "http://127.0.0.1:1", "--private-key", KEY0, "--verifier", "0x123"],
            "for '--verifier",
        ),
        (vec!["--l1-rpc", "http://127.0.0.1:1", "--private-key", KEY0], "--verifier <ADDRESS>"),
        (vec!["--l1-rpc", "http://127.0.0.1:1", "--verifier", &v], "--private-key <HEX>"),
        (valid_and(&v, &["--l2-chain-id", "0"]), "for '--l2-chain-id"),
        (valid_and(&v, &["--priority-tx-deadline", "60"]), "priority_tx_deadline"),
        (valid_and(&v, &["--genesis-batch-hash", &z]), "genesis.batch_hash"),
        (valid_and(&v, &["--bogus"]), "unexpected argument '--bogus'"),
        (valid_and(&v, &["--execution-delay", "2592001"]), "2592001 is not in 0..=2592000"),
        (
            valid_and(&v, &["--upgrade-delay", "3days"]),
            "invalid value '3days' for '--upgrade-delay",
        ),
        (
            valid_and(&v, &["--out", "/nonexistent-dir/x.json"]),
            "the directory of --out (/nonexistent-dir) does not exist",
        ),
        (
            valid_and(&v, &["--out", "/tmp/rollupd-unreachable.json", "--force"]),
            "cannot reach the L1 at http://127.0.0.1:1/",
        ),
    ];
    for (args, expected) in cases {
        let mut full = vec!["deploy"];
        full.extend(args.iter());
        let output = rollupd(&full);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{full:?} should fail");
        assert!(stderr.contains(expected), "{full:?}: expected {expected:?} in:\n{stderr}");
    }
}

#[test]
fn key_from_environment_is_accepted_and_hidden() {
    let output = Command::new(env!("CARGO_BIN_EXE_rollupd"))
        .args(["deploy", "--help"])
        .env("ROLLUPD_DEPLOYER_KEY", KEY0)
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("ROLLUPD_DEPLOYER_KEY"));
    assert!(!help.contains(&KEY0[2..]), "the key value is never printed");
}
