//! The generated Solidity verifier: committed, fresh, and verifying real proofs on real EVMs.

use rollup_prover::{keys::DEV_SHAPES, solidity};

use super::proving::keys;

fn committed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../diamond")
        .join(solidity::CONTRACT_PATH)
}

/// The committed contract is what the dev keys generate (`UPDATE_VERIFIER=1` rewrites it; then
/// `forge build` and `node diamond/scripts/artifacts.js`).
#[test]
fn committed_verifier_is_fresh() {
    assert_eq!(keys().shapes(), DEV_SHAPES.to_vec());
    let fresh = solidity::generate(&keys().verifying_keys());
    let path = committed_path();
    if std::env::var_os("UPDATE_VERIFIER").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale against the dev keys: UPDATE_VERIFIER=1",
        path.display()
    );
}

mod evm {
    use std::sync::OnceLock;

    use alloy::{
        network::EthereumWallet,
        node_bindings::Anvil,
        primitives::{Address, Bytes, TxKind, U256},
        providers::{Provider, ProviderBuilder},
        signers::local::PrivateKeySigner,
        sol_types::{SolCall, SolConstructor, SolInterface},
    };
    use ark_std::rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use revm::{
        context::{Context, TxEnv},
        context_interface::result::{ExecutionResult, Output},
        database::{CacheDB, EmptyDB},
        state::AccountInfo,
        ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext,
    };
    use rollup_contracts::bindings::StateDiffKeysVerifier;
    use rollup_contracts::bindings::StateDiffVerifier::{self, StateDiffVerifierErrors};
    use rollup_prover::{
        circuit::Shape, keys::DEV_SHAPES, prove, public_inputs, solidity, ProofWords,
    };
    use rollup_tree::{TreeStore, Witness};

    use super::keys;
    use crate::support::{diff, witness};

    /// A chunk that fills `shape`: repeated and initial writes mixed for a general circuit,
    /// repeated writes only for a repeated-only one.
    fn full(shape: Shape) -> Witness {
        let c = shape.capacity as u64;
        if !shape.repeated_only {
            return witness(&(0..c).map(|i| (i * 3 + 2, i + 100)).collect::<Vec<_>>());
        }
        let tree = TreeStore::in_memory().unwrap();
        tree.apply(&diff(&(0..c).map(|i| (i, i)).collect::<Vec<_>>())).unwrap();
        tree.apply(&diff(&(0..c).map(|i| (i, i + 100)).collect::<Vec<_>>())).unwrap().1
    }

    /// `w` proven with the keys of `shape`: the proof words and the public inputs as words.
    fn proven(shape: Shape, w: &Witness, seed: u64) -> (ProofWords, Vec<U256>) {
        let proof =
            prove(keys().get(shape).unwrap(), w, &mut ChaCha20Rng::seed_from_u64(seed)).unwrap();
        let claim = w.diff().unwrap().claim();
        let inputs = public_inputs(&w.old_commitment(), &w.new_commitment(), &claim).unwrap();
        let inputs =
            inputs.iter().map(|f| U256::from_be_bytes(rollup_tree::hash::fr_to_b256(*f).0));
        (ProofWords::encode(shape, &proof), inputs.collect())
    }

