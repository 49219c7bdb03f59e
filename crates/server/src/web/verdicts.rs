//! The verdict a buyer sees, decided once per request and shown the same on every surface: the
//! label page (badge, `<title>`, share preview, JSON-LD), the lot page, the JSON API.
//!
//! Each request re-reads, in one indexed query, what the answer depends on (the label row, its
//! lot's [`LotStamp`], the cooperative's revision, the integrity epoch); what is expensive — the
//! lot's public data and integrity, the batch's signature and frozen history, the rendered page —
//! is kept in memory under exactly those values, so it is reused only while still true.

use std::sync::Arc;

use chrono::NaiveDate;
use farm_log::{CodeCheck, Integrity, Verdict};
use label::{ScannedDigest, Serial};
use store::{BatchView, LotStamp, PublicLot, Reason, ScannedLabel, Store, StoreError};

use super::Site;
use super::i18n::{Messages, PageLang, fill};

/// A label or lot as judged for one request.
#[derive(Debug, Clone)]
pub struct Judged {
    /// What the buyer is told.
    pub verdict: Verdict,
    /// Why the record is not intact, when it is not.
    pub reason: Option<Reason>,
    /// The lot's public data.
    pub lot: Arc<PublicLot>,
    /// The label's batch, for a label.
    pub batch: Option<Arc<BatchView>>,
    /// The label as read now, for a label.
    pub label: Option<ScannedLabel>,
    /// How the scanned check code compares.
    pub code: CodeCheck,
}

/// What a scanned serial comes to.
#[derive(Debug)]
pub enum LabelAnswer {
    /// No label has it, and no damaged batch it may have been part of.
    Unknown,
    /// The link names a product or lot that is not the label's own.
    NotThisLabel,
    /// A label whose batch and lot are gone from the records: nothing to show but that.
    Altered(Reason),
    /// Judged.
    Found(Box<Judged>),
}

/// The day in Vietnam.
pub fn today() -> NaiveDate {
    store::now().date_naive()
}

/// Decides from the lot, the batch (for a label) and the check code.
pub fn decide(lot: &PublicLot, batch: Option<&BatchView>, code: CodeCheck) -> (Verdict, Option<Reason>) {
    let reason = batch
        .and_then(|b| b.altered.clone())
        .or_else(|| lot.integrity.reason().cloned());
    let integrity = if reason.is_some() {
        Integrity::Altered
    } else {
        Integrity::Intact
    };
    let recalled = !lot.recalls.is_empty() || lot.lot.status == farm_log::LotStatus::Recalled;
    (Verdict::decide(integrity, recalled, code, lot.use_by, today()), reason)
}

/// What one event of a kept lot is counted as: the event itself and the text it points to.
const EVENT_BYTES: u64 = std::mem::size_of::<farm_log::Event>() as u64 + 256;
/// What a kept lot is counted as besides its events (cooperative, product, plots, certificates).
const LOT_BYTES: u64 = 8 * 1024;

impl super::cache::Weight for PublicLot {
    /// An estimate that grows with the histories it holds (its own and its parents').
    fn bytes(&self) -> u64 {
        let events = self
            .events
            .len()
            .saturating_add(self.parents.iter().map(|p| p.events.len()).sum::<usize>());
        LOT_BYTES.saturating_add(EVENT_BYTES.saturating_mul(events as u64))
    }
}

impl Site {
    /// A lot's public data, kept in memory under the stamp it was read at; else the one the
    /// database keeps at that stamp, else built now.
    pub(crate) async fn lot_data(&self, store: &Store, stamp: &LotStamp) -> Result<Arc<PublicLot>, StoreError> {
        if let Some(lot) = self.lots.get(stamp) {
            return Ok(lot);
        }
        let lot = store.public_lot_at(stamp).await?;
        self.lots.put(lot.stamp.clone(), lot.clone());
        Ok(lot)
    }

    /// A scanned label's batch record and verdict, kept in memory per batch and integrity epoch;
    /// else the check read with the label, else checked now.
    async fn batch(&self, store: &Store, label: &ScannedLabel) -> Result<Arc<BatchView>, StoreError> {
        if let Some(batch) = self.batches.get(&(label.batch_id.clone(), label.epoch)) {
            return Ok(batch);
        }
        let batch = Arc::new(match store.kept_batch_of(label)? {
            Some(batch) => batch,
            None => store.check_batch(&label.batch_id).await?,
        });
        self.batches.put((batch.batch_id.clone(), batch.epoch), batch.clone());
        Ok(batch)
    }

