//! The rules an event must pass before it joins a lot's history: dates that make sense, mass
//! balance, closed and recalled lots, banned active ingredients and pre-harvest intervals.
//!
//! [`LotState`] folds a lot's stored events (with corrections applied) into what the rules need;
//! [`LotState::check`] judges one more event against it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, FixedOffset};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::VIETNAM_OFFSET;
use crate::banned::BannedList;
use crate::error::{FieldError, ValidationErrors};
use crate::event::{Event, EventBody, EventKind, InputSnapshot};
use crate::model::{InputKind, LotStatus, Role};
use crate::quantity::{Dimension, Quantity, Unit};

/// How far in the future an event may claim to be, to allow for phone clocks that run fast.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);

/// What the rules need to know besides the lot.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// The role of the member appending.
    pub actor_role: Role,
    /// The banned-ingredient list in force.
    pub banned: &'a BannedList,
    /// The lot's plots' total area in m², when every plot has one: amounts per area are bounded
    /// by it ([`PER_AREA_LIMITS`]).
    pub area_m2: Option<Decimal>,
}

/// The most one event may say per square metre of the lot's plots, per kind and dimension, in
/// base units (kg or L per m²). Far above any real crop or dose — a harvest of 50 kg/m² is
/// 500 t/ha, ten times a heavy greenhouse crop — so they only stop typing slips ("8 tấn" for
/// "8 kg") and never a real entry.
pub const PER_AREA_LIMITS: [(EventKind, Dimension, i64); 6] = [
    (EventKind::Harvest, Dimension::Mass, 50),
    (EventKind::Seeding, Dimension::Mass, 5),
    (EventKind::Fertilizing, Dimension::Mass, 10),
    (EventKind::Fertilizing, Dimension::Volume, 10),
    (EventKind::Spraying, Dimension::Volume, 2),
    (EventKind::Irrigation, Dimension::Volume, 1_000),
];

/// What [`LotState`] keeps of a lot's history once folded: enough to judge every event but a
/// correction (which needs the events themselves), small whatever the history's length, and
/// serializable so the store can keep it beside the lot's head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldedLot {
    initial_status: LotStatus,
    initial_holding: Option<Quantity>,
    status: LotStatus,
    first_seeding: Option<DateTime<FixedOffset>>,
    sprayings: Vec<SprayRecord>,
    last_harvest: Option<DateTime<FixedOffset>>,
    held: BTreeMap<Dimension, Decimal>,
    taken: BTreeMap<Dimension, Decimal>,
    /// How many events were folded.
    pub events: u64,
}

/// A spraying that counts toward the pre-harvest interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SprayRecord {
    /// The spraying event.
    pub event_id: Uuid,
    /// When it was sprayed.
    pub occurred_at: DateTime<FixedOffset>,
    /// What was sprayed.
    pub trade_name: String,
    /// Its pre-harvest interval in days.
    pub phi_days: u32,
}

impl SprayRecord {
    /// The first moment harvest is allowed after this spraying.
    pub fn earliest_harvest(&self) -> DateTime<FixedOffset> {
        self.occurred_at + Duration::days(i64::from(self.phi_days))
    }
}

/// A lot's history folded into what the rules need.
#[derive(Debug, Clone)]
pub struct LotState {
    initial_status: LotStatus,
    initial_holding: Option<Quantity>,
    events: Vec<Event>,
    /// False when built from a [`FoldedLot`]: the events are not at hand (a correction needs
    /// them), only what they fold to.
    has_history: bool,
    /// Events folded, including any not at hand.
    folded: u64,
    /// The lot's status after all events.
    pub status: LotStatus,
    /// The earliest seeding.
    pub first_seeding: Option<DateTime<FixedOffset>>,
    /// Every effective spraying with a pre-harvest interval.
    pub sprayings: Vec<SprayRecord>,
    /// The latest harvest.
    pub last_harvest: Option<DateTime<FixedOffset>>,
    /// What the lot holds per dimension, in base units (harvested, or given at creation).
    pub held: BTreeMap<Dimension, Decimal>,
    /// What packing and merging took out, per dimension, in base units.
    pub taken: BTreeMap<Dimension, Decimal>,
}

