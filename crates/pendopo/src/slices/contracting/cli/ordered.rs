//! A small thread pool whose results come back in the order the work went
//! in, so that the CLI parses and merges on every core while writing exactly
//! what one thread would.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::Scope;

type Job<'scope> = Box<dyn FnOnce() + Send + 'scope>;

/// Worker threads of a [`std::thread::scope`]; they end when the pool is dropped.
pub struct Pool<'scope> {
    jobs: mpsc::Sender<Job<'scope>>,
}

impl<'scope> Pool<'scope> {
    pub fn new<'env>(scope: &'scope Scope<'scope, 'env>, workers: usize) -> Pool<'scope> {
        let (jobs, queue) = mpsc::channel::<Job<'scope>>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..workers.max(1) {
            let queue = Arc::clone(&queue);
            scope.spawn(move || {
                loop {
                    // The lock is held while waiting for a job, not while running it.
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => break,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => break,
                    }
                }
            });
        }
        Pool { jobs }
    }

    /// Runs `work` on each item of `input` on the pool, with at most `ahead`
    /// items in flight, and yields the results in input order. The input is
    /// pulled on the caller's thread, as results are asked for.
    pub fn map_ordered<I, F, U>(&self, input: I, ahead: usize, work: F) -> Ordered<'_, 'scope, I::IntoIter, F, U>
    where
        I: IntoIterator,
    {
        Ordered { pool: self, input: input.into_iter(), work: Arc::new(work), ahead: ahead.max(1), waiting: VecDeque::new() }
    }
}

/// The results of [`Pool::map_ordered`].
pub struct Ordered<'p, 'scope, I, F, U> {
    pool: &'p Pool<'scope>,
    input: I,
    work: Arc<F>,
    ahead: usize,
    waiting: VecDeque<mpsc::Receiver<U>>,
}

impl<'scope, I, F, U> Iterator for Ordered<'_, 'scope, I, F, U>
where
    I: Iterator,
    I::Item: Send + 'scope,
    F: Fn(I::Item) -> U + Send + Sync + 'scope,
    U: Send + 'scope,
{
    type Item = U;

    fn next(&mut self) -> Option<U> {
        while self.waiting.len() < self.ahead {
            let Some(item) = self.input.next() else { break };
            let (done, result) = mpsc::sync_channel(1);
            let work = Arc::clone(&self.work);
            let job: Job<'scope> = Box::new(move || {
                // The receiver is gone only when the caller stopped listening.
                let _ = done.send(work(item));
            });
            // The workers live as long as the pool, which outlives `self`.
            self.pool.jobs.send(job).expect("the pool's workers are running");
            self.waiting.push_back(result);
        }
        let result = self.waiting.pop_front()?;
        // A job's sender disappears without a result only if its work panicked.
        Some(result.recv().expect("a worker thread panicked"))
    }
}

#[cfg(test)]
mod tests {
    use super::Pool;

    #[test]
    fn results_come_in_input_order_and_stages_chain() {
        let got: Vec<u64> = std::thread::scope(|scope| {
            let pool = Pool::new(scope, 3);
            let slow_first = pool.map_ordered(0..200u64, 8, |n| {
                std::thread::sleep(std::time::Duration::from_micros((200 - n) * 10));
                n * 2
            });
            pool.map_ordered(slow_first, 5, |n| n + 1).collect()
        });
        assert_eq!(got, (0..200).map(|n| n * 2 + 1).collect::<Vec<_>>());
    }
}