    /// Judges a lot page.
    pub(crate) async fn judge_lot(
        &self,
        store: &Store,
        coop_id: i64,
        code: &str,
    ) -> Result<Option<Judged>, StoreError> {
        let Some(stamp) = store.lot_stamp(coop_id, code).await? else {
            return Ok(None);
        };
        let lot = self.lot_data(store, &stamp).await?;
        let (verdict, reason) = decide(&lot, None, CodeCheck::NoLabel);
        Ok(Some(Judged {
            verdict,
            reason,
            lot,
            batch: None,
            label: None,
            code: CodeCheck::NoLabel,
        }))
    }

    /// Judges a scanned label: `named` is the product and lot the scanned link names (a GS1
    /// Digital Link), `digest` its check code.
    pub(crate) async fn judge_label(
        &self,
        store: &Store,
        serial: &Serial,
        named: Option<(&str, &str)>,
        digest: &ScannedDigest,
        lang: PageLang,
    ) -> Result<LabelAnswer, StoreError> {
        match self.read_label(store, serial, named, digest, lang).await? {
            LabelStep::Read(read) => Ok(LabelAnswer::Found(Box::new(self.judge_read(store, *read).await?))),
            LabelStep::Answered(answer) => Ok(answer),
        }
    }

    /// Reads a scanned label and its batch, as far as is needed before its lot: what the label
    /// page is kept under ([`LabelRead`]), or the whole answer when the label is unknown, not
    /// the one the link names, or its batch or lot is gone.
    pub(crate) async fn read_label(
        &self,
        store: &Store,
        serial: &Serial,
        named: Option<(&str, &str)>,
        digest: &ScannedDigest,
        lang: PageLang,
    ) -> Result<LabelStep, StoreError> {
        let scanned_digest = match digest {
            ScannedDigest::Present(d) => Some(d),
            _ => None,
        };
        let Some(label) = store.scan_label(serial, lang.code(), false).await? else {
            // Not a label now; perhaps one of a batch whose list of labels was tampered with.
            return Ok(LabelStep::Answered(
                match store.damaged_batch_for(named, scanned_digest).await? {
                    Some((batch, stamp)) => {
                        let lot = self.lot_data(store, &stamp).await?;
                        let code = code_check(digest, Some(&batch));
                        let (verdict, reason) = decide(&lot, Some(&batch), code);
                        LabelAnswer::Found(Box::new(Judged {
                            verdict,
                            reason,
                            lot,
                            batch: Some(Arc::new(batch)),
                            label: None,
                            code,
                        }))
                    }
                    None => LabelAnswer::Unknown,
                },
            ));
        };
        let batch = match &label.lot {
            Some(_) => Some(self.batch(store, &label).await?),
            None => None,
        };
        // A Digital Link must name the label's own product and lot, as signed in its batch.
        if let (Some((gtin, lot)), Some(batch)) = (named, &batch) {
            let record = &batch.record;
            if record.lot_code.as_ref() != lot || record.gtin.as_ref().is_some_and(|g| g.as_ref() != gtin) {
                return Ok(LabelStep::Answered(LabelAnswer::NotThisLabel));
            }
        }
        let (Some(stamp), Some(batch)) = (label.lot.clone(), batch) else {
            // The label row is there but its batch or its lot is gone: the record was altered.
            // Show the lot the link names, when it still exists.
            let named_lot = match named {
                Some((gtin, lot)) => match store.lot_by_gtin(gtin, lot).await? {
                    Some((coop, code)) => store.lot_stamp(coop, &code).await?,
                    None => None,
                },
                None => None,
            };
            return Ok(LabelStep::Answered(match named_lot {
                Some(stamp) => {
                    let lot = self.lot_data(store, &stamp).await?;
                    let recalled = !lot.recalls.is_empty();
                    LabelAnswer::Found(Box::new(Judged {
                        verdict: if recalled { Verdict::Recalled } else { Verdict::Altered },
                        reason: Some(missing_batch()),
                        lot,
                        batch: None,
                        label: Some(label),
                        code: CodeCheck::Absent,
                    }))
                }
                None => LabelAnswer::Altered(missing_batch()),
            }));
        };
        let code = code_check(digest, Some(&batch));
        Ok(LabelStep::Read(Box::new(LabelRead {
            label,
            batch,
            stamp,
            code,
        })))
    }

