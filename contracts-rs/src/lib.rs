//! Rust side of the rollupd L1 contract suite.
//!
//! - [`bindings`]: alloy `sol!` bindings generated from the committed artifacts in `artifacts/`
//!   (exported from `diamond/` by `diamond/scripts/artifacts.js`; a check in the test command fails
//!   when they are stale against the Solidity sources).
//! - [`deploy()`]: deploys the facets, the init contract and the proxy with its initial cut and
//!   genesis batch, and returns every address.
//! - [`batch`]: the Rust twin of what `commitBatches` computes (stored batch info, commitment,
//!   L2->L1 logs tree), so the node can build the exact structs L1 will hash.
//! - [`cost`]: the calldata size and gas bound of each settlement transaction, which the
//!   batcher seals by and the eth sender packs by.
//! - [`errors`]: typed decoding of reverts, so users see `NotValidator(0x…)`, not hex.

pub mod batch;
pub mod bindings;
pub mod cost;
pub mod deploy;
pub mod errors;

pub use deploy::{deploy, DeployConfig, DeployError, Deployment, FeeParamsConfig, GenesisConfig};
pub use errors::{decode_revert, describe_error};
