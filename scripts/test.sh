#!/usr/bin/env bash
# Runs every test of the repository, as CI does:
#   contracts: forge build, committed-artifact freshness, forge tests + gas snapshot check
#   rust:      rustfmt, clippy (-D warnings), cargo test (integration tests use the npm anvil)
#   smoke:     the real cast against `rollupd dev` on both chains (scripts/cast-smoke.sh)
# Installs the pinned npm tools (forge, anvil, cast, solc-js, viem, ethers) first when they are
# missing or older than tools/package-lock.json.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Missing, or older than the lock file (a pull added a tool): install exactly what the lock pins.
if ! tools/node_modules/.bin/forge --version >/dev/null 2>&1 \
  || [ tools/package-lock.json -nt tools/node_modules/.package-lock.json ]; then
  echo "== installing the pinned npm tools (tools/package-lock.json)"
  npm ci --prefix tools --no-audit --no-fund
fi
export PATH="$root/tools/node_modules/.bin:$PATH"
export ANVIL_BIN="$root/tools/node_modules/.bin/anvil"

echo "== contracts: build, artifact freshness, tests and gas snapshot"
(
  cd diamond
  forge build
  node scripts/artifacts.js --check
  forge snapshot --check
  if [ -n "${CI:-}" ]; then
    echo "== contracts: deeper fuzz and invariant runs (CI profile)"
    FOUNDRY_PROFILE=ci forge test --match-path 'test/{fuzz,invariant}/*'
  fi
)

echo "== rust: format, lints, tests"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked

echo "== cast against rollupd dev (L1 and L2)"
cargo build -p rollupd --locked
target_dir="$(cargo metadata --no-deps --format-version 1 --locked \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
scripts/cast-smoke.sh "$target_dir/debug/rollupd"
echo "== all tests passed"
