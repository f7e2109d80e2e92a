//! The RPC's own execution threads, apart from the sequencer's.
//!
//! Every call that runs the EVM or scans (`eth_call`, `eth_estimateGas`,
//! `eth_createAccessList`, `eth_getLogs`, filter polls, `eth_feeHistory`, log proofs,
//! whole blocks and a block's receipts) runs here, never on tokio's blocking pool, which the
//! sealer uses to build blocks. Point reads (balances, code, storage, a transaction or its
//! receipt: a few database lookups) run where the call is served, on the server's own runtime,
//! so they never wait behind slow executions. There are `rpc.exec_threads` of them, with a lower CPU priority
//! than the sequencer's (a nice value, on Linux), so a flood of slow calls shares the cores
//! without delaying sealing. At most `rpc.max_queued_calls` calls wait for a thread, and at most
//! a tenth of them from one client address; past that a call is refused at once with `-32005`,
//! as a busy geth or Infura answers, instead of queuing without bound.
//!
//! A call's time starts when it is received ([`scope`]), not when it gets a thread: a call
//! still queued at its deadline is answered `request timed out` without running, and a call
//! whose client has gone (its answer dropped: the connection closed, or the timeout answered
//! first) is skipped.

use super::{rpc_err, server_err, RpcResult};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Job = Box<dyn FnOnce() + Send + 'static>;

tokio::task_local! {
    /// When the call being served is due: its receipt plus `rpc.call_timeout_ms`.
    static DUE: Instant;
}

/// Runs `fut` (one call) with its deadline known to the work it hands to the threads.
pub(crate) async fn scope<F: std::future::Future>(due: Instant, fut: F) -> F::Output {
    DUE.scope(due, fut).await
}

/// The deadline of the call being served (`fallback` from now outside of [`scope`]).
pub(crate) fn due(fallback: Duration) -> Instant {
    DUE.try_with(|d| *d).unwrap_or_else(|_| Instant::now() + fallback)
}

/// The nice value of the RPC's threads on the L2: sealing runs at the process's own priority,
/// so with both cores busy the kernel gives it about ten times an RPC thread's share.
pub(crate) const RPC_NICE: i32 = 10;

/// Lowers the calling thread's CPU priority to `nice` (Linux only; elsewhere a no-op).
pub(crate) fn nice_this_thread(nice: i32) {
    #[cfg(target_os = "linux")]
    if nice != 0 {
        // SAFETY: `setpriority` reads only its arguments. On Linux, `PRIO_PROCESS` with the
        // thread id applies to that one thread.
        let tid = unsafe { libc::gettid() };
        let r = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice) };
        if r != 0 {
            tracing::warn!(target: "rollup::rpc", nice, error = %std::io::Error::last_os_error(), "could not lower an RPC thread's priority");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// The pool of execution threads.
#[derive(Debug)]
pub(crate) struct Workers {
    queue: SyncSender<Job>,
    /// Jobs handed over and not yet started.
    queued: Arc<AtomicUsize>,
    /// The same, by client address.
    queued_by: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max_queued: usize,
    call_timeout: Duration,
}

impl Workers {
    /// Starts `threads` threads named `{name}-exec-N` at `nice`, with room for `max_queued`
    /// waiting jobs. They stop once the pool is dropped.
    pub(crate) fn start(
        name: &str,
        threads: usize,
        max_queued: usize,
        nice: i32,
        call_timeout: Duration,
    ) -> std::io::Result<Self> {
        let (queue, rx) = sync_channel::<Job>(max_queued);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new().name(format!("{name}-exec-{i}")).spawn(move || {
                nice_this_thread(nice);
                work(&rx);
            })?;
        }
        Ok(Self {
            queue,
            queued: Arc::new(AtomicUsize::new(0)),
            queued_by: Arc::default(),
            max_queued,
            call_timeout,
        })
    }

    /// Runs `f` on a thread and waits for it, unless the call is due first (`-32000 request
    /// timed out`), the queue is full (`-32005`), or the caller stops waiting (then `f` never
    /// starts).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> RpcResult<T> + Send + 'static,
    ) -> RpcResult<T> {
        let due = due(self.call_timeout);
        let timeout = self.call_timeout;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let queued = self.queued.clone();
        let share = Share::take(&self.queued_by, super::peer(), (self.max_queued / 10).max(1))?;
        let job: Job = Box::new(move || {
            queued.fetch_sub(1, Ordering::Relaxed);
            drop(share);
            if tx.is_closed() {
                return;
            }
            if Instant::now() >= due {
                let _ = tx.send(Err(timed_out(timeout)));
                return;
            }
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
                .unwrap_or_else(|_| Err(server_err("internal error: the call panicked")));
            let _ = tx.send(out);
        });
        // Counted before it is sent, so a thread never takes it below zero.
        let waiting = self.queued.fetch_add(1, Ordering::Relaxed);
        let sent = if waiting >= self.max_queued {
            Err(TrySendError::Full(job))
        } else {
            self.queue.try_send(job)
        };
        if let Err(e) = sent {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(match e {
                TrySendError::Full(_) => busy(self.max_queued),
                TrySendError::Disconnected(_) => server_err("the RPC server is stopping"),
            });
        }
        rx.await.map_err(|_| server_err("internal error: the call's thread is gone"))?
    }

    /// Calls waiting for a thread.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }
}