impl LotState {
    /// A new growing lot, or a lot made by packing/merging holding `initial`.
    pub fn new(initial: Option<Quantity>) -> Self {
        let initial_status = if initial.is_some() {
            LotStatus::Packed
        } else {
            LotStatus::Growing
        };
        let mut state = Self {
            initial_status,
            initial_holding: initial,
            events: Vec::new(),
            has_history: true,
            folded: 0,
            status: initial_status,
            first_seeding: None,
            sprayings: Vec::new(),
            last_harvest: None,
            held: BTreeMap::new(),
            taken: BTreeMap::new(),
        };
        state.recompute();
        state
    }

    /// Folds stored events, in chain order.
    pub fn from_events(initial: Option<Quantity>, events: impl IntoIterator<Item = Event>) -> Self {
        let mut state = Self::new(initial);
        state.events = events.into_iter().collect();
        state.folded = state.events.len() as u64;
        state.recompute();
        state
    }

    /// What the history folds to, for keeping beside the lot's head.
    pub fn folded(&self) -> FoldedLot {
        FoldedLot {
            initial_status: self.initial_status,
            initial_holding: self.initial_holding,
            status: self.status,
            first_seeding: self.first_seeding,
            sprayings: self.sprayings.clone(),
            last_harvest: self.last_harvest,
            held: self.held.clone(),
            taken: self.taken.clone(),
            events: self.folded,
        }
    }

    /// A state from a kept [`FoldedLot`], without the events themselves: it judges every event
    /// but a correction ([`LotState::needs_history`]).
    pub fn from_folded(folded: FoldedLot) -> Self {
        Self {
            initial_status: folded.initial_status,
            initial_holding: folded.initial_holding,
            events: Vec::new(),
            has_history: false,
            folded: folded.events,
            status: folded.status,
            first_seeding: folded.first_seeding,
            sprayings: folded.sprayings,
            last_harvest: folded.last_harvest,
            held: folded.held,
            taken: folded.taken,
        }
    }

    /// Whether judging or adding `body` needs the events themselves rather than what they fold
    /// to (a correction looks up and re-folds what it corrects), and this state lacks them.
    pub fn needs_history(&self, body: &EventBody) -> bool {
        !self.has_history && matches!(body, EventBody::Correction { .. })
    }

    /// The stored events, in order (empty when built from a [`FoldedLot`]).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// What the lot still holds in a dimension, in base units.
    pub fn available(&self, dimension: Dimension) -> Decimal {
        let held = self.held.get(&dimension).copied().unwrap_or_default();
        let taken = self.taken.get(&dimension).copied().unwrap_or_default();
        held.checked_sub(taken).unwrap_or(Decimal::MIN)
    }

    /// Adds an event that passed [`LotState::check`].
    pub fn push(&mut self, event: Event) {
        self.folded += 1;
        if !self.has_history {
            // Only what the events fold to is kept; a correction never gets here without them
            // (see `needs_history`).
            self.fold(&event.body.clone(), &event);
            return;
        }
        let is_correction = matches!(event.body, EventBody::Correction { .. });
        self.events.push(event);
        if is_correction {
            self.recompute();
        } else if let Some(last) = self.events.last().cloned() {
            self.fold(&last.body, &last);
        }
    }

    /// The events as they stand after corrections: corrected bodies replaced, voided ones gone,
    /// corrections themselves left out.
    pub fn effective_events(&self) -> Vec<Event> {
        effective(&self.events)
    }

    fn recompute(&mut self) {
        self.status = self.initial_status;
        self.first_seeding = None;
        self.sprayings.clear();
        self.last_harvest = None;
        self.held.clear();
        self.taken.clear();
        if let Some(initial) = self.initial_holding {
            add(&mut self.held, &initial);
        }
        if self
            .events
            .iter()
            .any(|e| matches!(e.body, EventBody::Correction { .. }))
        {
            for event in effective(&self.events) {
                self.fold(&event.body, &event);
            }
        } else {
            // Without corrections the effective history is the stored one: fold it in place.
            let events = std::mem::take(&mut self.events);
            for event in &events {
                self.fold(&event.body, event);
            }
            self.events = events;
        }
    }

