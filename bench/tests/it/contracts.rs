//! The committed bytecode in `bench/contracts/*.hex` is what the pinned solc-js makes of the
//! sources next to it. `ROLLUP_BENCH_BLESS=1` rewrites the `.hex` files instead of failing.

use rollup_test_utils::{repo_root, solc_standard_json};

/// Creation bytecode of `name` (hex, no 0x) compiled as `bench/contracts/README.md` says.
fn compile(name: &str) -> String {
    let root = repo_root();
    let source = std::fs::read_to_string(root.join(format!("bench/contracts/{name}.sol"))).unwrap();
    let input = serde_json::json!({
        "language": "Solidity",
        "sources": { format!("{name}.sol"): { "content": source } },
        "settings": {
            "optimizer": { "enabled": true, "runs": 200 },
            "evmVersion": "paris",
            "metadata": { "bytecodeHash": "none", "appendCBOR": false },
            "outputSelection": { "*": { "*": ["evm.bytecode.object"] } }
        }
    });
    let json = solc_standard_json(&input);
    json["contracts"][format!("{name}.sol")][name]["evm"]["bytecode"]["object"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn committed_bytecode_matches_sources() {
    let bless = std::env::var_os("ROLLUP_BENCH_BLESS").is_some();
    for name in ["BenchToken", "BenchProbe"] {
        let path = repo_root().join(format!("bench/contracts/{name}.hex"));
        let fresh = compile(name);
        if bless {
            std::fs::write(&path, format!("{fresh}\n")).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap();
        assert!(
            committed.trim() == fresh,
            "{} is stale: rebuild it with `ROLLUP_BENCH_BLESS=1 cargo test -p rollup-bench \
             --test it contracts`",
            path.display()
        );
    }
}
