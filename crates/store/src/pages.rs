//! Label pages kept in the database (ARCHITECTURE.md, "The public lookup site"): the site renders
//! a batch's label page once per key — everything the page depends on: the lot's stamp, the
//! batch, the language, the check code, the day, the build — and keeps it here, one row per
//! batch and language. A scan reads the row with the label ([`crate::Store::scan_label`]), and
//! the site uses it only when its key is exactly the key the request works out and its seal
//! holds; otherwise it renders and keeps the new page. The page's bytes are the site's own; the
//! store only compresses (LZ4), seals and stores them.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::EntityTrait;
use sea_orm::Set;
use sea_orm::sea_query::OnConflict;

use crate::entities::kept_pages;
use crate::{ScannedLabel, Store, StoreError, now, timestamp_text};

/// Pages waiting to be written; more are dropped (a later request keeps them).
const MAX_WAITING: usize = 2_000;
/// Pages written in one statement.
const PER_STATEMENT: usize = 50;
/// Pages written in one transaction.
const PER_TRANSACTION: usize = 500;

/// A kept page as read with a label.
#[derive(Debug, Clone)]
pub(crate) struct KeptPage {
    pub(crate) key: String,
    pub(crate) body: Vec<u8>,
    pub(crate) seal: String,
}

/// A page waiting to be written.
#[derive(Debug)]
struct Waiting {
    batch_id: String,
    lang: String,
    key: String,
    /// Not yet compressed (the writer does that, off the request's path).
    page: Vec<u8>,
}

/// Pages to keep, written in the background in batches (one transaction, not one per page).
#[derive(Debug, Default)]
pub(crate) struct PageWrites {
    waiting: Mutex<Vec<Waiting>>,
    writing: AtomicBool,
}

fn seal(key: &[u8; 32], batch_id: &str, lang: &str, page_key: &str, body: &[u8]) -> String {
    let mut hasher = blake3::Hasher::new_keyed(key);
    hasher.update(b"label page\0");
    for part in [batch_id.as_bytes(), lang.as_bytes(), page_key.as_bytes()] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.update(body);
    hasher.finalize().to_hex().to_string()
}

/// The largest page kept: a label page is ~10 KB. A larger one is not kept, and a body that says
/// it unpacks to more is not read (the seal is checked first, so only a row sealed with this
/// store's seal key gets that far).
const MAX_PAGE: usize = 1 << 20;

/// A label page as kept: LZ4 with its length in front. Unpacking it is on every scan whose
/// page is kept, and takes a fifth of inflating the same page (docs/performance.md, "Kept label
/// pages in LZ4"), for about a tenth more bytes.
fn compress(page: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress_prepend_size(page)
}

/// What [`compress`] made, unpacked; `None` when it is not such a body.
fn decompress(body: &[u8]) -> Option<Vec<u8>> {
    let (length, packed) = body.split_first_chunk::<4>()?;
    let length = usize::try_from(u32::from_le_bytes(*length)).ok()?;
    // LZ4 makes at most 255 bytes of each byte it keeps: a length beyond that is not this body's.
    if length > MAX_PAGE || length > packed.len().saturating_mul(255) {
        return None;
    }
    let page = lz4_flex::block::decompress(packed, length).ok()?;
    (page.len() == length).then_some(page)
}

/// Bytes deflated as the store keeps public records (fast: they are written beside requests).
pub(crate) fn deflate(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::with_capacity(bytes.len() / 3), flate2::Compression::fast());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// What [`deflate`] made, inflated.
pub(crate) fn inflate(body: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(body.len().saturating_mul(4));
    flate2::read::DeflateDecoder::new(body).read_to_end(&mut bytes)?;
    Ok(bytes)
}

impl Store {
    /// The page kept for a scanned label's batch in the language it was read in, when it was
    /// kept under exactly `key` and its seal holds (the page as the site gave it).
    pub fn kept_page_of(&self, label: &ScannedLabel, lang: &str, key: &str) -> Option<Vec<u8>> {
        let kept = label.kept.page.as_ref()?;
        if kept.key != key || kept.seal != seal(&self.seal_key, &label.batch_id, lang, key, &kept.body) {
            return None;
        }
        decompress(&kept.body)
    }