    fn fold(&mut self, body: &EventBody, event: &Event) {
        match body {
            EventBody::Seeding { .. } => {
                self.first_seeding = Some(match self.first_seeding {
                    Some(first) if first <= event.occurred_at => first,
                    _ => event.occurred_at,
                });
            }
            EventBody::Spraying { input, .. } => {
                if let Some(InputSnapshot {
                    trade_name,
                    phi_days: Some(phi_days),
                    ..
                }) = &input.snapshot
                {
                    self.sprayings.push(SprayRecord {
                        event_id: event.id,
                        occurred_at: event.occurred_at,
                        trade_name: trade_name.clone(),
                        phi_days: *phi_days,
                    });
                }
            }
            EventBody::Harvest { quantity, .. } => {
                add(&mut self.held, quantity);
                self.last_harvest = Some(event.occurred_at);
                if self.status == LotStatus::Growing {
                    self.status = LotStatus::Harvested;
                }
            }
            EventBody::Packing { children } => {
                for child in children {
                    add(&mut self.taken, &child.quantity);
                }
                if matches!(self.status, LotStatus::Growing | LotStatus::Harvested) {
                    self.status = LotStatus::Packed;
                }
            }
            EventBody::Merging { quantity, .. } => add(&mut self.taken, quantity),
            EventBody::Close { .. } => {
                if self.status != LotStatus::Recalled {
                    self.status = LotStatus::Closed;
                }
            }
            EventBody::Recall { .. } => self.status = LotStatus::Recalled,
            EventBody::Fertilizing { .. }
            | EventBody::Irrigation { .. }
            | EventBody::Observation { .. }
            | EventBody::Shipping { .. }
            | EventBody::Receiving { .. }
            | EventBody::Correction { .. }
            | EventBody::AlterationAcknowledged { .. }
            | EventBody::Override { .. } => {}
        }
    }

