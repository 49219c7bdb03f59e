//! What the store hands out and takes in: plain records with parsed, valid fields.

use chrono::NaiveDate;
use farm_log::{
    CertificateScheme, ChainStatus, Event, GeoPoint, Gln, GrowerDisplay, Gs1CompanyPrefix, Gtin, InputKind, LotCode,
    LotStatus, Note, PhoneNumber, Quantity, Region, Role, ShortText,
};
use serde::{Deserialize, Serialize};

/// A cooperative (hợp tác xã).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cooperative {
    /// Id.
    pub id: i64,
    /// "HTX Nông nghiệp …".
    pub name: String,
    /// Street address.
    pub address: String,
    /// Province (tỉnh/thành phố).
    pub province: String,
    /// Commune (xã/phường).
    pub commune: String,
    /// Contact phone.
    pub phone: String,
    /// Region, which decides what "sào" means.
    pub region: Region,
    /// GS1 company prefix, when the cooperative has one.
    pub gs1_company_prefix: Option<String>,
    /// Global Location Number, when it has one.
    pub gln: Option<String>,
    /// When it was registered.
    pub created_at: String,
    /// Who they are, in their own words, for the public page.
    pub description: Option<String>,
    /// How the public pages name the household that grew a lot.
    pub grower_display: GrowerDisplay,
}

/// What a leader may change of how the cooperative shows itself to buyers.
#[derive(Debug, Clone)]
pub struct CooperativeProfile {
    /// Who they are (a few sentences), or none to remove it.
    pub description: Option<Note>,
    /// How growers are named on public pages.
    pub grower_display: GrowerDisplay,
}

/// A certificate the cooperative holds (VietGAP, organic …), for all its products or one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Certificate {
    /// Id.
    pub id: i64,
    /// Its cooperative.
    pub cooperative_id: i64,
    /// The product it covers; none when it covers the cooperative's production as a whole.
    pub product_id: Option<i64>,
    /// The scheme.
    pub scheme: CertificateScheme,
    /// The certificate's number.
    pub number: String,
    /// Tổ chức chứng nhận.
    pub body: String,
    /// What it covers, in the certificate's words.
    pub scope: Option<String>,
    /// First day it is valid (yyyy-mm-dd).
    pub valid_from: NaiveDate,
    /// Last day it is valid (yyyy-mm-dd).
    pub valid_to: NaiveDate,
    /// The blake3 hash of a scan (photo) of the paper certificate, when one was uploaded.
    pub scan: Option<String>,
}

impl Certificate {
    /// Whether it is valid on that day.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && day <= self.valid_to
    }
}

/// Input for a new certificate.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    /// Product covered, if only one.
    pub product_id: Option<i64>,
    /// Scheme.
    pub scheme: CertificateScheme,
    /// Number.
    pub number: ShortText,
    /// Certifying body.
    pub body: ShortText,
    /// Scope.
    pub scope: Option<ShortText>,
    /// Valid from.
    pub valid_from: NaiveDate,
    /// Valid to.
    pub valid_to: NaiveDate,
}

/// Input for a new cooperative.
#[derive(Debug, Clone)]
pub struct NewCooperative {
    /// Name.
    pub name: ShortText,
    /// Street address.
    pub address: ShortText,
    /// Province.
    pub province: ShortText,
    /// Commune.
    pub commune: ShortText,
    /// Contact phone.
    pub phone: PhoneNumber,
    /// Region.
    pub region: Region,
    /// GS1 company prefix.
    pub gs1_company_prefix: Option<Gs1CompanyPrefix>,
    /// GLN.
    pub gln: Option<Gln>,
}

/// A member household or person with a role.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// Id.
    pub id: i64,
    /// Their cooperative.
    pub cooperative_id: i64,
    /// Name ("Hộ ông Nguyễn Văn An").
    pub name: String,
    /// Phone, national form.
    pub phone: String,
    /// Role.
    pub role: Role,
    /// False once disabled.
    pub active: bool,
    /// Plots assigned to them.
    pub plot_ids: Vec<i64>,
    /// When added.
    pub created_at: String,
    /// Whether a leader has set a password, so they can sign in to the app.
    pub has_password: bool,
    /// Until when sign-in is locked after too many wrong passwords, if it is.
    pub locked_until: Option<String>,
}

/// Input for a new member.
#[derive(Debug, Clone)]
pub struct NewMember {
    /// Name.
    pub name: ShortText,
    /// Phone.
    pub phone: PhoneNumber,
    /// Role.
    pub role: Role,
}

/// A freshly issued API token: the secret is shown this once and stored only as a hash.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    /// The token's id, for revoking it.
    pub token_id: i64,
    /// Whose token it is.
    pub member_id: i64,
    /// The secret bearer token.
    pub token: String,
    /// What it is for.
    pub label: String,
}

/// A token as listed (never with its secret).
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    /// Id.
    pub id: i64,
    /// Whose.
    pub member_id: i64,
    /// What for.
    pub label: String,
    /// When issued.
    pub created_at: String,
    /// When revoked, if it was.
    pub revoked_at: Option<String>,
}

/// Who is calling, as established from a valid token.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    /// The member.
    pub member_id: i64,
    /// Their name.
    pub name: String,
    /// Their cooperative.
    pub cooperative_id: i64,
    /// Their role.
    pub role: Role,
    /// The token used.
    pub token_id: i64,
}

/// A plot (thửa ruộng, mảnh vườn).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plot {
    /// Id.
    pub id: i64,
    /// Its cooperative.
    pub cooperative_id: i64,
    /// The name the farmer uses.
    pub name: String,
    /// Area.
    pub area: Quantity,
    /// Area as Vietnamese write it.
    pub area_display: String,
    /// Commune.
    pub commune: String,
    /// Where it is.
    pub location: Option<LatLon>,
    /// Mã số vùng trồng.
    pub growing_area_code: Option<String>,
    /// Members assigned to it.
    pub member_ids: Vec<i64>,
}

