//! CPU work of one request spread over the machine's cores, and freeing
//! large values off the path of an answer.
//!
//! Why: a batch write is one request that one client waits for. Its Rust
//! work (parsing the stored bodies it changes, writing them back) ran on
//! one core while the other stood idle; the store's writer is one thread
//! whatever the number of cores, so these parts are what a second core
//! can shorten.

use std::sync::OnceLock;

/// Below this many items per thread one core does it all: starting a
/// thread costs more than it saves.
const MIN_PER_THREAD: usize = 64;

fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `items.iter().map(f).collect()`, in order, on up to every core. A
/// panic in `f` is the caller's panic.
pub fn map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = cores().min(items.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let others: Vec<_> = items[chunk..].chunks(chunk).map(|c| scope.spawn(move || c.iter().map(f).collect::<Vec<U>>())).collect();
        let mut out: Vec<U> = items[..chunk].iter().map(f).collect();
        for other in others {
            match other.join() {
                Ok(part) => out.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// Drops `value` on a blocking thread of the runtime when there is one
/// (freeing a batch's thousand entities took as long as writing a table).
pub fn drop_later<T: Send + 'static>(value: T) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => drop(runtime.spawn_blocking(move || drop(value))),
        Err(_) => drop(value),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn map_keeps_the_order_of_the_items_on_any_number_of_threads() {
        for n in [0, 1, 63, 64, 200, 1001] {
            let items: Vec<usize> = (0..n).collect();
            assert_eq!(super::map(&items, |i| i * 2), items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
    }
}
