//! What label and lot pages read from the store, kept in memory so a busy label costs no
//! database work: an entry is used while the store's generation is the one it was read at (no
//! write through this process since) and it is younger than [`MAX_AGE`] (which bounds how long
//! a change made behind the store's back — another process, or an edit by hand — can go
//! unseen). The map is bounded: when it is full it is emptied and refills with what is asked
//! for.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an entry may be used at most.
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// How many entries a cache holds before it starts over.
pub const MAX_ENTRIES: usize = 20_000;

/// How long other callers keep getting an aged entry while one caller reads it again.
const REFRESH_GRACE: Duration = Duration::from_secs(5);

struct Slot<V> {
    value: Arc<V>,
    generation: u64,
    at: Instant,
    /// When a caller was sent to read an aged entry again.
    refreshing_since: Option<Instant>,
}

/// A bounded cache of values read at a store generation.
pub struct Cache<K, V> {
    slots: Mutex<HashMap<K, Slot<V>>>,
}

impl<K, V> Default for Cache<K, V> {
    fn default() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<K, V> std::fmt::Debug for Cache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("entries", &self.slots.lock().map_or(0, |s| s.len()))
            .finish()
    }
}

impl<K: Eq + Hash + Clone, V> Cache<K, V> {
    /// The value for `key` if it was read at `generation` less than [`MAX_AGE`] ago. When it
    /// is older, the first caller gets `None` (and reads again) while the others keep getting
    /// the aged value for up to [`REFRESH_GRACE`], so a busy page is not rebuilt by every
    /// request at once. After a write (another generation) nobody gets the old value.
    pub fn get(&self, key: &K, generation: u64) -> Option<Arc<V>> {
        let mut slots = self.slots.lock().ok()?;
        let slot = slots.get_mut(key)?;
        if slot.generation != generation {
            return None;
        }
        if slot.at.elapsed() < MAX_AGE {
            return Some(slot.value.clone());
        }
        match slot.refreshing_since {
            Some(since) if since.elapsed() < REFRESH_GRACE => Some(slot.value.clone()),
            _ => {
                slot.refreshing_since = Some(Instant::now());
                None
            }
        }
    }

    /// Keeps `value`, read at `generation`.
    pub fn put(&self, key: K, generation: u64, value: Arc<V>) {
        if let Ok(mut slots) = self.slots.lock() {
            if slots.len() >= MAX_ENTRIES && !slots.contains_key(&key) {
                slots.clear();
            }
            slots.insert(
                key,
                Slot {
                    value,
                    generation,
                    at: Instant::now(),
                    refreshing_since: None,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_used_only_at_the_generation_it_was_read_at() {
        let cache: Cache<&str, u32> = Cache::default();
        cache.put("a", 3, Arc::new(7));
        assert_eq!(cache.get(&"a", 3).as_deref(), Some(&7));
        assert_eq!(cache.get(&"a", 4), None, "a write happened since");
        assert_eq!(cache.get(&"b", 3), None);
    }

    #[test]
    fn an_aged_entry_is_read_again_by_one_caller_while_the_others_keep_it() {
        let cache: Cache<&str, u32> = Cache::default();
        cache.put("a", 1, Arc::new(7));
        if let Ok(mut slots) = cache.slots.lock()
            && let Some(slot) = slots.get_mut("a")
        {
            slot.at = Instant::now() - MAX_AGE;
        }
        assert_eq!(cache.get(&"a", 1), None, "the first caller reads again");
        assert_eq!(cache.get(&"a", 1).as_deref(), Some(&7), "the others are not held up");
        assert_eq!(cache.get(&"a", 2), None, "never across a write");
        cache.put("a", 1, Arc::new(8));
        assert_eq!(cache.get(&"a", 1).as_deref(), Some(&8));
    }

    #[test]
    fn a_full_cache_starts_over_instead_of_growing() {
        let cache: Cache<usize, usize> = Cache::default();
        for i in 0..=MAX_ENTRIES {
            cache.put(i, 0, Arc::new(i));
        }
        assert!(cache.get(&MAX_ENTRIES, 0).is_some());
        assert!(cache.get(&0, 0).is_none());
    }
}
