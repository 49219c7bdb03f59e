//! What the public pages keep in memory. Every key holds what the value depends on — a lot's
//! [`store::LotStamp`], a batch id with the integrity epoch, a cooperative's revisions — read
//! from the database on every request, so a kept value is used only while it is still true:
//! the cache makes a page faster, never staler. Old keys are never looked up again and age out.
//! Memory is bounded: by entries, or by bytes for rendered pages.

use std::hash::Hash;
use std::sync::Arc;

use quick_cache::Weighter;

/// A value's weight in bytes, for caches bounded by size.
pub trait Weight {
    /// About how many bytes it holds.
    fn bytes(&self) -> u64;
}

/// A bounded concurrent map of values kept under exact keys.
pub struct Cache<K, V> {
    inner: quick_cache::sync::Cache<K, Arc<V>>,
}

impl<K: Eq + Hash + Clone, V> Cache<K, V> {
    /// Holds at most about `entries` values.
    pub fn with_entries(entries: usize) -> Self {
        Self {
            inner: quick_cache::sync::Cache::new(entries.max(1)),
        }
    }

    /// The value kept under `key`.
    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        self.inner.get(key)
    }

    /// Keeps `value` under `key`.
    pub fn put(&self, key: K, value: Arc<V>) {
        self.inner.insert(key, value);
    }

    /// How many values are kept.
    pub fn len(&self) -> usize {
        self.inner.len()
    }
}

/// A bounded concurrent map whose bound is the values' total size.
pub struct SizedCache<K, V> {
    inner: quick_cache::sync::Cache<K, Arc<V>, ByBytesWeighter>,
}

/// The weighter of [`SizedCache`].
#[derive(Clone)]
pub struct ByBytesWeighter;

impl<K, V: Weight> Weighter<K, Arc<V>> for ByBytesWeighter {
    fn weight(&self, _key: &K, value: &Arc<V>) -> u64 {
        value.bytes().max(1)
    }
}

impl<K: Eq + Hash + Clone, V: Weight> SizedCache<K, V> {
    /// Holds values of at most `bytes` in all (about `estimated_entries` of them), any one of
    /// them up to about `largest` bytes. quick_cache splits the bound between its shards (four
    /// per core by default) and keeps no value larger than one shard's share, so there are only
    /// as many shards as leave each `largest`.
    pub fn with_bytes(bytes: u64, estimated_entries: usize, largest: u64) -> Self {
        let bytes = bytes.max(1);
        let per_core = std::thread::available_parallelism().map_or(4, |n| n.get().saturating_mul(4));
        let fit = bytes / largest.clamp(1, bytes);
        let shards = usize::try_from(fit).unwrap_or(usize::MAX).clamp(1, per_core);
        // A power of two at most `shards` (quick_cache rounds up), so each share stays ≥ `largest`.
        let shards = 1usize << shards.ilog2();
        let options = quick_cache::OptionsBuilder::new()
            .estimated_items_capacity(estimated_entries.max(1))
            .weight_capacity(bytes)
            .shards(shards)
            .build();
        let inner = match options {
            Ok(options) => {
                quick_cache::sync::Cache::with_options(options, ByBytesWeighter, Default::default(), Default::default())
            }
            Err(_) => quick_cache::sync::Cache::with_weighter(estimated_entries.max(1), bytes, ByBytesWeighter),
        };
        Self { inner }
    }

    /// The value kept under `key`.
    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        self.inner.get(key)
    }

    /// Keeps `value` under `key` (a value larger than one shard's share is not kept).
    pub fn put(&self, key: K, value: Arc<V>) {
        self.inner.insert(key, value);
    }

    /// The kept values' total size.
    pub fn bytes(&self) -> u64 {
        self.inner.weight()
    }
}

impl<K: Eq + Hash + Clone, V> std::fmt::Debug for Cache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("entries", &self.len()).finish()
    }
}

impl<K: Eq + Hash + Clone, V: Weight> std::fmt::Debug for SizedCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SizedCache")
            .field("entries", &self.inner.len())
            .field("bytes", &self.bytes())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Page(usize);

    impl Weight for Page {
        fn bytes(&self) -> u64 {
            self.0 as u64
        }
    }

    #[test]
    fn a_value_is_found_only_under_its_exact_key() {
        let cache: Cache<(u32, u64), u32> = Cache::with_entries(10);
        cache.put((1, 7), Arc::new(70));
        assert_eq!(cache.get(&(1, 7)).as_deref(), Some(&70));
        assert_eq!(
            cache.get(&(1, 8)),
            None,
            "the stamp moved on: the old value is never used"
        );
    }

    #[test]
    fn entries_stay_within_the_bound() {
        let cache: Cache<usize, usize> = Cache::with_entries(100);
        for i in 0..10_000 {
            cache.put(i, Arc::new(i));
        }
        assert!(cache.len() <= 150, "{} entries", cache.len());
    }

    #[test]
    fn pages_stay_within_the_byte_bound() {
        let cache: SizedCache<usize, Page> = SizedCache::with_bytes(100_000, 10, 10_000);
        for i in 0..1_000 {
            cache.put(i, Arc::new(Page(9_000)));
        }
        assert!(cache.bytes() <= 100_000, "{} bytes", cache.bytes());
        assert!(cache.get(&999).is_some() || cache.get(&998).is_some());
    }

    #[test]
    fn a_value_up_to_the_largest_asked_for_is_kept_whatever_the_cores() {
        // 32 MB shared by the default four shards a core would leave 1 MB each on 8 cores, and
        // quick_cache keeps nothing larger than a shard's share.
        let cache: SizedCache<usize, Page> = SizedCache::with_bytes(32 << 20, 4_096, 8 << 20);
        cache.put(1, Arc::new(Page(7 << 20)));
        assert!(cache.get(&1).is_some(), "a 7 MB value was not kept");
        cache.put(2, Arc::new(Page(40 << 20)));
        assert!(cache.get(&2).is_none(), "a value beyond the whole bound is not kept");
    }
}
