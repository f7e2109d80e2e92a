#!/usr/bin/env bash
# The chaos run: `rollupd run` settling on anvil under load with the bridge flows (deposits,
# transfers, withdrawals, finalization), killed with -9 at random times while its L1 connection
# is cut and restored now and then. At the end it checks that every acknowledged transaction is
# finalized, that L1 and L2 agree, that the Diamond holds the L2 supply plus the withdrawals not
# finalized, and that no validator transaction reverted; the last line gives the figures.
#
#   scripts/chaos.sh            # the long run: 200 kills
#   scripts/chaos.sh 50         # 50 kills
#   CHAOS_SEED=N scripts/chaos.sh   # replay a run (each run prints its seed)
#
# CI runs the same test with 10 kills (`cargo test`, test `chaos::...`). docs/operations.md
# ("Chaos run") describes it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if ! tools/node_modules/.bin/anvil --version >/dev/null 2>&1; then
  npm ci --prefix tools --no-audit --no-fund
fi
export PATH="$root/tools/node_modules/.bin:$PATH"
export ANVIL_BIN="$root/tools/node_modules/.bin/anvil"
export CHAOS_KILLS="${1:-200}"
exec cargo test -p rollupd --test it --locked -- chaos:: --nocapture
