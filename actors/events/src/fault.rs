//! Named fault points for crash tests of real processes.
//!
//! Test builds only (feature `test-utils`; `cargo test` of the workspace turns it on, a release
//! build of `rollupd` does not have it). The environment variable `ROLLUPD_FAULTS` lists
//! `point=action` pairs separated by commas:
//! - `pause`: the first time the point is reached, print `fault point <name> reached` to stderr
//!   and park the calling thread for ever, so a test can `kill -9` the process at exactly that
//!   state;
//! - `panic`: panic the first time the point is reached (the actor's supervisor restarts it).
//!
//! Without the feature [`point`] is an empty inline function.

/// Marks a point where a crash test may stop or panic this process.
#[cfg(not(feature = "test-utils"))]
#[inline(always)]
pub fn point(_name: &'static str) {}

/// Marks a point where a crash test may stop or panic this process.
#[cfg(feature = "test-utils")]
pub fn point(name: &'static str) {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static ARMED: OnceLock<Mutex<Vec<(String, String)>>> = OnceLock::new();
    static FIRED: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let armed = ARMED.get_or_init(|| {
        let spec = std::env::var("ROLLUPD_FAULTS").unwrap_or_default();
        Mutex::new(
            spec.split(',')
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect(),
        )
    });
    let action = {
        let g = armed.lock().unwrap_or_else(|p| p.into_inner());
        match g.iter().find(|(k, _)| k == name) {
            Some((_, a)) => a.clone(),
            None => return,
        }
    };
    {
        let mut fired = FIRED.lock().unwrap_or_else(|p| p.into_inner());
        if !fired.get_or_insert_with(HashSet::new).insert(name) {
            return;
        }
    }
    eprintln!("fault point {name} reached: {action}");
    match action.as_str() {
        "panic" => panic!("injected fault at {name}"),
        "pause" => loop {
            std::thread::park();
        },
        other => panic!("ROLLUPD_FAULTS: unknown action {other:?} for {name}"),
    }
}
