#!/usr/bin/env node
// Exports the compiled contracts that Rust binds (ABI + bytecode) from forge's `out/` into
// `contracts-rs/artifacts/`, so `cargo build` needs neither node nor forge.
//
//   node scripts/artifacts.js          write the artifacts (after `forge build`)
//   node scripts/artifacts.js --check  fail if a committed artifact differs from `out/`
'use strict';
const fs = require('fs');
const path = require('path');

const diamond = path.resolve(__dirname, '..');
const rust = path.resolve(diamond, '..', 'contracts-rs');

// [source file, contract, destination dir]; test doubles go to the test-only directory.
const EXPORTS = [
  ['DiamondProxy.sol', 'DiamondProxy', 'artifacts'],
  ['DiamondInit.sol', 'DiamondInit', 'artifacts'],
  ['Admin.sol', 'AdminFacet', 'artifacts'],
  ['Executor.sol', 'ExecutorFacet', 'artifacts'],
  ['Mailbox.sol', 'MailboxFacet', 'artifacts'],
  ['Getters.sol', 'GettersFacet', 'artifacts'],
  ['IRollupChain.sol', 'IRollupChain', 'artifacts'],
  ['IVerifier.sol', 'IVerifier', 'artifacts'],
  ['StateDiffVerifier.sol', 'StateDiffVerifier', 'artifacts'],
  ['StateDiffKeysVerifier.sol', 'StateDiffKeysVerifier', 'artifacts'],
  ['L1Messenger.sol', 'L1Messenger', 'artifacts'],
  ['L2BaseToken.sol', 'L2BaseToken', 'artifacts'],
  ['TestVerifier.sol', 'TestVerifier', 'tests/artifacts'],
];

function render(file, name) {
  const src = path.join(diamond, 'out', file, `${name}.json`);
  if (!fs.existsSync(src)) {
    throw new Error(`${src} is missing: run \`forge build\` in diamond/ first`);
  }
  const out = JSON.parse(fs.readFileSync(src, 'utf8'));
  const artifact = {
    abi: out.abi,
    bytecode: out.bytecode.object,
    deployedBytecode: out.deployedBytecode.object,
  };
  return JSON.stringify(artifact, null, 2) + '\n';
}

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, name, dir] of EXPORTS) {
  const dest = path.join(rust, dir, `${name}.json`);
  const fresh = render(file, name);
  if (check) {
    const committed = fs.existsSync(dest) ? fs.readFileSync(dest, 'utf8') : '';
    if (committed !== fresh) {
      console.error(`stale: ${path.relative(process.cwd(), dest)} differs from diamond/out (${file}:${name})`);
      stale += 1;
    }
  } else {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, fresh);
  }
}
if (stale > 0) {
  console.error(`${stale} artifact(s) are stale: run \`node diamond/scripts/artifacts.js\` after \`forge build\` and commit them`);
  process.exit(1);
}
console.log(check ? 'artifacts are up to date' : `wrote ${EXPORTS.length} artifacts`);
