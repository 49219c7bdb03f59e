//! Who may do what. Every handler states its rule through one of these functions, so the rules
//! can be read in one place: leaders do everything in their cooperative, inspectors read
//! everything in theirs, members read the registries and work only the lots on their plots, and
//! nobody touches another cooperative.

use farm_log::{EventKind, Role};
use store::{LotAccess, Principal, Store};

use crate::error::AppError;

/// The refusal for another cooperative's data.
pub(crate) fn foreign() -> AppError {
    AppError::forbidden(
        "This belongs to another cooperative.",
        "Dữ liệu này thuộc về một HTX khác.",
    )
}

/// Any member of the cooperative.
pub fn member_of(principal: &Principal, cooperative_id: i64) -> Result<(), AppError> {
    if principal.cooperative_id == cooperative_id {
        Ok(())
    } else {
        Err(foreign())
    }
}

/// Leaders only.
pub fn leader_of(principal: &Principal, cooperative_id: i64) -> Result<(), AppError> {
    member_of(principal, cooperative_id)?;
    if principal.role == Role::Leader {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only the cooperative's leaders may do this.",
            "Chỉ ban quản lý HTX mới được làm việc này.",
        ))
    }
}

/// Leaders and members: those who log (inspectors only read).
pub fn writer_of(principal: &Principal, cooperative_id: i64) -> Result<(), AppError> {
    member_of(principal, cooperative_id)?;
    if principal.role == Role::Inspector {
        Err(AppError::forbidden(
            "Inspectors may read but not record.",
            "Cán bộ kiểm tra chỉ được xem, không được ghi.",
        ))
    } else {
        Ok(())
    }
}

/// Leaders and inspectors.
pub fn overseer_of(principal: &Principal, cooperative_id: i64) -> Result<(), AppError> {
    member_of(principal, cooperative_id)?;
    if matches!(principal.role, Role::Leader | Role::Inspector) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only leaders and inspectors may see this.",
            "Chỉ ban quản lý và cán bộ kiểm tra mới xem được mục này.",
        ))
    }
}

/// Leaders and inspectors read every lot; members read lots on plots assigned to them.
pub async fn may_read_lot(store: &Store, principal: &Principal, lot: &LotAccess) -> Result<(), AppError> {
    member_of(principal, lot.cooperative_id)?;
    match principal.role {
        Role::Leader | Role::Inspector => Ok(()),
        Role::Member if store.member_works_any(principal.member_id, &lot.plot_ids).await? => Ok(()),
        Role::Member => Err(AppError::forbidden(
            "This lot is not on a plot assigned to you.",
            "Lô này không thuộc thửa ruộng được giao cho bạn.",
        )),
    }
}

/// Event types only leaders may log: they change what the lot is (packing, merging), end it
/// (close) or take it off the market (recall).
pub fn leader_only_kind(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Packing
            | EventKind::Merging
            | EventKind::Recall
            | EventKind::Close
            | EventKind::AlterationAcknowledged
            | EventKind::Override
    )
}

/// Leaders append to every lot; members to lots on their plots, but not leader-only types;
/// inspectors never.
pub async fn may_append(
    store: &Store,
    principal: &Principal,
    lot: &LotAccess,
    kind: EventKind,
) -> Result<(), AppError> {
    may_log_kind(principal, lot, kind)?;
    may_read_lot(store, principal, lot).await
}

/// The part of [`may_append`] that needs no reading: the cooperative, and whether the role may
/// log this kind of event at all. A batch checks this per event and [`may_read_lot`] once per lot.
pub fn may_log_kind(principal: &Principal, lot: &LotAccess, kind: EventKind) -> Result<(), AppError> {
    member_of(principal, lot.cooperative_id)?;
    match principal.role {
        Role::Leader => Ok(()),
        Role::Inspector => Err(AppError::forbidden(
            "Inspectors can read but not log events.",
            "Cán bộ kiểm tra chỉ được xem, không được ghi nhật ký.",
        )),
        Role::Member if leader_only_kind(kind) => Err(AppError::forbidden(
            "Only leaders may record packing, merging, closing or a recall.",
            "Chỉ ban quản lý mới được ghi đóng gói, gộp lô, kết thúc lô hoặc thu hồi.",
        )),
        Role::Member => Ok(()),
    }
}