    /// (circuit, proof words, public inputs) of a full chunk for every dev circuit.
    fn proofs() -> &'static Vec<(Shape, ProofWords, Vec<U256>)> {
        static P: OnceLock<Vec<(Shape, ProofWords, Vec<U256>)>> = OnceLock::new();
        P.get_or_init(|| {
            DEV_SHAPES
                .iter()
                .map(|&c| {
                    let (words, inputs) = proven(c, &full(c), c.id());
                    (c, words, inputs)
                })
                .collect()
        })
    }

    const R: &str = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
    const Q: &str = "0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47";

    /// The verifier deployed into an in-memory revm (the engine of the node's dev L1).
    struct Revm {
        db: CacheDB<EmptyDB>,
        verifier: Address,
    }

    enum Outcome {
        Returned(bool, u64),
        Reverted(Bytes),
    }

    /// Init code of both verifiers of the dev keys: the generated one (keys as constants) and
    /// `StateDiffKeysVerifier` (keys as constructor arguments, what `rollupd deploy --keys` uses).
    fn both() -> [(&'static str, Bytes); 2] {
        let (capacities, key_words) = solidity::keys_constructor(&keys().verifying_keys());
        let args =
            StateDiffKeysVerifier::constructorCall { capacities, keyWords: key_words }.abi_encode();
        let mut keyed = StateDiffKeysVerifier::BYTECODE.to_vec();
        keyed.extend_from_slice(&args);
        [("generated", StateDiffVerifier::BYTECODE.clone()), ("keys", keyed.into())]
    }

    impl Revm {
        fn deploy(init: Bytes) -> Self {
            Self::try_deploy(init).unwrap_or_else(|r| panic!("deploy failed: {r:?}"))
        }

        fn try_deploy(init: Bytes) -> Result<Self, ExecutionResult> {
            let mut db = CacheDB::new(EmptyDB::default());
            let caller = Address::repeat_byte(0xaa);
            db.insert_account_info(
                caller,
                AccountInfo { balance: U256::from(10u128.pow(20)), ..Default::default() },
            );
            let mut evm = Context::mainnet().with_db(db).build_mainnet();
            let tx = TxEnv::builder()
                .caller(caller)
                .kind(TxKind::Create)
                .data(init)
                .gas_limit(10_000_000)
                .build()
                .unwrap();
            let result = evm.transact_commit(tx).unwrap();
            let ExecutionResult::Success { output: Output::Create(_, Some(verifier)), .. } = result
            else {
                return Err(result);
            };
            Ok(Self { db: evm.ctx.journaled_state.database, verifier })
        }

        fn verify(&mut self, inputs: &[U256], proof: &[U256]) -> Outcome {
            let data = StateDiffVerifier::verifyCall {
                publicInputs: inputs.to_vec(),
                proof: proof.to_vec(),
            }
            .abi_encode();
            self.call(data, |out| StateDiffVerifier::verifyCall::abi_decode_returns(out).unwrap())
        }

        /// `verifyBatch` over (inputs, proof words) pairs.
        fn verify_batch(&mut self, batch: &[(Vec<U256>, Vec<U256>)]) -> Outcome {
            let data = StateDiffVerifier::verifyBatchCall {
                publicInputs: batch.iter().map(|(i, _)| i.clone()).collect(),
                proofs: batch.iter().map(|(_, p)| p.clone()).collect(),
            }
            .abi_encode();
            self.call(data, |out| {
                StateDiffVerifier::verifyBatchCall::abi_decode_returns(out).unwrap()
            })
        }

        fn call(&mut self, data: Vec<u8>, decode: impl Fn(&[u8]) -> bool) -> Outcome {
            let mut evm = Context::mainnet().with_db(&mut self.db).build_mainnet();
            let tx = TxEnv::builder()
                .caller(Address::repeat_byte(0xbb))
                .kind(TxKind::Call(self.verifier))
                .data(data.into())
                .gas_limit(5_000_000)
                .nonce(0)
                .build()
                .unwrap();
            // Not committed: every call runs on the freshly deployed state.
            match evm.transact(tx).unwrap().result {
                ExecutionResult::Success { output, gas, .. } => {
                    let gas_used = gas.tx_gas_used();
                    Outcome::Returned(decode(output.data()), gas_used)
                }
                ExecutionResult::Revert { output, .. } => Outcome::Reverted(output),
                halt => panic!("halted: {halt:?}"),
            }
        }
    }

    fn rejected(o: &Outcome) -> bool {
        matches!(o, Outcome::Returned(false, _) | Outcome::Reverted(_))
    }

    fn revert_error(o: Outcome) -> StateDiffVerifierErrors {
        match o {
            Outcome::Reverted(data) => StateDiffVerifierErrors::abi_decode(&data).unwrap(),
            Outcome::Returned(ok, _) => panic!("returned {ok}"),
        }
    }

    #[test]
    fn revm_accepts_real_proofs_and_rejects_every_one_bit_change() {
        for (name, init) in both() {
            accepts_real_proofs_and_rejects_every_one_bit_change(name, Revm::deploy(init));
        }
    }

    fn accepts_real_proofs_and_rejects_every_one_bit_change(name: &str, mut evm: Revm) {
        for (c, words, inputs) in proofs() {
            let proof = words.to_vec();
            let Outcome::Returned(true, gas) = evm.verify(inputs, &proof) else {
                panic!("{name}: capacity {c} rejected")
            };
            eprintln!("revm: {name} verifier: capacity {c} verified, {gas} gas");
            for i in 1..9 {
                for bit in [0usize, 100] {
                    let mut bad = proof.clone();
                    bad[i] ^= U256::from(1) << bit;
                    assert!(
                        rejected(&evm.verify(inputs, &bad)),
                        "capacity {c}: proof word {i} bit {bit}"
                    );
                }
            }
            for i in 0..inputs.len() {
                let mut bad = inputs.clone();
                bad[i] ^= U256::from(1);
                assert!(rejected(&evm.verify(&bad, &proof)), "capacity {c}: input {i}");
            }
        }
    }

    /// Proofs of circuit 1 for `n` other one-write chunks (a batch with several proofs per key).
    fn more_proofs(n: u64) -> Vec<(Vec<U256>, Vec<U256>)> {
        (0..n)
            .map(|i| {
                let (words, inputs) =
                    proven(Shape::general(1), &witness(&[(20 + i, i + 1)]), 100 + i);
                (inputs, words.to_vec())
            })
            .collect()
    }

    /// Every dev circuit's proof and three more of circuit 1, as `verifyBatch` takes them.
    fn batch() -> Vec<(Vec<U256>, Vec<U256>)> {
        let mut all: Vec<_> = proofs().iter().map(|(_, w, i)| (i.clone(), w.to_vec())).collect();
        all.extend(more_proofs(3));
        all
    }

    /// All chunk proofs of a `proveBatches` call in one pairing check: real proofs of every dev
    /// circuit pass together, and one bad proof anywhere among them fails the whole batch.
    #[test]
    fn revm_verifies_real_proofs_in_one_batch_and_one_bad_proof_fails_it() {
        let all = batch();
        for (name, init) in both() {
            let mut evm = Revm::deploy(init);
            let Outcome::Returned(true, gas_all) = evm.verify_batch(&all) else {
                panic!("{name}: the batch of {} real proofs is rejected", all.len())
            };
            // Circuit 1's proofs alone: the cost of one more proof of a key already in the batch.
            let ones: Vec<_> =
                std::iter::once(all[0].clone()).chain(all[4..].iter().cloned()).collect();
            let Outcome::Returned(true, gas_one) = evm.verify_batch(&ones[..1]) else { panic!() };
            let Outcome::Returned(true, gas_four) = evm.verify_batch(&ones) else { panic!() };
            let extra = (gas_four - gas_one) / 3;
            eprintln!(
                "revm: {name} verifier: verifyBatch of {} proofs ({} circuits) {gas_all} gas; 1 proof {gas_one}, 4 of one circuit {gas_four}: {extra} per extra proof",
                all.len(),
                DEV_SHAPES.len()
            );
            assert!(extra <= 80_000, "{name}: {extra} gas per extra proof");
            for at in 0..all.len() {
                let mut bad = all.clone();
                bad[at].1[7] ^= U256::from(1);
                assert!(rejected(&evm.verify_batch(&bad)), "{name}: proof {at}'s C changed");
                let mut bad = all.clone();
                bad[at].0[1] ^= U256::from(1);
                assert!(rejected(&evm.verify_batch(&bad)), "{name}: proof {at}'s new commitment");
            }
            // Two proofs of one key with their inputs swapped: each is a valid proof of
            // something, neither of what it is paired with.
            let mut swapped = ones.clone();
            let (a, b) = (swapped[1].0.clone(), swapped[2].0.clone());
            (swapped[1].0, swapped[2].0) = (b, a);
            assert!(rejected(&evm.verify_batch(&swapped)), "{name}: inputs swapped");
        }
    }

    #[test]
    fn revm_refuses_malformed_calls_with_named_errors() {
        for (_, init) in both() {
            refuses_malformed_calls_with_named_errors(Revm::deploy(init));
        }
    }

    /// `StateDiffKeysVerifier` refuses keys it could not use, naming why.
    #[test]
    fn the_keys_verifier_refuses_malformed_keys() {
        let (caps, words) = solidity::keys_constructor(&keys().verifying_keys());
        let q: U256 = Q.parse().unwrap();
        let mut unsorted = caps.clone();
        unsorted.swap(0, 1);
        let mut zero = caps.clone();
        zero[0] = U256::ZERO;
        let mut big = words.clone();
        big[5] = q;
        let cases: Vec<(&str, Vec<U256>, Vec<U256>)> = vec![
            ("no capacity", vec![], vec![]),
            ("not 26 key words per capacity", caps.clone(), words[..words.len() - 1].to_vec()),
            ("strictly ascending", unsorted, words.clone()),
            ("strictly ascending", zero, words.clone()),
            ("below the base field modulus", caps.clone(), big),
        ];
        // Degenerate keys (the circuit review's low), as the Rust side refuses them when loading.
        let with = |change: &dyn Fn(&mut ark_groth16::VerifyingKey<ark_bn254::Bn254>)| {
            let mut vks = keys().verifying_keys();
            change(&mut vks[0].1);
            solidity::keys_constructor(&vks).1
        };
        let g2 = {
            use ark_ec::{CurveGroup, PrimeGroup};
            ark_bn254::G2Projective::generator().into_affine()
        };
        let mut off_g1 = words.clone();
        off_g1[1] ^= U256::from(1);
        let mut off_input = words.clone();
        off_input[25] ^= U256::from(1);
        let mut off_g2 = words.clone();
        off_g2[9] ^= U256::from(1);
        let mut snarkjs_like = keys().verifying_keys();
        snarkjs_like[0].1.gamma_g2 = g2;
        let cases = cases.into_iter().chain([
            ("delta equals gamma or -gamma", caps.clone(), with(&|vk| vk.delta_g2 = vk.gamma_g2)),
            ("delta equals gamma or -gamma", caps.clone(), with(&|vk| vk.delta_g2 = -vk.gamma_g2)),
            ("delta is the generator of G2", caps.clone(), with(&|vk| vk.delta_g2 = g2)),
            ("delta is the generator of G2", caps.clone(), with(&|vk| vk.delta_g2 = -g2)),
            ("alpha is the identity", caps.clone(), with(&|vk| vk.alpha_g1 = Default::default())),
            (
                "a G2 key point is the identity",
                caps.clone(),
                with(&|vk| vk.beta_g2 = Default::default()),
            ),
            ("a G1 point is not on the curve", caps.clone(), off_g1),
            ("a G1 point is not on the curve", caps.clone(), off_input),
            ("a G2 point is not on the curve", caps.clone(), off_g2),
        ]);
        for (why, capacities, key_words) in cases {
            let args = StateDiffKeysVerifier::constructorCall { capacities, keyWords: key_words }
                .abi_encode();
            let mut init = StateDiffKeysVerifier::BYTECODE.to_vec();
            init.extend_from_slice(&args);
            match Revm::try_deploy(init.into()) {
                Err(ExecutionResult::Revert { output, .. }) => {
                    let e = StateDiffKeysVerifier::StateDiffKeysVerifierErrors::abi_decode(&output)
                        .unwrap();
                    let StateDiffKeysVerifier::StateDiffKeysVerifierErrors::BadKeys(e) = e else {
                        panic!("{why}: {e:?}")
                    };
                    assert!(e.reason.contains(why), "{why}: {}", e.reason);
                }
                Err(other) => panic!("{why}: {other:?}"),
                Ok(_) => panic!("{why}: deployed"),
            }
        }
        // gamma at the generator, as snarkjs ceremonies leave it, is accepted.
        let (caps, words) = solidity::keys_constructor(&snarkjs_like);
        let args = StateDiffKeysVerifier::constructorCall { capacities: caps, keyWords: words }
            .abi_encode();
        let mut init = StateDiffKeysVerifier::BYTECODE.to_vec();
        init.extend_from_slice(&args);
        assert!(Revm::try_deploy(init.into()).is_ok(), "gamma at the generator is a valid key");
    }

    fn refuses_malformed_calls_with_named_errors(mut evm: Revm) {
        let (_, words, inputs) = &proofs()[0];
        let proof = words.to_vec();
        let r: U256 = R.parse().unwrap();
        // An input aliased by adding the modulus would verify if it were reduced: refused.
        let mut aliased = inputs.clone();
        aliased[2] += r;
        assert!(
            matches!(revert_error(evm.verify(&aliased, &proof)), StateDiffVerifierErrors::InputNotInField(e) if e.index == U256::from(2))
        );
        let mut big = proof.clone();
        big[4] = Q.parse().unwrap();
        assert!(
            matches!(revert_error(evm.verify(inputs, &big)), StateDiffVerifierErrors::ProofNotInField(e) if e.index == U256::from(4))
        );
        let mut cap = proof.clone();
        cap[0] = U256::from(2);
        assert!(matches!(
            revert_error(evm.verify(inputs, &cap)),
            StateDiffVerifierErrors::UnsupportedCapacity(_)
        ));
        assert!(matches!(
            revert_error(evm.verify(inputs, &proof[..8])),
            StateDiffVerifierErrors::BadProofLength(_)
        ));
        assert!(matches!(
            revert_error(evm.verify(&inputs[..3], &proof)),
            StateDiffVerifierErrors::BadInputCount(_)
        ));
        // A point off the curve makes the precompile fail: a revert, never a quiet `false`.
        let mut off = proof.clone();
        off[1] = U256::from(1);
        off[2] = U256::from(1);
        assert!(matches!(
            revert_error(evm.verify(inputs, &off)),
            StateDiffVerifierErrors::PrecompileFailed(_)
        ));
        // The proof of one circuit under another circuit's key.
        for other_id in [3, (1 << 16) + 15] {
            let mut other = proof.clone();
            other[0] = U256::from(other_id);
            assert!(rejected(&evm.verify(inputs, &other)));
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn anvil_accepts_real_proofs_and_reports_gas() {
        let Some(path) = rollup_test_utils::anvil_path_or_skip() else { return };
        let anvil = Anvil::new().path(path).spawn();
        let signer = PrivateKeySigner::from_bytes(&alloy::primitives::B256::from_slice(
            &anvil.keys()[0].to_bytes(),
        ))
        .unwrap();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(anvil.endpoint_url());
        let generated = StateDiffVerifier::deploy(&provider).await.unwrap();
        let (capacities, key_words) = solidity::keys_constructor(&keys().verifying_keys());
        let keyed = StateDiffKeysVerifier::deploy(&provider, capacities, key_words).await.unwrap();
        // Both verifiers behind the same interface: the keys verifier's hash is the generated one's.
        let expected = solidity::vk_hash(&keys().verifying_keys());
        for (name, address) in [("generated", *generated.address()), ("keys", *keyed.address())] {
            let verifier = StateDiffVerifier::new(address, &provider);
            assert_eq!(verifier.verificationKeyHash().call().await.unwrap(), expected, "{name}");
            anvil_verifies(name, &verifier).await;
        }
        let _ = provider.get_block_number().await.unwrap();
    }

    async fn anvil_verifies<P: Provider>(
        name: &str,
        verifier: &StateDiffVerifier::StateDiffVerifierInstance<P>,
    ) {
        for (c, words, inputs) in proofs() {
            let call = verifier.verify(inputs.clone(), words.to_vec());
            assert!(call.call().await.unwrap(), "capacity {c}");
            // The gas of a transaction that verifies (what proveBatches pays for it, plus 21k).
            let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
            assert!(receipt.status());
            eprintln!(
                "anvil: {name} verifier: capacity {c}: verification transaction {} gas",
                receipt.gas_used
            );
            let mut bad = words.to_vec();
            bad[7] ^= U256::from(1);
            let res = verifier.verify(inputs.clone(), bad).call().await;
            assert!(res.is_err() || !res.unwrap(), "capacity {c}: mutated proof accepted");
            let mut bad_inputs = inputs.clone();
            bad_inputs[1] ^= U256::from(1);
            assert!(!verifier.verify(bad_inputs, words.to_vec()).call().await.unwrap());
        }
        let all = batch();
        let (inputs, proofs): (Vec<_>, Vec<_>) = all.iter().cloned().unzip();
        let call = verifier.verifyBatch(inputs.clone(), proofs.clone());
        assert!(call.call().await.unwrap(), "the batch of {} proofs", all.len());
        let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
        assert!(receipt.status());
        eprintln!(
            "anvil: {name} verifier: verifyBatch of {} proofs: transaction {} gas",
            all.len(),
            receipt.gas_used
        );
        let mut bad = proofs;
        bad[all.len() / 2][7] ^= U256::from(1);
        let res = verifier.verifyBatch(inputs, bad).call().await;
        assert!(res.is_err() || !res.unwrap(), "a batch with one mutated proof accepted");
    }
}
