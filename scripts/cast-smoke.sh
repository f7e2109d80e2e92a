#!/usr/bin/env bash
# The real `cast` (npm tools) against `rollupd dev` on both chains: send, receipt, balance,
# code, contract creation and logs. Usage: scripts/cast-smoke.sh PATH/TO/rollupd
set -euo pipefail
bin="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cast="$root/tools/node_modules/.bin/cast"
work="$(mktemp -d)"
"$bin" dev --data-dir "$work/data" --set rpc.addr=127.0.0.1:0 --set dev_l1.addr=127.0.0.1:0 \
  --set metrics.addr= >"$work/out" 2>"$work/err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 600); do
  grep -q '(9)' "$work/out" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/err"; echo "cast-smoke: rollupd exited"; exit 1; }
  sleep 0.1
done
grep -q '(9)' "$work/out" || { cat "$work/err"; echo "cast-smoke: no banner"; exit 1; }
l1=$(grep '^L1' "$work/out" | grep -o 'http://[0-9.:]*')
l2=$(grep '^L2' "$work/out" | grep -o 'http://[0-9.:]*' | head -1)
diamond=$(grep 'Diamond proxy' "$work/out" | grep -o '0x[0-9a-fA-F]\{40\}')
key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
to=0x000000000000000000000000000000000000c0De
# Runtime: LOG1(offset 0, size 0, topic 1); STOP. The creation code returns it.
emitter=0x67600160006000a10060005260086018f3

fail() { echo "cast-smoke: $*"; exit 1; }
check() { # chain-name url chain-id
  local name="$1" url="$2" id="$3"
  [ "$("$cast" chain-id --rpc-url "$url")" = "$id" ] || fail "$name: chain id"
  "$cast" send --rpc-url "$url" --private-key "$key" "$to" --value 0.5ether >/dev/null
  [ "$("$cast" balance --rpc-url "$url" "$to")" = "500000000000000000" ] || fail "$name: balance"
  local created addr tx
  created=$("$cast" send --rpc-url "$url" --private-key "$key" --create "$emitter" --json)
  addr=$(node -e 'const r=JSON.parse(process.argv[1]); if (r.status!=="0x1") process.exit(1); console.log(r.contractAddress)' "$created") \
    || fail "$name: create failed"
  [ "$("$cast" code --rpc-url "$url" "$addr")" = "0x600160006000a100" ] || fail "$name: code"
  tx=$("$cast" send --rpc-url "$url" --private-key "$key" "$addr" --json)
  node -e 'const r=JSON.parse(process.argv[1]); if (r.status!=="0x1" || r.logs.length!==1) process.exit(1)' "$tx" \
    || fail "$name: call receipt"
  "$cast" receipt --rpc-url "$url" "$(node -e 'console.log(JSON.parse(process.argv[1]).transactionHash)' "$tx")" status \
    | grep -Eq "^(true|1|0x1)" || fail "$name: cast receipt"
  "$cast" logs --rpc-url "$url" --from-block 0 --address "$addr" \
    | grep -q 0x0000000000000000000000000000000000000000000000000000000000000001 || fail "$name: logs"
  echo "cast-smoke: $name ok ($url)"
}
check L1 "$l1" 9
check L2 "$l2" 270
[ "$("$cast" code --rpc-url "$l1" "$diamond")" != "0x" ] || fail "Diamond has no code on L1"
echo "cast-smoke: passed"
