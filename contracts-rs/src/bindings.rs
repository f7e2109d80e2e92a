//! Contract bindings generated from the committed artifacts (never hand-written ABIs).
//!
//! [`IRollupChain::IRollupChainInstance`] at the proxy address reaches every facet's functions,
//! events and errors. The facet, init and proxy bindings carry bytecode and are used to deploy.
#![allow(missing_docs, unreachable_pub, clippy::too_many_arguments)]

use alloy::sol;

sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    IRollupChain,
    "artifacts/IRollupChain.json"
);

sol!(
    #[sol(rpc)]
    IVerifier,
    "artifacts/IVerifier.json"
);

sol!(
    #[sol(rpc)]
    DiamondProxy,
    "artifacts/DiamondProxy.json"
);

sol!(
    #[sol(rpc)]
    DiamondInit,
    "artifacts/DiamondInit.json"
);

sol!(
    #[sol(rpc)]
    AdminFacet,
    "artifacts/AdminFacet.json"
);

sol!(
    #[sol(rpc)]
    ExecutorFacet,
    "artifacts/ExecutorFacet.json"
);

sol!(
    #[sol(rpc)]
    MailboxFacet,
    "artifacts/MailboxFacet.json"
);

sol!(
    #[sol(rpc)]
    GettersFacet,
    "artifacts/GettersFacet.json"
);
