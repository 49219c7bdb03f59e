//! Every fixed word a diary prints, in Vietnamese and English. Vietnamese uses the words farmers
//! and inspectors say (see the project's glossary), not translations of software terms.

use farm_log::{EventKind, LotStatus};

use crate::Language;

/// The words of one language.
pub(crate) struct Words {
    // Spreadsheet columns.
    pub col_lot: &'static str,
    pub col_seq: &'static str,
    pub col_date: &'static str,
    pub col_time: &'static str,
    pub col_recorded_at: &'static str,
    pub col_type: &'static str,
    pub col_plot: &'static str,
    pub col_input: &'static str,
    pub col_active_ingredients: &'static str,
    pub col_amount: &'static str,
    pub col_details: &'static str,
    /// Before an event's photo hashes in its details.
    pub photos: &'static str,
    pub col_required_days: &'static str,
    pub col_days_to_harvest: &'static str,
    pub col_verdict: &'static str,
    pub col_logged_by: &'static str,
    pub col_note: &'static str,
    pub col_amendment: &'static str,
    pub col_event_id: &'static str,

    // Pre-harvest interval verdicts.
    pub respected: &'static str,
    pub not_respected: &'static str,
    pub overridden: &'static str,
    pub not_harvested: &'static str,
    pub interval_unknown: &'static str,
    pub required: &'static str,
    pub actual: &'static str,

    // Details of an event.
    pub seed_source: &'static str,
    pub seed_lot: &'static str,
    pub variety: &'static str,
    pub fertilizing_method: &'static str,
    pub target_pest: &'static str,
    pub area_sprayed: &'static str,
    pub irrigation_method: &'static str,
    pub water_source: &'static str,
    pub phi_override: &'static str,
    pub child_lots: &'static str,
    pub into_lot: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub document: &'static str,
    pub reason: &'static str,
    pub registration: &'static str,
    pub input_number: &'static str,
    pub member_number: &'static str,

    // Amendments.
    pub corrected: &'static str,
    pub voided: &'static str,
    pub by_event: &'static str,
    pub originally: &'static str,

    // The printed document.
    pub title: &'static str,
    pub field_cooperative: &'static str,
    pub field_address: &'static str,
    pub field_lot: &'static str,
    pub field_product: &'static str,
    pub field_plots: &'static str,
    pub field_growers: &'static str,
    pub field_status: &'static str,
    pub field_generated_at: &'static str,
    pub field_chain_head: &'static str,
    pub field_event_count: &'static str,
    pub growing_area_code: &'static str,
    pub how_to_check: &'static str,
    pub legend: &'static str,
    pub head_seq: &'static str,
    pub head_when: &'static str,
    pub head_type: &'static str,
    pub head_input: &'static str,
    pub head_amount: &'static str,
    pub head_interval: &'static str,
    pub head_logged_by: &'static str,
    pub head_notes: &'static str,
    pub no_entries: &'static str,
    pub page: &'static str,
    pub vietnam_time: &'static str,
}

const VI: Words = Words {
    col_lot: "Mã lô",
    col_seq: "Số thứ tự trong chuỗi",
    col_date: "Ngày (dd/mm/yyyy)",
    col_time: "Giờ",
    col_recorded_at: "Thời điểm ghi",
    col_type: "Công việc",
    col_plot: "Thửa ruộng",
    col_input: "Vật tư",
    col_active_ingredients: "Hoạt chất",
    col_amount: "Lượng",
    col_details: "Chi tiết",
    photos: "Ảnh (mã blake3)",
    col_required_days: "Thời gian cách ly yêu cầu (ngày)",
    col_days_to_harvest: "Số ngày từ phun đến thu hoạch",
    col_verdict: "Đánh giá thời gian cách ly",
    col_logged_by: "Người ghi",
    col_note: "Ghi chú",
    col_amendment: "Đính chính",
    col_event_id: "Mã sự kiện",

    respected: "Đạt",
    not_respected: "KHÔNG ĐẠT",
    overridden: "Thu hoạch sớm, ban quản lý đã phê duyệt",
    not_harvested: "Chưa thu hoạch",
    interval_unknown: "Không rõ thời gian cách ly",
    required: "Yêu cầu",
    actual: "Thực tế",

    seed_source: "Nguồn giống",
    seed_lot: "Lô giống",
    variety: "Giống",
    fertilizing_method: "Cách bón",
    target_pest: "Đối tượng",
    area_sprayed: "Diện tích phun",
    irrigation_method: "Cách tưới",
    water_source: "Nguồn nước",
    phi_override: "Thu hoạch trong thời gian cách ly, lý do",
    child_lots: "Lô con",
    into_lot: "Gộp vào lô",
    from: "Từ",
    to: "Đến",
    document: "Chứng từ",
    reason: "Lý do",
    registration: "số ĐK",
    input_number: "Vật tư",
    member_number: "Thành viên",

    corrected: "Đã đính chính",
    voided: "ĐÃ HỦY",
    by_event: "bởi sự kiện",
    originally: "Ghi ban đầu",

    title: "NHẬT KÝ CANH TÁC",
    field_cooperative: "Hợp tác xã",
    field_address: "Địa chỉ",
    field_lot: "Mã lô",
    field_product: "Sản phẩm",
    field_plots: "Thửa ruộng",
    field_growers: "Hộ trồng",
    field_status: "Trạng thái lô",
    field_generated_at: "Xuất lúc",
    field_chain_head: "Mã chuỗi",
    field_event_count: "Số sự kiện",
    growing_area_code: "mã số vùng trồng",
    how_to_check: "Để kiểm tra: trang truy xuất nguồn gốc công khai của lô phải hiện đúng mã chuỗi và số sự kiện này (số sự kiện lớn hơn nếu lô có thêm ghi chép sau thời điểm xuất).",
    legend: "TT: vị trí của sự kiện trong chuỗi; các đính chính được gộp vào sự kiện gốc. Nền xám, gạch ngang: sự kiện đã hủy. Nền đỏ: phun thuốc không đảm bảo thời gian cách ly.",
    head_seq: "TT",
    head_when: "Ngày, giờ",
    head_type: "Công việc",
    head_input: "Vật tư, hoạt chất",
    head_amount: "Lượng",
    head_interval: "Thời gian cách ly",
    head_logged_by: "Người ghi",
    head_notes: "Chi tiết, ghi chú",
    no_entries: "Lô chưa có ghi chép nào.",
    page: "Trang",
    vietnam_time: "giờ Việt Nam, UTC+07:00",
};

