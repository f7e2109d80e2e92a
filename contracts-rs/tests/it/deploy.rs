//! Deployment and the EIP-2535 loupe.

use crate::support::TestChain;
use alloy::primitives::{Address, B256, U256};
use rollup_contracts::batch::stored_batch_hash;
use rollup_contracts::bindings::{AdminFacet, ExecutorFacet, GettersFacet, MailboxFacet};
use rollup_contracts::deploy::{facet_selectors, genesis_batch_info, VerifierSource};
use rollup_contracts::{DeployConfig, DeployError};
use std::collections::BTreeSet;

#[tokio::test]
async fn deploy_installs_every_facet_with_its_selectors() {
    let Some(t) = TestChain::start().await else { return };
    let chain = t.chain(&t.user);
    let d = &t.deployment;

    let facets = chain.facets().call().await.expect("facets");
    assert_eq!(facets.len(), 4);
    let expected: [(Address, Vec<[u8; 4]>, bool); 4] = [
        (d.admin_facet, facet_selectors::<AdminFacet::AdminFacetCalls>(), false),
        (d.getters_facet, facet_selectors::<GettersFacet::GettersFacetCalls>(), false),
        (d.executor_facet, facet_selectors::<ExecutorFacet::ExecutorFacetCalls>(), true),
        (d.mailbox_facet, facet_selectors::<MailboxFacet::MailboxFacetCalls>(), true),
    ];
    for (facet, (addr, selectors, freezable)) in facets.iter().zip(expected.iter()) {
        assert_eq!(facet.addr, *addr);
        let got: BTreeSet<[u8; 4]> = facet.selectors.iter().map(|s| s.0).collect();
        let want: BTreeSet<[u8; 4]> = selectors.iter().copied().collect();
        assert_eq!(got, want, "selectors of {addr}");
        assert_eq!(chain.isFacetFreezable(*addr).call().await.expect("freezable"), *freezable);
        for s in selectors {
            assert_eq!(chain.facetAddress((*s).into()).call().await.expect("facetAddress"), *addr);
        }
    }
    let addresses = chain.facetAddresses().call().await.expect("facetAddresses");
    assert_eq!(addresses, vec![d.admin_facet, d.getters_facet, d.executor_facet, d.mailbox_facet]);
    // The aggregated interface covers exactly the facets' functions.
    let all: usize = expected.iter().map(|e| e.1.len()).sum();
    assert_eq!(all, 57);
}

#[tokio::test]
async fn deploy_sets_roles_parameters_and_genesis() {
    let Some(t) = TestChain::start().await else { return };
    let chain = t.chain(&t.user);
    let d = &t.deployment;
    assert_eq!(d.l1_chain_id, 9);
    assert_eq!(chain.getGovernor().call().await.unwrap(), t.address(1));
    assert_eq!(chain.getAdmin().call().await.unwrap(), t.address(2));
    assert!(chain.isValidator(t.address(3)).call().await.unwrap());
    assert!(!chain.isValidator(t.address(4)).call().await.unwrap());
    assert_eq!(chain.getVerifier().call().await.unwrap(), d.verifier);
    assert_eq!(chain.getL2ChainId().call().await.unwrap(), U256::from(270));
    assert_eq!(chain.getPriorityTxDeadline().call().await.unwrap(), U256::from(86_400));
    assert_eq!(chain.getPriorityTxMaxGasLimit().call().await.unwrap(), U256::from(72_000_000));
    assert_eq!(
        chain.storedBatchHash(U256::ZERO).call().await.unwrap(),
        stored_batch_hash(&genesis_batch_info(&d.genesis)),
        "the Rust genesis batch info matches what DiamondInit stored"
    );
    assert!(!chain.isDiamondStorageFrozen().call().await.unwrap());
}

#[test]
fn config_validation_rejects_what_the_contracts_would() {
    let base = DeployConfig::new(
        VerifierSource::Existing(Address::repeat_byte(1)),
        Address::repeat_byte(2),
        Address::repeat_byte(3),
        Address::repeat_byte(4),
    );
    assert!(base.validate().is_ok());
    let cases: Vec<(&str, Box<dyn Fn(&mut DeployConfig)>)> = vec![
        ("governor", Box::new(|c| c.governor = Address::ZERO)),
        ("admin", Box::new(|c| c.admin = Address::ZERO)),
        ("validators", Box::new(|c| c.validators.push(Address::ZERO))),
        ("verifier", Box::new(|c| c.verifier = VerifierSource::Existing(Address::ZERO))),
        ("l2_chain_id", Box::new(|c| c.l2_chain_id = 0)),
        ("genesis.batch_hash", Box::new(|c| c.genesis.batch_hash = B256::repeat_byte(0xff))),
        ("priority_tx_max_gas_limit", Box::new(|c| c.priority_tx_max_gas_limit = 80_000_001)),
        ("execution_delay", Box::new(|c| c.execution_delay = 30 * 86_400 + 1)),
        ("priority_tx_deadline", Box::new(|c| c.priority_tx_deadline = 3_599)),
        ("priority_tx_deadline", Box::new(|c| c.priority_tx_deadline = 30 * 86_400 + 1)),
        ("fee_params", Box::new(|c| c.fee_params.priority_tx_max_pubdata = 120_001)),
        ("fee_params", Box::new(|c| c.fee_params.max_l2_gas_per_batch = 0)),
    ];
    for (field, mutate) in cases {
        let mut c = base.clone();
        mutate(&mut c);
        match c.validate() {
            Err(DeployError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected InvalidConfig, got {other:?}"),
        }
    }
}
