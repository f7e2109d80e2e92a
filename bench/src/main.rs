//! `rollup-bench`, the load generator for rollupd (a JSON-RPC client only).
//!
//! It lands with the L2 chain, whose JSON-RPC it loads; until then it says so and exits.

fn main() {
    println!("rollup-bench: coming with the L2 chain's JSON-RPC (see the open issues)");
}
