//! Spreading per-message work of one request over the machine's cores.
//!
//! A thread page reads every message of its thread: decoding the bodies and
//! reading what each one says are independent per message. For a long thread
//! [`map`] splits the slice into one contiguous chunk per core and runs the
//! chunks on scoped threads; short slices stay on the calling thread, where a
//! thread start would cost more than it saves. Scoped threads rather than a
//! pool: nothing spins between requests (a pool's idle workers did, and on
//! two cores that slowed the requests it was meant to speed up).

/// Below this many items, [`map`] runs on the calling thread.
const MIN_PARALLEL: usize = 32;

/// `items.iter().map(f).collect()`, in order, on up to
/// `available_parallelism` threads.
pub fn map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    map_from(items, MIN_PARALLEL, f)
}

/// [`map`] for items that each cost far more than a thread start (a store
/// read and a body decode): spreads from two items on.
pub fn map_heavy<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    map_from(items, 2, f)
}

/// [`map`], parallel from `min` items on, with at least `min / 2` items per
/// thread.
fn map_from<T: Sync, U: Send>(items: &[T], min: usize, f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 || items.len() < min.max(2) {
        return items.iter().map(&f).collect();
    }
    let chunk = items
        .len()
        .div_ceil(cores.min(items.len() / (min / 2).max(1)));
    let f = &f;
    std::thread::scope(|scope| {
        let mut chunks = items.chunks(chunk);
        // The calling thread takes the first chunk itself.
        let first = chunks.next().unwrap_or(&[]);
        let handles: Vec<_> = chunks
            .map(|c| scope.spawn(move || c.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out: Vec<U> = first.iter().map(f).collect();
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_at_every_length() {
        for n in [0, 1, 2, 3, 31, 32, 33, 100, 1001] {
            let items: Vec<usize> = (0..n).collect();
            for got in [
                super::map(&items, |x| x * 2),
                super::map_heavy(&items, |x| x * 2),
            ] {
                assert_eq!(
                    got,
                    items.iter().map(|x| x * 2).collect::<Vec<_>>(),
                    "n={n}"
                );
            }
        }
    }
}