    /// Keeps a batch's label page in `lang` under `key`, replacing the one kept before. Written
    /// in the background with others; when too many wait, it is not kept (a later scan keeps
    /// it).
    pub fn keep_page(&self, batch_id: &str, lang: &str, key: String, page: Vec<u8>) {
        {
            let Ok(mut waiting) = self.pages.waiting.lock() else {
                return;
            };
            if waiting.len() >= MAX_WAITING {
                return;
            }
            waiting.push(Waiting {
                batch_id: batch_id.to_owned(),
                lang: lang.to_owned(),
                key,
                page,
            });
        }
        self.write_waiting_pages();
    }

    /// Starts the writer unless it is running; it writes until nothing waits.
    fn write_waiting_pages(&self) {
        if self.pages.writing.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.pages.writing.store(false, Ordering::Release);
            return;
        };
        let store = self.clone();
        runtime.spawn(async move {
            loop {
                let taken: Vec<Waiting> = match store.pages.waiting.lock() {
                    Ok(mut waiting) => {
                        let n = waiting.len().min(PER_TRANSACTION);
                        waiting.drain(..n).collect()
                    }
                    Err(_) => Vec::new(),
                };
                if taken.is_empty() {
                    store.pages.writing.store(false, Ordering::Release);
                    // A page that arrived after the last look and found the writer running.
                    let more = store.pages.waiting.lock().map(|w| !w.is_empty()).unwrap_or(false);
                    if more && !store.pages.writing.swap(true, Ordering::AcqRel) {
                        continue;
                    }
                    return;
                }
                if let Err(error) = store.write_pages(taken).await {
                    tracing::warn!(%error, "could not keep label pages");
                }
            }
        });
    }

    async fn write_pages(&self, pages: Vec<Waiting>) -> Result<(), StoreError> {
        let kept_at = timestamp_text(&now());
        // The last page of each batch and language (one statement may not upsert a row twice).
        let mut last = std::collections::HashMap::new();
        for page in pages {
            last.insert((page.batch_id.clone(), page.lang.clone()), page);
        }
        let rows: Vec<kept_pages::ActiveModel> = last
            .into_values()
            .filter(|page| page.page.len() <= MAX_PAGE)
            .map(|page| {
                let body = compress(&page.page);
                kept_pages::ActiveModel {
                    seal: Set(seal(&self.seal_key, &page.batch_id, &page.lang, &page.key, &body)),
                    batch_id: Set(page.batch_id),
                    lang: Set(page.lang),
                    key: Set(page.key),
                    body: Set(body),
                    kept_at: Set(kept_at.clone()),
                }
            })
            .collect();
        let _writing = self.quiet_write_guard().await;
        let txn = self.begin_write().await?;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(PER_STATEMENT).collect();
            kept_pages::Entity::insert_many(chunk)
                .on_conflict(
                    OnConflict::columns([kept_pages::Column::BatchId, kept_pages::Column::Lang])
                        .update_columns([
                            kept_pages::Column::Key,
                            kept_pages::Column::Body,
                            kept_pages::Column::Seal,
                            kept_pages::Column::KeptAt,
                        ])
                        .to_owned(),
                )
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_page_unpacks_to_the_page_it_was_given() {
        let page: Vec<u8> = "<p>Lô CN-26-000050-A — bón phân NPK 16-16-8, 25 kg</p>\n"
            .repeat(200)
            .into_bytes();
        let body = compress(&page);
        assert!(body.len() < page.len() / 4, "a page of repeated markup packs small");
        assert_eq!(decompress(&body), Some(page));
    }

    #[test]
    fn a_body_that_is_not_a_packed_page_is_not_read() {
        // Too short to carry a length; a well-formed page over the bound, then one at it; a
        // length no body of two bytes can make (nothing is allocated for it); a length the bytes
        // after it do not make.
        assert_eq!(decompress(&[1, 0]), None);
        assert_eq!(decompress(&compress(&vec![b'a'; MAX_PAGE + 1])), None);
        let largest = vec![b'a'; MAX_PAGE];
        assert_eq!(decompress(&compress(&largest)), Some(largest));
        let mut huge = u32::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(&[0x10, b'a']);
        assert_eq!(decompress(&huge), None);
        let mut short = 100u32.to_le_bytes().to_vec();
        short.extend_from_slice(&[0x10, b'a']);
        assert_eq!(decompress(&short), None);
        // A page kept by an older build, deflated, is not a packed page either.
        assert_eq!(decompress(&deflate(b"<html>a page</html>").unwrap_or_default()), None);
    }
}
