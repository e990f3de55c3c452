//! Argon2 on tokio's blocking pool behind a semaphore: at most `permits` blocking tasks run
//! hashes at once, and waiting hashes queue in two bounded lanes, sign-in served first.
//!
//! A task that finishes a hash takes the next one waiting itself instead of handing its
//! permit back to an async waiter: with every core busy hashing, a waiter woken on the
//! runtime waits for a core before it can start its hash, and the permit idles meanwhile
//! (32 sign-ins at once took a median 0.46-0.60 s that way against 0.33-0.42 s on dedicated
//! threads and 0.30-0.48 s here, debug build; see docs/benchmarks.md). Tokio's `Semaphore` is
//! first come, first served, which would also put a flood of sign-ups ahead of a sign-in.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

/// Which queue a hash waits in. Sign-in is served first, so a flood of sign-ups (which hash
/// a new password) cannot delay a legitimate sign-in by more than the hashes in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    SignIn,
    NewPassword,
}

/// A hash waiting for a permit, with the channel its request listens on.
trait Work: Send {
    /// The request has gone (client disconnected, timed out): nobody wants the result.
    fn abandoned(&self) -> bool;
    fn run(self: Box<Self>);
}

struct Pending<T, F> {
    reply: oneshot::Sender<T>,
    f: F,
}

impl<T: Send, F: FnOnce() -> T + Send> Work for Pending<T, F> {
    fn abandoned(&self) -> bool {
        self.reply.is_closed()
    }
    fn run(self: Box<Self>) {
        let _ = self.reply.send((self.f)());
    }
}

#[derive(Default)]
struct Queues {
    /// Blocking tasks running hashes now (the permits taken).
    running: usize,
    sign_in: VecDeque<Box<dyn Work>>,
    new_password: VecDeque<Box<dyn Work>>,
}

pub struct HashPool {
    queues: Arc<Mutex<Queues>>,
    permits: usize,
}

fn lock(queues: &Mutex<Queues>) -> MutexGuard<'_, Queues> {
    // Nothing panics while the lock is held; a poisoned state is still consistent.
    queues.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl HashPool {
    pub fn new(permits: usize) -> Self {
        Self { queues: Arc::default(), permits: permits.max(1) }
    }

    pub fn permits(&self) -> usize {
        self.permits
    }

    /// Queues `f` in `lane` and starts a blocking task if a permit is free. `Err(waiting)`
    /// when `depth` hashes already wait in that lane (those whose request has gone do not
    /// count). Dropping the receiver before the hash starts means it never runs.
    pub fn submit<T, F>(&self, lane: Lane, depth: usize, f: F) -> Result<oneshot::Receiver<T>, usize>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let mut queues = lock(&self.queues);
        let queue = match lane {
            Lane::SignIn => &mut queues.sign_in,
            Lane::NewPassword => &mut queues.new_password,
        };
        queue.retain(|work| !work.abandoned());
        if queue.len() >= depth {
            return Err(queue.len());
        }
        queue.push_back(Box::new(Pending { reply, f }));
        if queues.running < self.permits {
            queues.running += 1;
            let shared = self.queues.clone();
            // Not awaited: the task outlives any one request and ends when the lanes are empty.
            drop(tokio::task::spawn_blocking(move || drain(&shared)));
        }
        Ok(rx)
    }
}

/// Runs waiting hashes, sign-in first, until none is left; then gives the permit back.
fn drain(queues: &Mutex<Queues>) {
    loop {
        let next = {
            let mut queues = lock(queues);
            match queues.sign_in.pop_front().or_else(|| queues.new_password.pop_front()) {
                Some(work) => work,
                None => {
                    queues.running -= 1;
                    return;
                }
            }
        };
        if !next.abandoned() {
            // A panicking hash drops its reply (the request sees an error); the permit stays.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| next.run()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Occupies the pool's only permit until the returned sender is dropped.
    struct Busy {
        _release: std::sync::mpsc::Sender<()>,
        _result: oneshot::Receiver<()>,
    }

    fn block(pool: &HashPool) -> Result<Busy, Box<dyn std::error::Error>> {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, running) = std::sync::mpsc::channel::<()>();
        let result = pool
            .submit(Lane::NewPassword, 1, move || {
                let _ = started.send(());
                let _ = wait.recv();
            })
            .map_err(|n| format!("{n}"))?;
        running.recv()?;
        Ok(Busy { _release: release, _result: result })
    }

    #[tokio::test]
    async fn a_sign_in_runs_before_new_passwords_that_waited_longer() -> TestResult {
        let pool = HashPool::new(1);
        let release = block(&pool)?;
        let order = Arc::new(Mutex::new(Vec::new()));
        let log = |name: &'static str| {
            let order = order.clone();
            move || lock_vec(&order).push(name)
        };
        let first = pool.submit(Lane::NewPassword, 4, log("sign-up 1")).map_err(|n| format!("{n}"))?;
        let second = pool.submit(Lane::NewPassword, 4, log("sign-up 2")).map_err(|n| format!("{n}"))?;
        let sign_in = pool.submit(Lane::SignIn, 4, log("sign-in")).map_err(|n| format!("{n}"))?;
        drop(release);
        first.await?;
        second.await?;
        sign_in.await?;
        assert_eq!(*lock_vec(&order), ["sign-in", "sign-up 1", "sign-up 2"]);
        Ok(())
    }

    fn lock_vec<'a>(v: &'a Mutex<Vec<&'static str>>) -> MutexGuard<'a, Vec<&'static str>> {
        v.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[tokio::test]
    async fn each_lane_is_bounded_on_its_own() -> TestResult {
        let pool = HashPool::new(1);
        let release = block(&pool)?;
        let _waiting = pool.submit(Lane::NewPassword, 1, || ()).map_err(|n| format!("{n}"))?;
        assert!(matches!(pool.submit(Lane::NewPassword, 1, || ()), Err(1)), "the new-password lane is full");
        assert!(pool.submit(Lane::SignIn, 1, || ()).is_ok(), "sign-in has room of its own");
        drop(release);
        Ok(())
    }

    #[tokio::test]
    async fn a_hash_whose_request_has_gone_is_not_run_and_does_not_count() -> TestResult {
        let pool = HashPool::new(1);
        let release = block(&pool)?;
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        drop(pool.submit(Lane::SignIn, 1, move || flag.store(true, Ordering::SeqCst)));
        let next = pool.submit(Lane::SignIn, 1, || "hashed").map_err(|n| format!("{n}"))?;
        drop(release);
        assert_eq!(next.await?, "hashed");
        assert!(!ran.load(Ordering::SeqCst), "the abandoned hash ran");
        Ok(())
    }

    #[tokio::test]
    async fn a_panicking_hash_fails_its_request_and_keeps_the_permit() -> TestResult {
        let pool = HashPool::new(1);
        let failed = pool.submit(Lane::SignIn, 1, || -> u8 { panic!("argon2 failed") }).map_err(|n| format!("{n}"))?;
        assert!(failed.await.is_err());
        let next = pool.submit(Lane::SignIn, 1, || 42).map_err(|n| format!("{n}"))?;
        assert_eq!(tokio::time::timeout(std::time::Duration::from_secs(5), next).await??, 42);
        Ok(())
    }
}