/// Degrees, for JSON.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct LatLon {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

impl From<GeoPoint> for LatLon {
    fn from(point: GeoPoint) -> Self {
        Self {
            lat: point.lat(),
            lon: point.lon(),
        }
    }
}

/// Input for a new plot.
#[derive(Debug, Clone)]
pub struct NewPlot {
    /// Name.
    pub name: ShortText,
    /// Area (sào already converted to m² by the caller's region).
    pub area: Quantity,
    /// Commune.
    pub commune: ShortText,
    /// Location.
    pub location: Option<GeoPoint>,
    /// Growing area code.
    pub growing_area_code: Option<ShortText>,
}

/// A product the cooperative grows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    /// Id.
    pub id: i64,
    /// Its cooperative.
    pub cooperative_id: i64,
    /// Commodity ("Gạo", "Bưởi").
    pub commodity: String,
    /// Variety ("ST25", "Da xanh").
    pub variety: Option<String>,
    /// GTIN-14, when it has one.
    pub gtin: Option<String>,
    /// Display name: commodity and variety.
    pub name: String,
    /// The blake3 hash of its photo, when it has one.
    pub photo: Option<String>,
    /// Days it keeps after packing (hạn sử dụng), when known.
    pub shelf_life_days: Option<u32>,
}

/// Input for a new product.
#[derive(Debug, Clone)]
pub struct NewProduct {
    /// Commodity.
    pub commodity: ShortText,
    /// Variety.
    pub variety: Option<ShortText>,
    /// GTIN.
    pub gtin: Option<Gtin>,
}

/// A fertilizer or pesticide in the cooperative's registry.
#[derive(Debug, Clone, Serialize)]
pub struct InputProduct {
    /// Id.
    pub id: i64,
    /// Its cooperative.
    pub cooperative_id: i64,
    /// Fertilizer or pesticide.
    pub kind: InputKind,
    /// Trade name.
    pub trade_name: String,
    /// Active ingredients.
    pub active_ingredients: Vec<String>,
    /// Registration number.
    pub registration_number: Option<String>,
    /// Pre-harvest interval, days.
    pub phi_days: Option<u32>,
    /// Which of its ingredients are banned in Vietnam (it cannot be used when non-empty).
    pub banned_ingredients: Vec<String>,
}

/// Input for a new input product.
#[derive(Debug, Clone)]
pub struct NewInputProduct {
    /// Kind.
    pub kind: InputKind,
    /// Trade name.
    pub trade_name: ShortText,
    /// Active ingredients.
    pub active_ingredients: Vec<ShortText>,
    /// Registration number.
    pub registration_number: Option<ShortText>,
    /// Pre-harvest interval, days (pesticides).
    pub phi_days: Option<u32>,
}

/// A link between a lot and a parent or child.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LotLink {
    /// The other lot's id.
    pub lot_id: i64,
    /// The other lot's code.
    pub lot_code: String,
    /// How much moved between them.
    pub quantity: Quantity,
    /// The parent's chain head when the child was made.
    pub parent_head: String,
    /// The packing or merging event that made the link.
    pub via_event_id: String,
}

/// What deciding who may read or log on a lot needs: its cooperative and the plots it grows on
/// ([`Store::lot_access`] reads only that; a whole [`Lot`] gives it with [`Lot::access`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotAccess {
    /// The lot's cooperative.
    pub cooperative_id: i64,
    /// Its plots.
    pub plot_ids: Vec<i64>,
}

/// A lot with its place in the genealogy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lot {
    /// Id.
    pub id: i64,
    /// Its cooperative.
    pub cooperative_id: i64,
    /// Code, unique in the cooperative.
    pub code: String,
    /// Product.
    pub product_id: i64,
    /// Status.
    pub status: LotStatus,
    /// What a packed or merged lot started with.
    pub initial_quantity: Option<Quantity>,
    /// When created.
    pub created_at: String,
    /// The chain's genesis.
    pub genesis: String,
    /// The current chain head as recorded.
    pub head: String,
    /// How many events are chained.
    pub event_count: i64,
    /// Plots.
    pub plot_ids: Vec<i64>,
    /// Lots it was made from.
    pub parents: Vec<LotLink>,
    /// Lots made from it.
    pub children: Vec<LotLink>,
}

impl Lot {
    /// What deciding access to the lot needs.
    pub fn access(&self) -> LotAccess {
        LotAccess {
            cooperative_id: self.cooperative_id,
            plot_ids: self.plot_ids.clone(),
        }
    }
}

/// Input for a new growing lot.
#[derive(Debug, Clone)]
pub struct NewLot {
    /// Code.
    pub code: LotCode,
    /// Product.
    pub product_id: i64,
    /// Plots (at least one).
    pub plot_ids: Vec<i64>,
}

/// An event as stored, with the head recorded beside it.
#[derive(Debug, Clone, Serialize)]
pub struct StoredEvent {
    /// The event.
    #[serde(flatten)]
    pub event: Event,
    /// The lot it belongs to.
    pub lot_code: String,
    /// The chain head after it.
    pub head: String,
}

/// A lot's full history and whether it is intact.
#[derive(Debug, Clone, Serialize)]
pub struct LotHistory {
    /// The lot.
    pub lot: Lot,
    /// What it still holds, per dimension (harvested or received, minus packed and merged).
    pub available: Vec<Quantity>,
    /// Every stored event, corrections included, in chain order.
    pub events: Vec<StoredEvent>,
    /// Chain verification.
    pub chain: ChainStatus,
}
