//! What a block is made of and does: user transactions decoded and checked by the admission
//! rules ([`validation`]), L1->L2 requests as the L2 executes them ([`priority`]), revm
//! execution of both into an L2 block ([`block`]), and the L2 system contracts ([`system`]).

pub mod block;
pub mod priority;
pub mod system;
pub mod validation;