    /// Judges a label read with its batch: reads its lot (kept in memory, kept in the database,
    /// or built now) and decides.
    pub(crate) async fn judge_read(&self, store: &Store, read: LabelRead) -> Result<Judged, StoreError> {
        let lot = self.lot_data(store, &read.stamp).await?;
        let (verdict, reason) = decide(&lot, Some(&read.batch), read.code);
        Ok(Judged {
            verdict,
            reason,
            lot,
            batch: Some(read.batch),
            label: Some(read.label),
            code: read.code,
        })
    }
}

/// A scanned label whose batch and lot are there, read before its lot: everything its page
/// depends on but the lot's data, which its stamp fixes.
#[derive(Debug, Clone)]
pub struct LabelRead {
    /// The label as read now.
    pub label: ScannedLabel,
    /// Its batch's record and verdict.
    pub batch: Arc<BatchView>,
    /// Its lot's stamp, read with it.
    pub stamp: LotStamp,
    /// How the scanned check code compares.
    pub code: CodeCheck,
}

/// How far [`Site::read_label`] got.
#[derive(Debug)]
pub enum LabelStep {
    /// The label and its batch; the lot is still to read.
    Read(Box<LabelRead>),
    /// The whole answer.
    Answered(LabelAnswer),
}

fn missing_batch() -> Reason {
    Reason {
        en: "The label's batch or lot is missing from the records.".into(),
        vi: "Lô tem hoặc lô hàng của tem này không còn trong sổ.".into(),
    }
}

/// How a scanned check code compares with the batch's.
pub fn code_check(digest: &ScannedDigest, batch: Option<&BatchView>) -> CodeCheck {
    let Some(batch) = batch else {
        return CodeCheck::NoLabel;
    };
    match digest {
        ScannedDigest::Present(d) if d.matches_head(&batch.record.chain_head.0) => CodeCheck::Matches,
        ScannedDigest::Absent => CodeCheck::Absent,
        _ => CodeCheck::Differs,
    }
}

/// What the verdict looks like on a page.
#[derive(Debug, Clone)]
pub struct VerdictView {
    /// The badge's class: only a genuine lot is `verified` (green, with a tick).
    pub class: &'static str,
    /// The badge's heading, also in the page title and share preview.
    pub title: String,
    /// One sentence under it.
    pub summary: String,
    /// Why the record is not intact.
    pub reason: Option<String>,
}

/// The badge of a judged label or lot.
pub fn verdict_view(judged: &Judged, lang: PageLang, m: &Messages) -> VerdictView {
    let lot = &judged.lot;
    let label = judged.label.is_some() || judged.batch.is_some();
    let reason = judged.reason.as_ref().map(|r| match lang {
        PageLang::Vi => r.vi.clone(),
        PageLang::En => r.en.clone(),
    });
    match judged.verdict {
        Verdict::Genuine => VerdictView {
            class: "verified",
            title: m.verified_title.clone(),
            summary: fill(
                if label {
                    &m.verified_summary
                } else {
                    &m.lot_verified_summary
                },
                &[("coop", &lot.cooperative.name)],
            ),
            reason: None,
        },
        Verdict::Recalled => VerdictView {
            class: "recalled",
            title: m.recalled_title.clone(),
            summary: m.recalled_summary.clone(),
            reason,
        },
        Verdict::Altered => VerdictView {
            class: "altered",
            title: m.altered_title.clone(),
            summary: if label {
                m.altered_summary.clone()
            } else {
                m.altered_lot_summary.clone()
            },
            reason,
        },
        Verdict::Mismatched => VerdictView {
            class: "mismatched",
            title: m.mismatched_title.clone(),
            summary: m.digest_mismatch.clone(),
            reason: None,
        },
        Verdict::Expired => VerdictView {
            class: "expired",
            title: m.expired_title.clone(),
            summary: fill(
                &m.expired_summary,
                &[(
                    "date",
                    &lot.use_by.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default(),
                )],
            ),
            reason: None,
        },
    }
}