/// A queued call counted against its client address's share; uncounted when dropped.
struct Share {
    by: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: Option<IpAddr>,
}

impl Share {
    /// Counts a call from `ip`, or refuses it: the address has `max` calls waiting already.
    fn take(
        by: &Arc<Mutex<HashMap<IpAddr, usize>>>,
        ip: Option<IpAddr>,
        max: usize,
    ) -> RpcResult<Self> {
        if let Some(ip) = ip {
            let mut g = by.lock().unwrap_or_else(|p| p.into_inner());
            let n = g.entry(ip).or_insert(0);
            if *n >= max {
                return Err(rpc_err(
                    -32005,
                    format!("server busy: this address already has {max} calls waiting for an execution thread (a tenth of rpc.max_queued_calls); retry later"),
                ));
            }
            *n += 1;
        }
        Ok(Self { by: by.clone(), ip })
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let mut g = self.by.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = g.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                g.remove(&ip);
            }
        }
    }
}

fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let Ok(rx) = rx.lock() else { return };
            match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        job();
    }
}

/// geth's `-32002 request timed out`, with the limit.
pub(crate) fn timed_out(timeout: Duration) -> jsonrpsee::types::ErrorObjectOwned {
    rpc_err(-32002, format!("request timed out after {}ms", timeout.as_millis()))
}

/// `-32005`: the server is at its limit; the client should retry later.
fn busy(max_queued: usize) -> jsonrpsee::types::ErrorObjectOwned {
    rpc_err(
        -32005,
        format!(
            "server busy: {max_queued} calls are already waiting for an execution thread (rpc.max_queued_calls); retry later"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(threads: usize, queued: usize, timeout_ms: u64) -> Arc<Workers> {
        Arc::new(
            Workers::start("test", threads, queued, 0, Duration::from_millis(timeout_ms))
                .expect("threads start"),
        )
    }

    /// Occupies `w`'s one thread with a job that answers 1 once the returned gate is passed.
    async fn occupy(
        w: &Arc<Workers>,
    ) -> (Arc<std::sync::Barrier>, tokio::task::JoinHandle<RpcResult<i32>>) {
        let gate = Arc::new(std::sync::Barrier::new(2));
        let started = Arc::new(AtomicUsize::new(0));
        let (g, s) = (gate.clone(), started.clone());
        let running = tokio::spawn({
            let w = w.clone();
            async move {
                w.run(move || {
                    s.fetch_add(1, Ordering::Relaxed);
                    g.wait();
                    Ok(1)
                })
                .await
            }
        });
        while started.load(Ordering::Relaxed) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        (gate, running)
    }

    #[tokio::test]
    async fn past_the_queue_limit_a_call_is_refused_at_once() {
        let w = pool(1, 2, 10_000);
        // One running (held at the gate), two queued: the fourth is refused.
        let (gate, running) = occupy(&w).await;
        let queued: Vec<_> = (0..2)
            .map(|i| {
                let w = w.clone();
                tokio::spawn(async move { w.run(move || Ok(10 + i)).await })
            })
            .collect();
        while w.queued() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let refused = w.run(|| Ok(99)).await.expect_err("the queue is full");
        assert_eq!(refused.code(), -32005, "{refused:?}");
        assert!(refused.message().contains("rpc.max_queued_calls"), "{refused:?}");
        gate.wait();
        assert_eq!(running.await.unwrap().unwrap(), 1);
        for (i, q) in queued.into_iter().enumerate() {
            assert_eq!(q.await.unwrap().unwrap(), 10 + i as i32);
        }
    }

    #[tokio::test]
    async fn a_call_due_while_queued_does_not_run_and_an_abandoned_one_is_skipped() {
        let w = pool(1, 8, 100);
        let ran = Arc::new(AtomicUsize::new(0));
        let (gate, blocker) = occupy(&w).await;
        // Received now, due in 100 ms, but the only thread is held for 300 ms.
        let r = ran.clone();
        let late = tokio::spawn({
            let w = w.clone();
            scope(Instant::now() + Duration::from_millis(100), async move {
                w.run(move || {
                    r.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                })
                .await
            })
        });
        // A caller that stops waiting: its job must never start.
        let r = ran.clone();
        let abandoned = tokio::spawn({
            let w = w.clone();
            async move {
                w.run(move || {
                    r.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                })
                .await
            }
        });
        while w.queued() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        abandoned.abort();
        let _ = abandoned.await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        gate.wait();
        blocker.await.unwrap().unwrap();
        let err = late.await.unwrap().expect_err("it was due before a thread was free");
        assert!(err.message().contains("timed out"), "{err:?}");
        while w.queued() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // The pool still serves, and neither job ran.
        assert_eq!(w.run(|| Ok(7)).await.unwrap(), 7);
        assert_eq!(ran.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn a_panicking_call_is_an_error_and_the_thread_survives() {
        let w = pool(1, 4, 10_000);
        let err = w.run::<()>(|| panic!("boom")).await.expect_err("the panic is reported");
        assert!(err.message().contains("internal error"), "{err:?}");
        assert_eq!(w.run(|| Ok(3)).await.unwrap(), 3);
    }

    #[test]
    fn the_thread_priority_is_lowered() {
        let nice = std::thread::spawn(|| {
            nice_this_thread(RPC_NICE);
            // SAFETY: reads the calling thread's priority.
            unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
        })
        .join()
        .unwrap();
        assert!(nice >= RPC_NICE, "nice {nice}");
    }
}
