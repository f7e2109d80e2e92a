//! The L2 side of settlement: the batcher folds sealed blocks into L1 batches, the tree writer
//! applies each batch's diff to the state tree, the provers' load tells the batcher whether to
//! seal by age or keep filling, and the backlog gauge slows admission while L1
//! or the provers are far behind. (The eth sender and watcher are in `rollup-eth`.)

pub mod backlog;
pub mod batcher;
pub mod proving;
pub mod tree_writer;
