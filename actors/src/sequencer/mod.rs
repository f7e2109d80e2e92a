//! Sequencing: a chain's configuration, genesis and feeds, the pool and the sealer. The pool and the sealer talk by request; their messages are in [`protocol`].

pub mod chain;
pub mod pool;
pub mod protocol;
pub mod sealer;
