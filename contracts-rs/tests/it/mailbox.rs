//! Deposits through the Mailbox, their event, and their consumption at execute; L2->L1 messages.

use crate::support::{
    deposit_price, deposit_request, next_commit, test_proof, with_info_record, TestChain,
};
use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::providers::Provider;
use alloy::sol_types::{SolCall, SolValue};
use rollup_contracts::batch::{pack_logs, roll_priority_hash, stored_batch_info, L2LogsTree};
use rollup_contracts::bindings::IRollupChain::{self, IRollupChainErrors, L2Log, L2Message};
use rollup_contracts::decode_revert;
use rollup_contracts::deploy::genesis_batch_info;

#[tokio::test]
async fn deposit_queues_priority_request_and_execute_consumes_it() {
    let Some(t) = TestChain::start().await else { return };
    let user = t.chain(&t.user);
    let (gas_price, cost) = deposit_price(&t.user, &user).await;
    let amount = U256::from(10u64).pow(U256::from(18));
    let recipient = Address::repeat_byte(0x42);

    // One wei short is refused with the typed error.
    let err = deposit_request(&user, recipient, amount, cost + amount - U256::from(1), gas_price)
        .call()
        .await
        .unwrap_err();
    assert!(matches!(decode_revert(&err), Some(IRollupChainErrors::MsgValueTooLow(_))), "{err}");

    // A legacy transaction pins tx.gasprice, which the base cost is priced from.
    let receipt = deposit_request(&user, recipient, amount, cost + amount, gas_price)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let event = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| l.log_decode::<IRollupChain::NewPriorityRequest>().ok())
        .expect("NewPriorityRequest emitted")
        .inner
        .data;
    assert_eq!(event.txId, U256::ZERO);
    assert_eq!(event.txHash, keccak256(event.transaction.abi_encode()), "canonical hash");
    assert_eq!(event.transaction.txType, U256::from(255));
    assert_eq!(
        event.transaction.from,
        U256::from_be_slice(t.address(4).as_slice()),
        "EOA not aliased"
    );
    assert_eq!(event.transaction.to, U256::from_be_slice(recipient.as_slice()));
    assert_eq!(event.transaction.value, amount);
    assert_eq!(event.transaction.reserved[0], cost + amount, "all of msg.value is minted on L2");
    assert_eq!(t.user.get_balance(t.deployment.diamond_proxy).await.unwrap(), cost + amount);
    let front = user.priorityQueueFrontOperation().call().await.unwrap();
    assert_eq!(front.canonicalTxHash, event.txHash);
    assert_eq!(front.expirationTimestamp, event.expirationTimestamp);

    // Include it in batch 1 and execute: the queue head moves.
    let validator = t.chain(&t.validator);
    let genesis = genesis_batch_info(&t.deployment.genesis);
    let mut c = next_commit(&genesis, t.latest_timestamp().await, vec![]);
    c.numberOfLayer1Txs = U256::from(1);
    c.priorityOperationsHash =
        roll_priority_hash(rollup_contracts::batch::empty_rolling_hash(), event.txHash);
    let c = with_info_record(c);
    let stored = stored_batch_info(&c).unwrap();
    validator
        .commitBatches(genesis.clone(), vec![c.clone()])
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(user.getFirstUncommittedPriorityTx().call().await.unwrap(), U256::from(1));
    validator
        .proveBatches(
            genesis.clone(),
            vec![stored.clone()],
            vec![test_proof(&genesis, &c, &stored)],
        )
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(
        user.getFirstUnprocessedPriorityTx().call().await.unwrap(),
        U256::ZERO,
        "not before execute"
    );
    validator.executeBatches(vec![stored]).send().await.unwrap().get_receipt().await.unwrap();
    assert_eq!(user.getFirstUnprocessedPriorityTx().call().await.unwrap(), U256::from(1));
    assert_eq!(user.getPriorityQueueSize().call().await.unwrap(), U256::ZERO);
}

#[tokio::test]
async fn withdrawal_proven_with_the_rust_logs_tree_is_paid_once() {
    let Some(t) = TestChain::start().await else { return };
    let user = t.chain(&t.user);
    // Fund the diamond with a deposit.
    let (gas_price, cost) = deposit_price(&t.user, &user).await;
    let deposit = U256::from(5_000_000_000_000_000_000u128);
    deposit_request(&user, t.address(4), deposit, cost + deposit, gas_price)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let queued = user.priorityQueueFrontOperation().call().await.unwrap().canonicalTxHash;

    // Batch 1: consumes the deposit and carries a withdrawal message plus two other logs.
    let receiver = Address::repeat_byte(0x77);
    let amount = U256::from(1_500_000_000_000_000_000u128);
    let mut message = IRollupChain::finalizeEthWithdrawalCall::SELECTOR.to_vec();
    message.extend_from_slice(receiver.as_slice());
    message.extend_from_slice(&amount.to_be_bytes::<32>());
    let messenger_log = |tx: u16, sender: Address, data: &[u8]| L2Log {
        l2ShardId: 0,
        isService: true,
        txNumberInBatch: tx,
        sender: Address::left_padding_from(&[0x80, 0x08]),
        key: B256::left_padding_from(sender.as_slice()),
        value: keccak256(data),
    };
    let base_token = Address::left_padding_from(&[0x80, 0x0a]);
    let logs = vec![
        messenger_log(0, Address::repeat_byte(1), b"unrelated"),
        messenger_log(3, base_token, &message),
        messenger_log(4, Address::repeat_byte(2), b"another"),
    ];
    let tree = L2LogsTree::new(&logs);
    let genesis = genesis_batch_info(&t.deployment.genesis);
    let mut c = next_commit(&genesis, t.latest_timestamp().await, pack_logs(&logs));
    c.numberOfLayer1Txs = U256::from(1);
    c.priorityOperationsHash =
        roll_priority_hash(rollup_contracts::batch::empty_rolling_hash(), queued);
    let c = with_info_record(c);
    let stored = stored_batch_info(&c).unwrap();
    assert_eq!(stored.l2LogsTreeRoot, tree.root());
    let validator = t.chain(&t.validator);
    validator
        .commitBatches(genesis.clone(), vec![c.clone()])
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    validator
        .proveBatches(
            genesis.clone(),
            vec![stored.clone()],
            vec![test_proof(&genesis, &c, &stored)],
        )
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    validator.executeBatches(vec![stored]).send().await.unwrap().get_receipt().await.unwrap();

    let proof = tree.proof(1).expect("leaf 1");
    let included = user
        .proveL2MessageInclusion(
            U256::from(1),
            U256::from(1),
            L2Message { txNumberInBatch: 3, sender: base_token, data: message.clone().into() },
            proof.clone(),
        )
        .call()
        .await
        .unwrap();
    assert!(included, "the Rust path proves the message on L1");

    let stranger = t.chain(&t.stranger);
    stranger
        .finalizeEthWithdrawal(
            U256::from(1),
            U256::from(1),
            3,
            message.clone().into(),
            proof.clone(),
        )
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(t.user.get_balance(receiver).await.unwrap(), amount);
    assert!(user.isEthWithdrawalFinalized(U256::from(1), U256::from(1)).call().await.unwrap());
    let err = stranger
        .finalizeEthWithdrawal(U256::from(1), U256::from(1), 3, message.into(), proof)
        .call()
        .await
        .unwrap_err();
    assert!(
        matches!(decode_revert(&err), Some(IRollupChainErrors::WithdrawalAlreadyFinalized(_))),
        "{err}"
    );
}