    /// Judges one more event (already stamped with its seq, recorded time and actor) against the
    /// lot, returning every problem found.
    pub fn check(&self, event: &Event, context: &ValidationContext<'_>) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if event.occurred_at > event.recorded_at + MAX_CLOCK_SKEW {
            errors.push(FieldError::new(
                "occurred_at",
                "in_future",
                format!(
                    "Thời điểm {} ở tương lai. Hãy kiểm tra ngày giờ trên điện thoại.",
                    show_datetime(&event.occurred_at)
                ),
                format!(
                    "{} is in the future. Check the phone's date and time.",
                    show_datetime(&event.occurred_at)
                ),
            ));
        }
        let kind = event.body.kind();
        match self.status {
            LotStatus::Closed if !matches!(kind, EventKind::Recall | EventKind::AlterationAcknowledged) => {
                errors.push(FieldError::new(
                    "type",
                    "lot_closed",
                    "Lô này đã kết thúc; không thể ghi thêm nhật ký (chỉ có thể thu hồi).",
                    "This lot is closed; nothing more can be logged on it (it can only be recalled).",
                ))
            }
            LotStatus::Recalled
                if !matches!(
                    kind,
                    EventKind::Observation
                        | EventKind::Correction
                        | EventKind::Shipping
                        | EventKind::Receiving
                        | EventKind::Close
                        | EventKind::AlterationAcknowledged
                ) =>
            {
                errors.push(FieldError::new(
                    "type",
                    "lot_recalled",
                    format!("Lô này đã bị thu hồi; không thể ghi \"{}\".", kind.name_vi()),
                    format!(
                        "This lot has been recalled; a {} event cannot be logged.",
                        kind.as_str()
                    ),
                ))
            }
            _ => {}
        }
        if self.needs_history(&event.body) {
            // The store loads a lot's events before a correction; this only guards the rule.
            errors.push(FieldError::new(
                "corrects",
                "history_needed",
                "Không đọc được nhật ký của lô để đính chính; hãy thử lại.",
                "The lot's history could not be read to check this correction; try again.",
            ));
            return errors.into_result();
        }
        self.check_body(&event.body, event, context, "", &mut errors);
        errors.into_result()
    }

    fn check_body(
        &self,
        body: &EventBody,
        event: &Event,
        context: &ValidationContext<'_>,
        prefix: &str,
        errors: &mut ValidationErrors,
    ) {
        let field = |name: &str| format!("{prefix}{name}");
        match body {
            EventBody::Fertilizing { input, .. } | EventBody::Spraying { input, .. } => {
                let expected = if body.kind() == EventKind::Spraying {
                    InputKind::Pesticide
                } else {
                    InputKind::Fertilizer
                };
                match &input.snapshot {
                    None => errors.push(FieldError::new(
                        field("input_product_id"),
                        "unknown_input_product",
                        "Không tìm thấy vật tư này trong danh mục của HTX.",
                        "This input product is not in the cooperative's registry.",
                    )),
                    Some(snapshot) => {
                        if snapshot.kind != expected {
                            errors.push(FieldError::new(
                                field("input_product_id"),
                                "wrong_input_kind",
                                format!(
                                    "\"{}\" là {}, không dùng được cho \"{}\".",
                                    snapshot.trade_name,
                                    if snapshot.kind == InputKind::Pesticide {
                                        "thuốc BVTV"
                                    } else {
                                        "phân bón"
                                    },
                                    body.kind().name_vi()
                                ),
                                format!(
                                    "\"{}\" is a {}, not usable for {}.",
                                    snapshot.trade_name,
                                    snapshot.kind.as_str(),
                                    body.kind().as_str()
                                ),
                            ));
                        }
                        for ban in context.banned.banned_among(&snapshot.active_ingredients) {
                            errors.push(FieldError::new(
                                field("input_product_id"),
                                "banned_active_ingredient",
                                format!(
                                    "\"{}\" chứa hoạt chất {} bị cấm sử dụng tại Việt Nam ({}).",
                                    snapshot.trade_name, ban.name, ban.source
                                ),
                                format!(
                                    "\"{}\" contains {}, an active ingredient banned in Vietnam ({}).",
                                    snapshot.trade_name, ban.name, ban.source
                                ),
                            ));
                        }
                    }
                }
            }
            EventBody::Harvest { phi_override, .. } => {
                if let Some(first) = self.first_seeding
                    && event.occurred_at < first
                {
                    errors.push(FieldError::new(
                        field("occurred_at"),
                        "harvest_before_seeding",
                        format!(
                            "Ngày thu hoạch {} trước ngày gieo trồng {}.",
                            show_date(&event.occurred_at),
                            show_date(&first)
                        ),
                        format!(
                            "Harvest on {} is before seeding on {}.",
                            show_date(&event.occurred_at),
                            show_date(&first)
                        ),
                    ));
                }
                let violations: Vec<&SprayRecord> = self
                    .sprayings
                    .iter()
                    .filter(|s| event.occurred_at < s.earliest_harvest())
                    .collect();
                if !violations.is_empty() {
                    match phi_override {
                        Some(_) if context.actor_role == Role::Leader => {}
                        Some(_) => errors.push(FieldError::new(
                            field("phi_override"),
                            "override_requires_leader",
                            "Chỉ ban quản lý HTX mới được cho phép thu hoạch trong thời gian cách ly.",
                            "Only a cooperative leader may allow a harvest inside a pre-harvest interval.",
                        )),
                        None => {
                            for spray in violations {
                                let days = (event.occurred_at - spray.occurred_at).num_days();
                                errors.push(FieldError::new(
                                    field("occurred_at"),
                                    "inside_pre_harvest_interval",
                                    format!(
                                        "Chưa hết thời gian cách ly: phun {} ngày {}, cách ly {} ngày, mới qua {} ngày. Được thu hoạch từ ngày {}.",
                                        spray.trade_name,
                                        show_date(&spray.occurred_at),
                                        spray.phi_days,
                                        days,
                                        show_date(&spray.earliest_harvest())
                                    ),
                                    format!(
                                        "Inside the pre-harvest interval: {} was sprayed on {} with a {}-day interval, only {} days ago. Harvest is allowed from {}.",
                                        spray.trade_name,
                                        show_date(&spray.occurred_at),
                                        spray.phi_days,
                                        days,
                                        show_date(&spray.earliest_harvest())
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
            EventBody::Packing { children } => {
                if children.is_empty() {
                    errors.push(FieldError::new(
                        field("children"),
                        "required",
                        "Cần ít nhất một lô con khi đóng gói.",
                        "Packing needs at least one child lot.",
                    ));
                }
                let mut seen = std::collections::HashSet::new();
                for (i, child) in children.iter().enumerate() {
                    if !seen.insert(child.code.clone()) {
                        errors.push(FieldError::new(
                            field(&format!("children[{i}].code")),
                            "duplicate",
                            format!("Mã lô con {} bị lặp lại.", child.code),
                            format!("Child lot code {} appears twice.", child.code),
                        ));
                    }
                }
                let wanted: Vec<(String, Quantity)> = children
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (field(&format!("children[{i}].quantity")), c.quantity))
                    .collect();
                self.check_mass_balance(&wanted, errors);
            }
            EventBody::Merging { quantity, .. } => {
                self.check_mass_balance(&[(field("quantity"), *quantity)], errors);
            }
            EventBody::Correction {
                corrects, replacement, ..
            } => {
                self.check_correction(*corrects, replacement.as_deref(), event, context, prefix, errors);
            }
            EventBody::AlterationAcknowledged { .. } | EventBody::Override { .. } => {
                if context.actor_role != Role::Leader {
                    errors.push(FieldError::new(
                        field("type"),
                        "leader_only",
                        format!("Chỉ ban quản lý HTX mới được ghi \"{}\".", body.kind().name_vi()),
                        format!("Only a cooperative leader may record {}.", body.kind().as_str()),
                    ));
                }
            }
            EventBody::Recall { .. }
            | EventBody::Seeding { .. }
            | EventBody::Irrigation { .. }
            | EventBody::Observation { .. }
            | EventBody::Shipping { .. }
            | EventBody::Receiving { .. }
            | EventBody::Close { .. } => {}
        }
        self.check_per_area(body, context, prefix, errors);
    }

    /// Amounts per square metre of the lot's plots stay within [`PER_AREA_LIMITS`].
    fn check_per_area(
        &self,
        body: &EventBody,
        context: &ValidationContext<'_>,
        prefix: &str,
        errors: &mut ValidationErrors,
    ) {
        let Some(area) = context.area_m2.filter(|a| *a > Decimal::ZERO) else {
            return;
        };
        let (name, amount) = match body {
            EventBody::Harvest { quantity, .. } => ("quantity", quantity),
            EventBody::Seeding { quantity, .. } => ("quantity", quantity),
            EventBody::Fertilizing { amount, .. } => ("amount", amount),
            EventBody::Spraying { dose, .. } => ("dose", dose),
            EventBody::Irrigation {
                amount: Some(amount), ..
            } => ("amount", amount),
            _ => return,
        };
        let kind = body.kind();
        let dimension = amount.unit.dimension();
        let Some((_, _, per_m2)) = PER_AREA_LIMITS.iter().find(|(k, d, _)| *k == kind && *d == dimension) else {
            return;
        };
        let limit = area.checked_mul(Decimal::from(*per_m2)).unwrap_or(Decimal::MAX);
        if amount.in_base_unit() > limit {
            let base = Unit::base_of(dimension);
            let area_shown = Quantity {
                value: area.round_dp(1).normalize(),
                unit: Unit::SquareMetre,
            }
            .display_vi();
            errors.push(FieldError::new(
                format!("{prefix}{name}"),
                "too_much_for_area",
                format!(
                    "{} là quá nhiều cho {} đất của lô (tối đa {} {}/m²). Hãy kiểm tra lại số và đơn vị.",
                    amount.display_vi(),
                    area_shown,
                    per_m2,
                    base.name_vi()
                ),
                format!(
                    "{} {} is more than the lot's {} m² of land could take (at most {} {}/m²). Check the number and the unit.",
                    amount.value.normalize(),
                    amount.unit.name_en(),
                    area.round_dp(1).normalize(),
                    per_m2,
                    base.name_en()
                ),
            ));
        }
    }

    fn check_mass_balance(&self, wanted: &[(String, Quantity)], errors: &mut ValidationErrors) {
        let mut totals: BTreeMap<Dimension, Decimal> = BTreeMap::new();
        for (_, quantity) in wanted {
            add(&mut totals, quantity);
        }
        for (dimension, total) in totals {
            let available = self.available(dimension);
            if total > available {
                let base = Unit::base_of(dimension);
                let field = wanted
                    .iter()
                    .find(|(_, q)| q.unit.dimension() == dimension)
                    .map(|(f, _)| f.clone())
                    .unwrap_or_default();
                let show = |value: Decimal| {
                    Quantity {
                        value: value.max(Decimal::ZERO).normalize(),
                        unit: base,
                    }
                    .display_vi()
                };
                errors.push(FieldError::new(
                    field,
                    "exceeds_lot_quantity",
                    format!(
                        "Vượt quá số lượng của lô: cần {}, lô chỉ còn {}.",
                        show(total),
                        show(available)
                    ),
                    format!(
                        "More than the lot holds: {} requested, only {} left.",
                        show(total).replace(',', "."),
                        show(available).replace(',', ".")
                    ),
                ));
            }
        }
    }

    fn check_correction(
        &self,
        corrects: Uuid,
        replacement: Option<&EventBody>,
        event: &Event,
        context: &ValidationContext<'_>,
        prefix: &str,
        errors: &mut ValidationErrors,
    ) {
        let field = |name: &str| format!("{prefix}{name}");
        let Some(original) = self.events.iter().find(|e| e.id == corrects) else {
            errors.push(FieldError::new(
                field("corrects"),
                "unknown_event",
                "Không tìm thấy nhật ký cần đính chính trong lô này.",
                "The event to correct is not in this lot.",
            ));
            return;
        };
        let original_kind = original.body.kind();
        if matches!(
            original_kind,
            EventKind::Correction | EventKind::Recall | EventKind::Packing | EventKind::Merging
        ) {
            errors.push(FieldError::new(
                field("corrects"),
                "not_correctable",
                format!(
                    "Không thể đính chính \"{}\"; hãy ghi một sự kiện mới.",
                    original_kind.name_vi()
                ),
                format!(
                    "A {} event cannot be corrected; log a new event instead.",
                    original_kind.as_str()
                ),
            ));
            return;
        }
        if let Some(body) = replacement {
            if body.kind() != original_kind {
                errors.push(FieldError::new(
                    field("replacement.type"),
                    "kind_mismatch",
                    format!("Nội dung đính chính phải cùng loại \"{}\".", original_kind.name_vi()),
                    format!(
                        "The replacement must be a {} event like the original.",
                        original_kind.as_str()
                    ),
                ));
                return;
            }
            let as_of_original = Event {
                body: body.clone(),
                ..original.clone()
            };
            let before: Vec<Event> = self.events.iter().take_while(|e| e.id != corrects).cloned().collect();
            let earlier = LotState::from_events(self.initial_holding, before);
            let mut inner = ValidationErrors::default();
            earlier.check_body(body, &as_of_original, context, &field("replacement."), &mut inner);
            errors.0.extend(inner.0);
        }
        let mut after = self.clone();
        after.push(event.clone());
        for dimension in after.taken.keys() {
            if after.available(*dimension) < Decimal::ZERO {
                errors.push(FieldError::new(
                    field("replacement"),
                    "exceeds_lot_quantity",
                    "Sau khi đính chính, lượng đã đóng gói hoặc gộp lô vượt quá lượng thu hoạch.",
                    "After this correction, more would have been packed or merged than was harvested.",
                ));
            }
        }
    }
}

/// Adds a quantity to per-dimension totals. Each quantity is bounded ([`Quantity::new`]), so a
/// total overflows only after billions of events; it then stays at the largest decimal instead
/// of panicking (and every mass-balance check refuses what follows).
fn add(totals: &mut BTreeMap<Dimension, Decimal>, quantity: &Quantity) {
    let total = totals.entry(quantity.unit.dimension()).or_default();
    *total = total.checked_add(quantity.in_base_unit()).unwrap_or(Decimal::MAX);
}

/// Applies corrections: the latest correction of an event decides what it says, or voids it.
fn effective(events: &[Event]) -> Vec<Event> {
    let mut replaced: HashMap<Uuid, Option<EventBody>> = HashMap::new();
    for event in events {
        if let EventBody::Correction {
            corrects, replacement, ..
        } = &event.body
        {
            replaced.insert(*corrects, replacement.as_deref().cloned());
        }
    }
    events
        .iter()
        .filter(|e| !matches!(e.body, EventBody::Correction { .. }))
        .filter_map(|e| match replaced.get(&e.id) {
            None => Some(e.clone()),
            Some(Some(body)) => Some(Event {
                body: body.clone(),
                ..e.clone()
            }),
            Some(None) => None,
        })
        .collect()
}

/// dd/mm/yyyy in Vietnam's time zone.
pub fn show_date(at: &DateTime<FixedOffset>) -> String {
    at.with_timezone(&VIETNAM_OFFSET).format("%d/%m/%Y").to_string()
}

/// dd/mm/yyyy HH:mm in Vietnam's time zone.
pub fn show_datetime(at: &DateTime<FixedOffset>) -> String {
    at.with_timezone(&VIETNAM_OFFSET).format("%d/%m/%Y %H:%M").to_string()
}
