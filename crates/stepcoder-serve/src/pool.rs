//! The workers that run programs, and admission control in front of them.
//!
//! Execution is blocking, CPU-bound work, so it never runs on the async runtime: each
//! admitted request becomes one job on a rayon pool of `workers` threads. The sandbox
//! itself splits a program's tests with `rayon::join`, so an idle worker steals tests of
//! a busy program, exactly as in the in-process batch.
//!
//! Admission is a counter, not a channel: at most `workers + max_queue` requests are
//! admitted at a time (counted from before their body is read until their job ends), and
//! one more gets 503 at once. That bounds memory by `(workers + max_queue) x max_body`
//! however many clients connect.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::ServeError;

#[derive(Debug)]
pub(crate) struct Pool {
    threads: rayon::ThreadPool,
    workers: usize,
    capacity: usize,
    admitted: AtomicUsize,
    admitted_max: AtomicUsize,
    busy: AtomicUsize,
}

/// One admitted request; dropping it frees its place.
#[derive(Debug)]
pub(crate) struct Slot(Arc<Pool>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Marks a worker busy while it lives.
struct Busy<'a>(&'a Pool);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Where a queued job stands; the handler and the worker race on it with compare-exchange
/// so a job is either started by a worker or answered 504 by its handler, never both.
pub(crate) const QUEUED: u8 = 0;
pub(crate) const STARTED: u8 = 1;
pub(crate) const EXPIRED: u8 = 2;

pub(crate) type JobState = Arc<AtomicU8>;

impl Pool {
    pub(crate) fn new(workers: usize, max_queue: usize) -> Result<Arc<Pool>, ServeError> {
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("stepcoder-serve-{i}"))
            .build()
            .map_err(|e| ServeError::Start {
                what: "worker pool",
                source: std::io::Error::other(e.to_string()),
            })?;
        Ok(Arc::new(Pool {
            threads,
            workers,
            capacity: workers + max_queue,
            admitted: AtomicUsize::new(0),
            admitted_max: AtomicUsize::new(0),
            busy: AtomicUsize::new(0),
        }))
    }

    /// A place for one more request, or `None` when `workers + max_queue` are admitted.
    pub(crate) fn try_admit(self: &Arc<Self>) -> Option<Slot> {
        let mut now = self.admitted.load(Ordering::Acquire);
        loop {
            if now >= self.capacity {
                return None;
            }
            match self.admitted.compare_exchange_weak(
                now,
                now + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    self.admitted_max.fetch_max(now + 1, Ordering::Relaxed);
                    return Some(Slot(self.clone()));
                }
                Err(actual) => now = actual,
            }
        }
    }

    /// Queues `job`; it runs on a worker unless its handler expired it first (then it is
    /// dropped unrun, and so is its slot). `deliver` gets its result after the worker and
    /// the slot are free again, so a client that has its answer sees the pool as it is.
    pub(crate) fn spawn<R>(
        self: &Arc<Self>,
        slot: Slot,
        state: JobState,
        job: impl FnOnce() -> R + Send + 'static,
        deliver: impl FnOnce(R) + Send + 'static,
    ) {
        let pool = self.clone();
        self.threads.spawn(move || {
            if state
                .compare_exchange(QUEUED, STARTED, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                drop(slot);
                return;
            }
            pool.busy.fetch_add(1, Ordering::AcqRel);
            let result = {
                let _busy = Busy(&pool);
                job()
            };
            drop(slot);
            deliver(result);
        });
    }

    pub(crate) fn gauges(&self) -> crate::metrics::Gauges {
        let admitted = self.admitted.load(Ordering::Acquire);
        let busy = self.busy.load(Ordering::Acquire);
        crate::metrics::Gauges {
            in_flight: admitted as u64,
            in_flight_max: self.admitted_max.load(Ordering::Relaxed) as u64,
            queue_depth: admitted.saturating_sub(busy) as u64,
            capacity: self.capacity as u64,
            busy: busy as u64,
            workers: self.workers as u64,
        }
    }
}
