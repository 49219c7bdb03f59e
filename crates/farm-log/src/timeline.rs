//! A lot's history as a buyer reads it: each event as it stands after corrections, with what
//! corrected or voided it, and for each spraying how many days passed before the harvest that
//! followed, next to the pre-harvest interval it required.

use std::collections::HashMap;

use uuid::Uuid;

use crate::event::{Event, EventBody};
use crate::text::Note;

/// What became of an event through later corrections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amendment {
    /// Never corrected.
    None,
    /// Its content was replaced by a later correction, for this reason.
    Corrected {
        /// Why.
        reason: Note,
        /// When the correction was recorded.
        at: chrono::DateTime<chrono::FixedOffset>,
    },
    /// A later correction voided it.
    Voided {
        /// Why.
        reason: Note,
        /// When the correction was recorded.
        at: chrono::DateTime<chrono::FixedOffset>,
    },
}

/// A spraying's pre-harvest interval against what actually happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SprayInterval {
    /// Days the pesticide's label requires between spraying and harvest, when it says.
    pub required_days: Option<u32>,
    /// Whole days between this spraying and the first harvest after it, when there is one.
    pub days_to_harvest: Option<i64>,
    /// Whether that harvest carried a leader's override of the interval.
    pub overridden: bool,
}

impl SprayInterval {
    /// False when a harvest came inside the interval without an override.
    pub fn respected(&self) -> bool {
        match (self.required_days, self.days_to_harvest) {
            (Some(required), Some(days)) => self.overridden || days >= i64::from(required),
            _ => true,
        }
    }
}

/// One line of the timeline.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    /// The event with its content as it stands after corrections.
    pub event: Event,
    /// What corrected or voided it.
    pub amendment: Amendment,
    /// For a spraying: its interval against the harvest that followed.
    pub interval: Option<SprayInterval>,
}

