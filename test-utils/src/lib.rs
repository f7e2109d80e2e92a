//! Fixtures the workspace's integration tests share (a dev-dependency only, never published):
//! the dev accounts, child processes killed on drop, fresh temporary directories, and the
//! project's pinned anvil and solc from the npm tools (`npm ci --prefix tools`).

use alloy::signers::local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};

/// The test mnemonic every Ethereum dev tool uses (anvil, hardhat, `rollupd dev`).
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Dev account `i` of [`DEV_MNEMONIC`] (`m/44'/60'/0'/0/i`), the accounts `rollupd dev` and
/// anvil fund; account 0's key is
/// `0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80`. Each account is derived
/// once per process: a derivation takes milliseconds, and load tests sign in tight loops.
pub fn signer(i: usize) -> PrivateKeySigner {
    static DERIVED: Mutex<BTreeMap<usize, PrivateKeySigner>> = Mutex::new(BTreeMap::new());
    let mut derived = DERIVED.lock().unwrap_or_else(PoisonError::into_inner);
    derived.entry(i).or_insert_with(|| derive(i)).clone()
}

/// Derives dev account `i` from [`DEV_MNEMONIC`].
fn derive(i: usize) -> PrivateKeySigner {
    let index = u32::try_from(i).expect("a dev account index fits in u32");
    MnemonicBuilder::<English>::default()
        .phrase(DEV_MNEMONIC)
        .index(index)
        .expect("a dev account's derivation path")
        .build()
        .expect("deriving a dev account")
}

/// Dev account `i`'s private key as `0x` and 64 hex digits, the way `--private-key`, cast and the
/// JS clients take it.
pub fn key_hex(i: usize) -> String {
    format!("{:#x}", signer(i).to_bytes())
}

/// A child process killed (SIGKILL) and reaped when dropped, so a failing test leaves nothing
/// running behind it.
#[derive(Debug)]
pub struct KillOnDrop(
    /// The process.
    pub Child,
);

impl KillOnDrop {
    /// `kill -9` now, and wait for it (dropping it afterwards does nothing more).
    pub fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A loopback port nothing listens on right now (the OS chose it; a test binds it next).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("its address").port()
}

/// The repository's root directory (this crate is its `test-utils/`).
pub fn repo_root() -> PathBuf {
    // From the running test's package (cargo sets this at run time) up to the workspace's
    // `Cargo.lock`. Not this crate's compile-time path: a build of another clone into the same
    // target directory can leave that pointing at a directory that is gone.
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    start
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

/// A fresh, empty directory `<prefix>-<pid>-<name>` in the system's temporary directory; what an
/// earlier run left there is removed first.
pub fn fresh_dir(prefix: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

/// The anvil binary: `ANVIL_BIN` when set (then that file or none: an explicit choice is never
/// replaced by another anvil), else the npm tools' `tools/node_modules/.bin/anvil`, else `anvil`
/// on `PATH`. `None` when there is none.
pub fn anvil_path() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("ANVIL_BIN") {
        let bin = PathBuf::from(bin);
        return bin.exists().then_some(bin);
    }
    let npm = repo_root().join("tools/node_modules/.bin/anvil");
    if npm.exists() {
        return Some(npm);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|dir| dir.join("anvil")).find(|p| p.exists())
    })
}

/// [`anvil_path`] for a test that skips without anvil: `None` (with a `SKIPPED` line on stderr)
/// when it is missing, except in CI (`CI` set), where a missing anvil is a failure, never a skip.
pub fn anvil_path_or_skip() -> Option<PathBuf> {
    let path = anvil_path();
    if path.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "anvil is missing in CI: .ci/run must install the npm tools (tools/package.json)"
        );
        eprintln!("SKIPPED: anvil not found (run `npm ci --prefix tools` or set ANVIL_BIN)");
    }
    path
}

/// Runs the project's pinned solc (solc-js from the npm tools: `node tools/solc --standard-json`)
/// on a standard-JSON `input`; returns its standard-JSON output, failing if solc fails or reports
/// an error (warnings pass).
pub fn solc_standard_json(input: &serde_json::Value) -> serde_json::Value {
    let root = repo_root();
    let mut child = Command::new("node")
        .arg(root.join("tools/solc"))
        .arg("--standard-json")
        .current_dir(root.join("tools"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the project's solc (node tools/solc); run `npm ci --prefix tools`");
    let mut stdin = child.stdin.take().expect("solc's stdin is piped");
    stdin.write_all(input.to_string().as_bytes()).expect("write solc's input");
    drop(stdin); // closed, so solc sees the end of its input
    let out = child.wait_with_output().expect("wait for solc");
    assert!(out.status.success(), "solc failed");
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("solc's output is JSON");
    let errors: Vec<_> = json["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "solc errors: {errors:?}");
    json
}

#[cfg(test)]
mod tests {
    use super::key_hex;

    /// The keys anvil and `rollupd dev` print for their first dev accounts.
    const KEYS: [&str; 3] = [
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    ];

    #[test]
    fn dev_accounts_are_the_mnemonics() {
        for (i, key) in KEYS.into_iter().enumerate() {
            assert_eq!(key_hex(i), key, "dev account {i}");
            assert_eq!(key_hex(i), key, "dev account {i} again, as kept");
        }
    }
}
