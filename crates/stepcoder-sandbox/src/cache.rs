//! A small least-recently-used map with a fixed capacity, for per-problem caches: a long
//! training run sees an unbounded stream of problems, so nothing keyed by problem may grow
//! without bound.

use std::collections::HashMap;
use std::hash::Hash;

/// At most `capacity` entries; inserting into a full map evicts the least recently used one.
///
/// Eviction scans the entries (O(capacity)); it happens at most once per miss, whose cost (a
/// canonical solution run in the sandbox) dwarfs the scan.
#[derive(Debug)]
pub(crate) struct BoundedCache<K, V> {
    capacity: usize,
    clock: u64,
    entries: HashMap<K, (V, u64)>,
}

impl<K: Eq + Hash + Clone, V: Clone> BoundedCache<K, V> {
    /// A cache of at most `capacity` entries (a capacity of 0 keeps nothing).
    pub(crate) fn new(capacity: usize) -> Self {
        BoundedCache {
            capacity,
            clock: 0,
            entries: HashMap::new(),
        }
    }

    /// The value for `key`, marked as just used.
    pub(crate) fn get(&mut self, key: &K) -> Option<V> {
        self.clock += 1;
        let now = self.clock;
        self.entries.get_mut(key).map(|(v, used)| {
            *used = now;
            v.clone()
        })
    }

    /// Stores `value` under `key`, evicting the least recently used entry when full.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        if self.capacity == 0 {
            return;
        }
        self.clock += 1;
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (value, self.clock));
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::BoundedCache;

    #[test]
    fn never_holds_more_than_its_capacity_and_evicts_the_least_recently_used() {
        let mut c = BoundedCache::new(3);
        for i in 0..1000 {
            c.insert(i, i * 2);
            assert!(c.len() <= 3);
        }
        assert_eq!(c.len(), 3);
        assert_eq!(c.get(&999), Some(1998));
        assert_eq!(c.get(&0), None);

        let mut c = BoundedCache::new(2);
        c.insert("a", 1);
        c.insert("b", 2);
        // Using "a" makes "b" the least recently used: "c" evicts "b".
        assert_eq!(c.get(&"a"), Some(1));
        c.insert("c", 3);
        assert_eq!(c.get(&"b"), None);
        assert_eq!(c.get(&"a"), Some(1));
        assert_eq!(c.get(&"c"), Some(3));
        // Replacing an existing key evicts nothing.
        c.insert("c", 4);
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(&"c"), Some(4));

        let mut none = BoundedCache::new(0);
        none.insert(1, 1);
        assert_eq!(none.len(), 0);
    }
}
