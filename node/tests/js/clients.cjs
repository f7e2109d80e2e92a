// A dapp's view of a running rollupd, through the JS clients people use: viem over WebSocket
// (block, pending-transaction and log subscriptions) and ethers v6 over HTTP (`provider.on`
// with a log filter and with "pending", which poll geth's filter methods).
//
//   node node/tests/js/clients.cjs HTTP_URL WS_URL KEY_A KEY_B EMITTER
//
// EMITTER is a contract that emits calldata[0] LOG0s. Prints one line per check, exits 1 on the
// first failure. Modules come from tools/node_modules (the pinned lock file).
'use strict';
const path = require('path');
module.paths.unshift(path.resolve(__dirname, '../../../tools/node_modules'));
const viem = require('viem');
const { privateKeyToAccount } = require('viem/accounts');
const { ethers } = require('ethers');

const [httpUrl, wsUrl, keyA, keyB, emitter] = process.argv.slice(2);
if (!emitter) {
  console.error('usage: clients.cjs HTTP_URL WS_URL KEY_A KEY_B EMITTER');
  process.exit(2);
}

function within(ms, what, promise) {
  let timer;
  const fail = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, fail]).finally(() => clearTimeout(timer));
}

const emitThree = '0x' + '00'.repeat(31) + '03';
const isHash = (h) => /^0x[0-9a-f]{64}$/.test(h);
const fromEmitter = (log) =>
  log.address.toLowerCase() === emitter.toLowerCase() && isHash(log.transactionHash);

// Calls `send` (which returns a transaction hash) every 700 ms, recording the hashes in `sent`,
// until `stop()` is awaited. A failed send fails the run.
function pumpUntil(send, sent) {
  let running = true;
  const loop = (async () => {
    while (running) {
      sent.add(await send());
      await new Promise((r) => setTimeout(r, 700));
    }
  })();
  loop.catch((e) => {
    console.error(`FAILED: sending: ${e.stack || e}`);
    process.exit(1);
  });
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function viemChecks() {
  const chain = viem.defineChain({
    id: 270,
    name: 'rollupd dev',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [httpUrl], webSocket: [wsUrl] } },
  });
  const ws = viem.createPublicClient({ chain, transport: viem.webSocket(wsUrl) });
  const wallet = viem.createWalletClient({
    account: privateKeyToAccount(keyA),
    chain,
    transport: viem.http(httpUrl),
  });
  const unwatch = [];
  const block = new Promise((resolve) => {
    unwatch.push(ws.watchBlocks({ onBlock: (b) => resolve(b) }));
  });
  const pending = new Promise((resolve) => {
    unwatch.push(ws.watchPendingTransactions({ onTransactions: (hashes) => resolve(hashes) }));
  });
  const logs = new Promise((resolve) => {
    unwatch.push(ws.watchEvent({ address: emitter, onLogs: (l) => resolve(l) }));
  });
  // Subscriptions are set up asynchronously and viem does not say when one is live: keep
  // sending until every watcher has seen one of ours.
  const sent = new Set();
  const pump = pumpUntil(() => wallet.sendTransaction({ to: emitter, data: emitThree }), sent);
  const seenPending = await within(30000, 'viem watchPendingTransactions', pending);
  // Only our sends happen on this node (viem's pump), though a hash may arrive before its send
  // returns: check the shape, not the set.
  if (!seenPending.every(isHash)) throw new Error(`pending hashes ${seenPending}`);
  console.log('viem watchPendingTransactions ok');
  const seenLogs = await within(30000, 'viem watchEvent', logs);
  if (seenLogs.length < 1 || !fromEmitter(seenLogs[0])) {
    throw new Error(`logs ${JSON.stringify(seenLogs, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  }
  console.log('viem watchEvent ok');
  const seenBlock = await within(30000, 'viem watchBlocks', block);
  if (typeof seenBlock.number !== 'bigint') throw new Error('block without a number');
  console.log('viem watchBlocks ok');
  await pump.stop();
  unwatch.forEach((u) => u());
  const id = await ws.getChainId();
  if (id !== 270) throw new Error(`chain id ${id}`);
  console.log('viem getChainId ok');
}

async function ethersChecks() {
  const provider = new ethers.JsonRpcProvider(httpUrl, 270, {
    staticNetwork: true,
    pollingInterval: 250,
  });
  const wallet = new ethers.Wallet(keyB, provider);
  const onLog = new Promise((resolve) => provider.on({ address: emitter }, (log) => resolve(log)));
  const onPending = new Promise((resolve) => provider.on('pending', (h) => resolve(h)));
  // The filters are installed on the first poll: keep sending until both listeners fired.
  const sent = new Set();
  const pump = pumpUntil(async () => {
    const tx = await wallet.sendTransaction({ to: emitter, data: emitThree });
    const receipt = await within(20000, 'ethers tx.wait', tx.wait());
    if (receipt.status !== 1) throw new Error(`status ${receipt.status}`);
    return tx.hash;
  }, sent);
  const log = await within(30000, 'ethers provider.on(filter)', onLog);
  if (!fromEmitter(log)) throw new Error(`log ${JSON.stringify(log)}`);
  console.log('ethers sendTransaction ok');
  console.log('ethers provider.on(filter) ok');
  const pendingHash = await within(30000, "ethers provider.on('pending')", onPending);
  if (!isHash(pendingHash)) throw new Error(`pending ${pendingHash}`);
  console.log('ethers provider.on(pending) ok');
  await pump.stop();
  provider.destroy();
}

(async () => {
  await viemChecks();
  await ethersChecks();
  console.log('all client checks passed');
  process.exit(0);
})().catch((e) => {
  console.error(`FAILED: ${e.stack || e}`);
  process.exit(1);
});
