//! Freezing, upgrades and role errors through the bindings.

use crate::support::{deposit_request, next_commit, TestChain};
use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::SolCall;
use rollup_contracts::bindings::GettersFacet;
use rollup_contracts::bindings::IRollupChain::{
    self, DiamondCutData, FacetCut, IRollupChainErrors,
};
use rollup_contracts::deploy::{facet_selectors, genesis_batch_info};
use rollup_contracts::{decode_revert, describe_error};

#[tokio::test]
async fn frozen_diamond_refuses_freezable_calls_and_keeps_admin_and_getters() {
    let Some(t) = TestChain::start().await else { return };
    let governor = t.chain(&t.governor);
    let validator = t.chain(&t.validator);
    let genesis = genesis_batch_info(&t.deployment.genesis);
    let commit = next_commit(&genesis, t.latest_timestamp().await, vec![]);

    governor.freezeDiamond().send().await.unwrap().get_receipt().await.unwrap();
    assert!(governor.isDiamondStorageFrozen().call().await.unwrap());

    let err =
        validator.commitBatches(genesis.clone(), vec![commit.clone()]).call().await.unwrap_err();
    match decode_revert(&err) {
        Some(IRollupChainErrors::DiamondFrozen(e)) => {
            assert_eq!(e.selector, IRollupChain::commitBatchesCall::SELECTOR)
        }
        other => panic!("expected DiamondFrozen, got {other:?}"),
    }
    let user = t.chain(&t.user);
    let err = deposit_request(&user, Address::ZERO, U256::ZERO, U256::ZERO, 1_000_000_000)
        .call()
        .await
        .unwrap_err();
    assert!(matches!(decode_revert(&err), Some(IRollupChainErrors::DiamondFrozen(_))));

    // Getters answer, Admin works.
    assert_eq!(validator.getTotalBatchesCommitted().call().await.unwrap(), U256::ZERO);
    governor.setValidator(t.address(5), true).send().await.unwrap().get_receipt().await.unwrap();
    assert!(governor.isValidator(t.address(5)).call().await.unwrap());

    // Only the governor lifts a freeze; then commits go through.
    let err = t.chain(&t.admin).unfreezeDiamond().call().await.unwrap_err();
    assert!(matches!(decode_revert(&err), Some(IRollupChainErrors::NotGovernor(_))));
    governor.unfreezeDiamond().send().await.unwrap().get_receipt().await.unwrap();
    validator
        .commitBatches(genesis, vec![commit])
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(validator.getTotalBatchesCommitted().call().await.unwrap(), U256::from(1));
}

#[tokio::test]
async fn execute_upgrade_replaces_a_facet() {
    let Some(t) = TestChain::start().await else { return };
    let governor = t.chain(&t.governor);
    let new_getters = GettersFacet::deploy(t.deployer.clone()).await.expect("deploy new getters");
    let selectors = facet_selectors::<GettersFacet::GettersFacetCalls>();
    let cut = DiamondCutData {
        facetCuts: vec![FacetCut {
            facet: *new_getters.address(),
            action: 1, // Action.Replace
            isFreezable: false,
            selectors: selectors.iter().map(|s| (*s).into()).collect(),
        }],
        initAddress: Address::ZERO,
        initCalldata: Bytes::new(),
    };
    // Only the governor, and only a proposed cut.
    let err = t.chain(&t.admin).proposeUpgrade(cut.clone()).call().await.unwrap_err();
    assert!(matches!(decode_revert(&err), Some(IRollupChainErrors::NotGovernor(_))));
    let err = governor.executeUpgrade(cut.clone()).call().await.unwrap_err();
    assert!(matches!(decode_revert(&err), Some(IRollupChainErrors::UpgradeNotProposed(_))));
    // The test chain is deployed with no upgrade delay: ready at once.
    governor.proposeUpgrade(cut.clone()).send().await.unwrap().get_receipt().await.unwrap();

    let receipt = governor.executeUpgrade(cut).send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt
        .inner
        .logs()
        .iter()
        .any(|l| l.log_decode::<IRollupChain::ExecuteUpgrade>().is_ok()));
    let addresses = governor.facetAddresses().call().await.unwrap();
    assert!(addresses.contains(new_getters.address()));
    assert!(!addresses.contains(&t.deployment.getters_facet), "old getters facet dropped");
    for s in &selectors {
        assert_eq!(
            governor.facetAddress((*s).into()).call().await.unwrap(),
            *new_getters.address()
        );
    }
    assert_eq!(governor.getGovernor().call().await.unwrap(), t.address(1), "storage kept");
}

#[tokio::test]
async fn wrong_caller_sees_the_named_error() {
    let Some(t) = TestChain::start().await else { return };
    let genesis = genesis_batch_info(&t.deployment.genesis);
    let commit = next_commit(&genesis, t.latest_timestamp().await, vec![]);
    let err = t.chain(&t.stranger).commitBatches(genesis, vec![commit]).call().await.unwrap_err();
    match decode_revert(&err) {
        Some(IRollupChainErrors::NotValidator(e)) => assert_eq!(e.caller, t.address(5)),
        other => panic!("expected NotValidator, got {other:?}"),
    }
    let text = describe_error(&err);
    assert!(text.contains("NotValidator"), "{text}");

    let err = t.chain(&t.admin).setValidator(t.address(5), true).call().await.unwrap_err();
    assert!(describe_error(&err).contains("NotGovernor"));
}