/// The events of one lot in chain order, corrections folded into the events they correct.
pub fn timeline(events: &[Event]) -> Vec<TimelineEntry> {
    let mut amendments: HashMap<Uuid, (Option<EventBody>, Amendment)> = HashMap::new();
    for event in events {
        if let EventBody::Correction {
            corrects,
            reason,
            replacement,
        } = &event.body
        {
            let amendment = match replacement {
                Some(_) => Amendment::Corrected {
                    reason: reason.clone(),
                    at: event.recorded_at,
                },
                None => Amendment::Voided {
                    reason: reason.clone(),
                    at: event.recorded_at,
                },
            };
            amendments.insert(*corrects, (replacement.as_deref().cloned(), amendment));
        }
    }
    let mut entries: Vec<TimelineEntry> = events
        .iter()
        .filter(|e| !matches!(e.body, EventBody::Correction { .. }))
        .map(|e| match amendments.get(&e.id) {
            None => TimelineEntry {
                event: e.clone(),
                amendment: Amendment::None,
                interval: None,
            },
            Some((replacement, amendment)) => TimelineEntry {
                event: Event {
                    body: replacement.clone().unwrap_or_else(|| e.body.clone()),
                    ..e.clone()
                },
                amendment: amendment.clone(),
                interval: None,
            },
        })
        .collect();
    let harvests: Vec<(chrono::DateTime<chrono::FixedOffset>, bool)> = entries
        .iter()
        .filter(|entry| !matches!(entry.amendment, Amendment::Voided { .. }))
        .filter_map(|entry| match &entry.event.body {
            EventBody::Harvest { phi_override, .. } => Some((entry.event.occurred_at, phi_override.is_some())),
            _ => None,
        })
        .collect();
    for entry in &mut entries {
        let EventBody::Spraying { input, .. } = &entry.event.body else {
            continue;
        };
        let sprayed = entry.event.occurred_at;
        let next_harvest = harvests
            .iter()
            .filter(|(at, _)| *at >= sprayed)
            .min_by_key(|(at, _)| *at);
        entry.interval = Some(SprayInterval {
            required_days: input.snapshot.as_ref().and_then(|s| s.phi_days),
            days_to_harvest: next_harvest.map(|(at, _)| (*at - sprayed).num_days()),
            overridden: next_harvest.is_some_and(|(_, overridden)| *overridden),
        });
    }
    entries
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::event::{AppliedInput, InputSnapshot, PhiOverride};
    use crate::model::InputKind;
    use crate::quantity::{Quantity, Unit};
    use chrono::DateTime;
    use rust_decimal::Decimal;

    fn at(text: &str) -> DateTime<chrono::FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    fn event(seq: u64, when: &str, body: EventBody) -> Event {
        Event {
            id: Uuid::from_u128(u128::from(seq)),
            seq,
            occurred_at: at(when),
            recorded_at: at(when),
            actor: 1,
            note: None,
            location: None,
            photos: Vec::new(),
            body,
        }
    }

    fn spraying(phi_days: u32) -> EventBody {
        EventBody::Spraying {
            input: AppliedInput {
                input_product_id: 1,
                snapshot: Some(InputSnapshot {
                    trade_name: "Anvil 5SC".into(),
                    kind: InputKind::Pesticide,
                    active_ingredients: vec!["Hexaconazole".into()],
                    registration_number: None,
                    phi_days: Some(phi_days),
                }),
            },
            dose: Quantity::new(Decimal::from(1), Unit::Litre, "dose").unwrap(),
            area: None,
            target_pest: None,
        }
    }

    fn harvest(overridden: bool) -> EventBody {
        EventBody::Harvest {
            quantity: Quantity::new(Decimal::from(900), Unit::Kilogram, "quantity").unwrap(),
            phi_override: overridden.then(|| PhiOverride {
                reason: Note::parse("Kết quả kiểm nghiệm dư lượng đạt", "reason").unwrap(),
            }),
        }
    }

    #[test]
    fn each_spraying_counts_the_days_to_the_harvest_after_it() {
        let events = [
            event(1, "2026-05-01T07:00:00+07:00", spraying(7)),
            event(2, "2026-05-10T07:00:00+07:00", spraying(7)),
            event(3, "2026-05-24T07:00:00+07:00", harvest(false)),
        ];
        let entries = timeline(&events);
        let first = entries[0].interval.unwrap();
        let last = entries[1].interval.unwrap();
        assert_eq!((first.required_days, first.days_to_harvest), (Some(7), Some(23)));
        assert_eq!(last.days_to_harvest, Some(14));
        assert!(last.respected());
        assert!(entries[2].interval.is_none());
    }

    #[test]
    fn a_harvest_inside_the_interval_is_not_respected_unless_overridden() {
        let early = [
            event(1, "2026-05-10T07:00:00+07:00", spraying(7)),
            event(2, "2026-05-13T07:00:00+07:00", harvest(false)),
        ];
        assert!(!timeline(&early)[0].interval.unwrap().respected());
        let overridden = [
            event(1, "2026-05-10T07:00:00+07:00", spraying(7)),
            event(2, "2026-05-13T07:00:00+07:00", harvest(true)),
        ];
        let interval = timeline(&overridden)[0].interval.unwrap();
        assert!(interval.overridden && interval.respected());
    }

    #[test]
    fn a_spraying_with_no_harvest_after_it_has_no_days_to_harvest() {
        let entries = timeline(&[event(1, "2026-05-10T07:00:00+07:00", spraying(7))]);
        assert_eq!(entries[0].interval.unwrap().days_to_harvest, None);
    }

    #[test]
    fn corrections_fold_into_the_event_they_correct_and_voided_harvests_do_not_count() {
        let reason = Note::parse("Ghi nhầm ngày", "reason").unwrap();
        let events = [
            event(1, "2026-05-10T07:00:00+07:00", spraying(7)),
            event(2, "2026-05-12T07:00:00+07:00", harvest(false)),
            event(
                3,
                "2026-05-12T09:00:00+07:00",
                EventBody::Correction {
                    corrects: Uuid::from_u128(2),
                    reason: reason.clone(),
                    replacement: None,
                },
            ),
            event(4, "2026-05-20T07:00:00+07:00", harvest(false)),
        ];
        let entries = timeline(&events);
        assert_eq!(entries.len(), 3, "the correction is folded, not listed");
        assert!(matches!(&entries[1].amendment, Amendment::Voided { reason: r, .. } if *r == reason));
        assert_eq!(entries[0].interval.unwrap().days_to_harvest, Some(10));
    }
}