const EN: Words = Words {
    col_lot: "Lot code",
    col_seq: "Sequence number in chain",
    col_date: "Date (dd/mm/yyyy)",
    col_time: "Time",
    col_recorded_at: "Recorded at",
    col_type: "Activity",
    col_plot: "Plot",
    col_input: "Input product",
    col_active_ingredients: "Active ingredients",
    col_amount: "Amount",
    col_details: "Details",
    photos: "Photos (blake3)",
    col_required_days: "Required pre-harvest interval (days)",
    col_days_to_harvest: "Days from spraying to harvest",
    col_verdict: "Pre-harvest interval verdict",
    col_logged_by: "Logged by",
    col_note: "Note",
    col_amendment: "Amendment",
    col_event_id: "Event id",

    respected: "Respected",
    not_respected: "NOT RESPECTED",
    overridden: "Harvested early with the leader's approval",
    not_harvested: "Not harvested yet",
    interval_unknown: "Interval not stated",
    required: "Required",
    actual: "Actual",

    seed_source: "Seed source",
    seed_lot: "Seed lot",
    variety: "Variety",
    fertilizing_method: "Method",
    target_pest: "Target",
    area_sprayed: "Area sprayed",
    irrigation_method: "Method",
    water_source: "Water source",
    phi_override: "Harvested inside the pre-harvest interval; reason",
    child_lots: "Child lots",
    into_lot: "Merged into lot",
    from: "From",
    to: "To",
    document: "Document",
    reason: "Reason",
    registration: "reg. no.",
    input_number: "Input",
    member_number: "Member",

    corrected: "Corrected",
    voided: "VOIDED",
    by_event: "by event",
    originally: "Originally",

    title: "FARM DIARY (NHẬT KÝ CANH TÁC)",
    field_cooperative: "Cooperative",
    field_address: "Address",
    field_lot: "Lot",
    field_product: "Product",
    field_plots: "Plots",
    field_growers: "Growers",
    field_status: "Lot status",
    field_generated_at: "Generated",
    field_chain_head: "Chain head",
    field_event_count: "Events",
    growing_area_code: "growing area code",
    how_to_check: "To check: the lot's public traceability page must show this chain head and event count (a higher count if entries were added after this diary was made).",
    legend: "Seq: the event's position in the chain; corrections are folded into the event they correct. Grey, struck through: voided. Red: spraying whose pre-harvest interval was not respected.",
    head_seq: "Seq",
    head_when: "Date, time",
    head_type: "Activity",
    head_input: "Input, active ingredient",
    head_amount: "Amount",
    head_interval: "Pre-harvest interval",
    head_logged_by: "Logged by",
    head_notes: "Details, notes",
    no_entries: "No entries recorded for this lot.",
    page: "Page",
    vietnam_time: "Vietnam time, UTC+07:00",
};

impl Words {
    /// The words of `language`.
    pub fn of(language: Language) -> &'static Words {
        match language {
            Language::Vi => &VI,
            Language::En => &EN,
        }
    }
}

/// The name of an event type.
pub(crate) fn event_type(kind: EventKind, language: Language) -> &'static str {
    match language {
        Language::Vi => kind.name_vi(),
        Language::En => match kind {
            EventKind::Seeding => "Seeding, planting",
            EventKind::Fertilizing => "Fertilizing",
            EventKind::Spraying => "Pesticide spraying",
            EventKind::Irrigation => "Irrigation",
            EventKind::Observation => "Field observation",
            EventKind::Harvest => "Harvest",
            EventKind::Packing => "Packing",
            EventKind::Merging => "Merging into another lot",
            EventKind::Shipping => "Shipping",
            EventKind::Receiving => "Receiving",
            EventKind::Correction => "Correction",
            EventKind::Recall => "Recall",
            EventKind::Close => "Lot closed",
            EventKind::AlterationAcknowledged => "Leader acknowledged the record was altered",
            EventKind::Override => "Leader override",
        },
    }
}

/// The name of a lot status.
pub(crate) fn lot_status(status: LotStatus, language: Language) -> &'static str {
    match language {
        Language::Vi => status.name_vi(),
        Language::En => match status {
            LotStatus::Growing => "Growing",
            LotStatus::Harvested => "Harvested",
            LotStatus::Packed => "Packed",
            LotStatus::Closed => "Closed",
            LotStatus::Recalled => "Recalled",
        },
    }
}

/// "7 ngày", "1 day", "7 days".
pub(crate) fn days(count: i64, language: Language) -> String {
    match language {
        Language::Vi => format!("{count} ngày"),
        Language::En if count == 1 || count == -1 => format!("{count} day"),
        Language::En => format!("{count} days"),
    }
}
