//! What a prober makes once per distinct monitor setting and reuses on every check: the TLS
//! client configuration of each CA set and each compiled body assertion. A worker decodes a
//! fresh monitor for every task, so a cache keyed by the setting itself, not one held by the
//! monitor, is what keeps this work to once per monitor rather than once per check.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

/// A map bounded to `capacity` entries; when full, the entry made first goes first.
#[derive(Debug)]
pub(crate) struct SharedCache<K, V> {
    capacity: usize,
    entries: Mutex<Entries<K, V>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K: Hash + Eq + Clone, V: Clone> SharedCache<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                order: VecDeque::new(),
            }),
        }
    }

    /// The value for `key`, made by `make` the first time. `make` runs outside the lock, so
    /// one slow build does not hold up checks of other monitors; two checks racing on a new
    /// key may both build it, and the first one in stays. Errors are not kept.
    pub(crate) fn get_or_try_insert<E>(
        &self,
        key: &K,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Some(value) = self.lock().map.get(key) {
            return Ok(value.clone());
        }
        let value = make()?;
        let mut entries = self.lock();
        if let Some(existing) = entries.map.get(key) {
            return Ok(existing.clone());
        }
        if entries.map.len() >= self.capacity
            && let Some(oldest) = entries.order.pop_front()
        {
            entries.map.remove(&oldest);
        }
        entries.order.push_back(key.clone());
        entries.map.insert(key.clone(), value.clone());
        Ok(value)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().map.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        // Nothing panics while holding the lock, and a map left half-updated is still a map.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;

    #[test]
    fn a_value_is_made_once_per_key_and_the_oldest_goes_when_full() {
        let cache = SharedCache::new(2);
        let mut made = 0;
        let mut get = |key: &str| {
            cache
                .get_or_try_insert(&key.to_owned(), || {
                    made += 1;
                    Ok::<_, Infallible>(key.len())
                })
                .unwrap()
        };
        assert_eq!(get("a"), 1);
        assert_eq!(get("a"), 1);
        assert_eq!(get("bb"), 2);
        assert_eq!(get("ccc"), 3);
        assert_eq!(get("bb"), 2);
        assert_eq!(get("a"), 1, "made again: it went first");
        assert_eq!(made, 4);
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn errors_are_returned_and_not_kept() {
        let cache: SharedCache<u8, u8> = SharedCache::new(4);
        assert_eq!(cache.get_or_try_insert(&1, || Err("no")), Err("no"));
        assert_eq!(cache.get_or_try_insert(&1, || Ok::<_, &str>(7)), Ok(7));
        assert_eq!(cache.len(), 1);
    }
}
