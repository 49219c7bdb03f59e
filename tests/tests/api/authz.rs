//! Every route × every role × a foreign cooperative: who may do what.

use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{backends, new_id, spawn_demo};

/// Callers within the cooperative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Leader,
    /// A member assigned to the plot of lot CN-2609-01.
    Member,
    /// A member not assigned to it.
    OtherMember,
    Inspector,
}

const EVERYONE: &[Who] = &[Who::Leader, Who::Member, Who::OtherMember, Who::Inspector];
const LEADER: &[Who] = &[Who::Leader];
const OVERSEERS: &[Who] = &[Who::Leader, Who::Inspector];
const LOT_READERS: &[Who] = &[Who::Leader, Who::Member, Who::Inspector];
const LOT_WRITERS: &[Who] = &[Who::Leader, Who::Member];
/// Everyone who records anything (inspectors only read).
const RECORDERS: &[Who] = &[Who::Leader, Who::Member, Who::OtherMember];

/// One API operation, with a body that would succeed when allowed.
pub struct Route {
    pub method: Method,
    pub template: &'static str,
    pub allowed: &'static [Who],
    pub cooperative_scoped: bool,
    /// Open to anyone, signed in or not (a buyer scanning a label).
    pub public: bool,
    pub body: fn() -> Option<Value>,
    /// The body is a photo (raw image bytes), not JSON.
    pub photo: bool,
}

fn none() -> Option<Value> {
    None
}

fn observation() -> Option<Value> {
    Some(
        json!({ "id": new_id(), "type": "observation", "occurred_at": "2026-11-01T08:00:00+07:00", "subject": "Kiểm tra định kỳ" }),
    )
}

const fn route(method: Method, template: &'static str, allowed: &'static [Who], body: fn() -> Option<Value>) -> Route {
    Route {
        method,
        template,
        allowed,
        cooperative_scoped: true,
        public: false,
        body,
        photo: false,
    }
}

fn certificate() -> Option<Value> {
    Some(
        json!({ "scheme": "vietgap", "number": "VG-1", "body": "QUACERT", "valid_from": "01/01/2026", "valid_to": "31/12/2028" }),
    )
}

/// A listing of 1 kg bags from the demo's packed lot `CN-2609-01-B` (550 kg).
fn listing_fields() -> Value {
    json!({ "title_vi": "Cải ngọt túi 1 kg", "price_vnd": "30.000", "pack_size": "1 kg", "lots": ["CN-2609-01-B"] })
}

/// Every operation of the API. The OpenAPI test checks this list matches the document.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        template: "/me",
        allowed: EVERYONE,
        cooperative_scoped: false,
        public: false,
        body: none,
        photo: false,
    },
    route(Method::GET, "/cooperatives/{coop_id}", EVERYONE, none),
    route(Method::GET, "/cooperatives/{coop_id}/members", OVERSEERS, none),
    route(Method::POST, "/cooperatives/{coop_id}/members", LEADER, || {
        Some(json!({ "name": "Hộ bà Kiểm Thử", "phone": format!("09{:08}", rand_digits()), "role": "member" }))
    }),
    route(
        Method::POST,
        "/cooperatives/{coop_id}/members/{member_id}/tokens",
        LEADER,
        || Some(json!({ "label": "máy tính bảng" })),
    ),
    route(
        Method::POST,
        "/cooperatives/{coop_id}/tokens/{token_id}/revoke",
        LEADER,
        none,
    ),
    route(Method::GET, "/cooperatives/{coop_id}/plots", EVERYONE, none),
    route(Method::POST, "/cooperatives/{coop_id}/plots", LEADER, || {
        Some(json!({ "name": format!("Ruộng thử {}", rand_digits()), "area": "1 sào", "commune": "Tây Tựu" }))
    }),
    route(
        Method::POST,
        "/cooperatives/{coop_id}/plots/{plot_id}/members",
        LEADER,
        || Some(json!({ "member_id": 2 })),
    ),
    route(Method::GET, "/cooperatives/{coop_id}/products", EVERYONE, none),
    route(Method::POST, "/cooperatives/{coop_id}/products", LEADER, || {
        Some(json!({ "commodity": "Su hào" }))
    }),
    route(Method::GET, "/cooperatives/{coop_id}/input-products", EVERYONE, none),
    route(Method::POST, "/cooperatives/{coop_id}/input-products", LEADER, || {
        Some(json!({ "kind": "fertilizer", "trade_name": "Phân gà hoai", "active_ingredients": ["Chất hữu cơ"] }))
    }),
    route(Method::GET, "/cooperatives/{coop_id}/lots", EVERYONE, none),
    route(Method::POST, "/cooperatives/{coop_id}/lots", LEADER, || {
        Some(json!({ "code": format!("AUTHZ-{}", rand_digits()), "product_id": 1, "plot_ids": [1] }))
    }),
    route(Method::GET, "/cooperatives/{coop_id}/lots/{code}", LOT_READERS, none),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/lots/{code}/events",
        LOT_READERS,
        none,
    ),
    route(
        Method::POST,
        "/cooperatives/{coop_id}/lots/{code}/events",
        LOT_WRITERS,
        observation,
    ),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/lots/{code}/history",
        LOT_READERS,
        none,
    ),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/lots/{code}/genealogy",
        LOT_READERS,
        none,
    ),
    // On a lot the test alters by hand first (the only lots with anything to acknowledge).
    route(
        Method::POST,
        "/cooperatives/{coop_id}/lots/{code}/acknowledge-alteration",
        LEADER,
        || Some(json!({ "explanation": "Kỹ thuật viên sửa nhầm cơ sở dữ liệu" })),
    ),
    route(
        Method::POST,
        "/cooperatives/{coop_id}/events/batch",
        LOT_WRITERS,
        || {
            let mut event = observation().unwrap_or_default();
            event["lot_code"] = json!("CN-2609-01");
            Some(json!({ "events": [event] }))
        },
    ),
    route(Method::POST, "/cooperatives/{coop_id}/merges", LEADER, || {
        Some(
            json!({ "output_code": format!("M-{}", rand_digits()), "occurred_at": "2026-10-29T08:00:00+07:00",
            "inputs": [ { "lot_code": "CN-2609-01", "quantity": "1 kg", "event_id": new_id() }, { "lot_code": "CC-2608-02", "quantity": "1 kg", "event_id": new_id() } ] }),
        )
    }),
    route(
        Method::POST,
        "/cooperatives/{coop_id}/lots/{code}/labels",
        LEADER,
        || Some(json!({ "count": 1, "pack_size": "1 kg" })),
    ),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/lots/{code}/labels",
        LOT_READERS,
        none,
    ),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/label-batches/{batch_id}",
        OVERSEERS,
        none,
    ),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/label-batches/{batch_id}/sheet.pdf",
        LEADER,
        none,
    ),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/label-batches/{batch_id}/labels.zip",
        LEADER,
        none,
    ),
    Route {
        method: Method::GET,
        template: "/cooperatives/{coop_id}/keys",
        allowed: EVERYONE,
        cooperative_scoped: false,
        public: true,
        body: none,
        photo: false,
    },
    route(Method::PUT, "/cooperatives/{coop_id}/profile", LEADER, || {
        Some(json!({ "description": "HTX thử", "grower_display": "hidden" }))
    }),
    route(Method::GET, "/cooperatives/{coop_id}/certificates", EVERYONE, none),
    route(
        Method::POST,
        "/cooperatives/{coop_id}/certificates",
        LEADER,
        certificate,
    ),
    route(
        Method::PUT,
        "/cooperatives/{coop_id}/products/{product_id}/shelf-life",
        LEADER,
        || Some(json!({ "shelf_life_days": 7 })),
    ),
    Route {
        method: Method::PUT,
        template: "/cooperatives/{coop_id}/certificates/{certificate_id}/scan",
        allowed: LEADER,
        cooperative_scoped: true,
        public: false,
        body: none,
        photo: true,
    },
    Route {
        method: Method::POST,
        template: "/cooperatives/{coop_id}/photos",
        allowed: RECORDERS,
        cooperative_scoped: true,
        public: false,
        body: none,
        photo: true,
    },
    Route {
        method: Method::PUT,
        template: "/cooperatives/{coop_id}/products/{product_id}/photo",
        allowed: LEADER,
        cooperative_scoped: true,
        public: false,
        body: none,
        photo: true,
    },
    route(Method::GET, "/cooperatives/{coop_id}/listings", OVERSEERS, none),
    route(Method::POST, "/cooperatives/{coop_id}/listings", LEADER, || {
        Some(listing_fields())
    }),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/listings/{listing_id}",
        OVERSEERS,
        none,
    ),
    route(
        Method::PUT,
        "/cooperatives/{coop_id}/listings/{listing_id}",
        LEADER,
        || Some(listing_fields()),
    ),
    route(
        Method::PUT,
        "/cooperatives/{coop_id}/listings/{listing_id}/status",
        LEADER,
        || Some(json!({ "status": "active" })),
    ),
    route(
        Method::POST,
        "/cooperatives/{coop_id}/listings/{listing_id}/movements",
        LEADER,
        || Some(json!({ "id": new_id(), "kind": "sale", "units": 1 })),
    ),
    route(Method::GET, "/cooperatives/{coop_id}/feeds", LEADER, none),
    route(Method::POST, "/cooperatives/{coop_id}/feeds/rotate", LEADER, none),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/lots/{code}/epcis",
        LOT_READERS,
        none,
    ),
    route(Method::GET, "/cooperatives/{coop_id}/epcis", OVERSEERS, none),
    route(Method::POST, "/cooperatives/{coop_id}/epcis", LEADER, || {
        Some(crate::epcis::one_lot_document("AUTHZ-EPCIS"))
    }),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/lots/{code}/trace.xlsx",
        LOT_READERS,
        none,
    ),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/lots/{code}/trace.csv",
        LOT_READERS,
        none,
    ),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/lots/{code}/diary.csv",
        LOT_READERS,
        none,
    ),
    route(
        Method::GET,
        "/cooperatives/{coop_id}/lots/{code}/diary.pdf",
        LOT_READERS,
        none,
    ),
    Route {
        method: Method::GET,
        template: "/labels/{serial}",
        allowed: EVERYONE,
        cooperative_scoped: false,
        public: true,
        body: none,
        photo: false,
    },
];

async fn call(
    app: &crate::helpers::TestApp,
    route: &Route,
    path: &str,
    token: Option<&str>,
    photo: &[u8],
) -> (StatusCode, Value) {
    app.call_route(route, path, token, photo).await
}

impl crate::helpers::TestApp {
    /// Calls a route with its JSON body, or with `photo` as the body of a photo upload.
    async fn call_route(&self, route: &Route, path: &str, token: Option<&str>, photo: &[u8]) -> (StatusCode, Value) {
        if route.photo {
            self.upload(route.method.clone(), path, token, photo.to_vec(), "image/png")
                .await
        } else {
            self.call(route.method.clone(), path, token, (route.body)()).await
        }
    }
}

fn rand_digits() -> u32 {
    (uuid::Uuid::new_v4().as_u128() % 100_000_000) as u32
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_enforces_roles_and_cooperative_boundaries() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let foreign_leader = app.pomelo().leader.clone();
        let assigned = app
            .store
            .authenticate(&veg.member)
            .await
            .expect("auth")
            .expect("member");
        let plot = app.store.plots(veg.id).await.expect("plots")[0].id;
        let product = app.store.products(veg.id).await.expect("products")[0].id;
        let certificate = app.store.certificates(veg.id).await.expect("certificates")[0].id;
        let photo = crate::helpers::png_photo(64, 48);
        let leader = app
            .store
            .authenticate(&veg.leader)
            .await
            .expect("auth")
            .expect("leader");
        let batch = app
            .store
            .issue_labels(
                &leader,
                store::IssueRequest {
                    lot_code: "CN-2609-01".into(),
                    count: 2,
                    pack_size: farm_log::Quantity::parse("1 kg", None, "pack_size").expect("quantity"),
                    base_url: label::BaseUrl::parse(&app.base).expect("base"),
                    past_use_by_reason: None,
                },
            )
            .await
            .expect("labels issue");
        // A listing for the listing routes to read, edit, pause and sell from.
        let (status, listing) = app
            .post(
                &format!("/api/v1/cooperatives/{}/listings", veg.id),
                &veg.leader,
                listing_fields(),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {listing}");
        let listing_id = listing["id"].as_i64().expect("a listing id");
        // A lot whose stored diary is edited by hand, for the acknowledgement route.
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{}/lots", veg.id),
                &veg.leader,
                json!({ "code": "AUTHZ-ALTERED", "product_id": product, "plot_ids": [plot] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{}/lots/AUTHZ-ALTERED/events", veg.id),
                &veg.leader,
                json!({ "id": new_id(), "type": "observation", "occurred_at": crate::helpers::days_ago(1), "subject": "Sâu" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        app.store
            .connection()
            .execute_unprepared(
                "UPDATE events SET note = 'sửa tay' WHERE lot_id = (SELECT id FROM lots WHERE code = 'AUTHZ-ALTERED')",
            )
            .await
            .expect("tamper");
        let fill = |template: &str, token_id: i64| {
            let lot = if template.ends_with("/acknowledge-alteration") {
                "AUTHZ-ALTERED"
            } else {
                "CN-2609-01"
            };
            template
                .replace("{batch_id}", &batch.signed.record.batch_id)
                .replace("{serial}", &batch.labels[0].serial)
                .replace("{coop_id}", &veg.id.to_string())
                .replace("{member_id}", &assigned.member_id.to_string())
                .replace("{token_id}", &token_id.to_string())
                .replace("{plot_id}", &plot.to_string())
                .replace("{product_id}", &product.to_string())
                .replace("{certificate_id}", &certificate.to_string())
                .replace("{code}", lot)
                .replace("{listing_id}", &listing_id.to_string())
        };
        let callers = [
            (Who::Leader, veg.leader.clone()),
            (Who::Member, veg.member.clone()),
            (Who::OtherMember, veg.other_member.clone()),
            (
                Who::Inspector,
                veg.inspector
                    .clone()
                    .expect("the vegetable cooperative has an inspector"),
            ),
        ];
        for route in ROUTES {
            // A throwaway token to revoke, so no caller loses its own.
            let spare = app
                .store
                .issue_token(assigned.member_id, "spare")
                .await
                .expect("spare token")
                .token_id;
            let path = format!("/api/v1{}", fill(route.template, spare));
            let (status, body) = call(&app, route, &path, None, &photo).await;
            if route.public {
                assert!(
                    status.is_success(),
                    "[{backend}] anonymous {} {path}: {body}",
                    route.method
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "[{backend}] anonymous {} {path}: {body}",
                    route.method
                );
            }
            for (who, token) in &callers {
                let (status, body) = call(&app, route, &path, Some(token), &photo).await;
                if route.allowed.contains(who) {
                    assert!(
                        status.is_success(),
                        "[{backend}] {who:?} should be allowed {} {path}, got {status}: {body}",
                        route.method
                    );
                } else {
                    assert_eq!(
                        status,
                        StatusCode::FORBIDDEN,
                        "[{backend}] {who:?} must be refused {} {path}: {body}",
                        route.method
                    );
                    assert_eq!(body["error"], "forbidden");
                }
            }
            let (status, body) = app.call_route(route, &path, Some(&foreign_leader), &photo).await;
            if route.cooperative_scoped {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "[{backend}] a foreign leader must be refused {} {path}: {body}",
                    route.method
                );
            } else {
                assert!(status.is_success(), "[{backend}] {} {path}: {body}", route.method);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_list_only_their_own_lots_and_revoked_tokens_stop_working() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let (_, mine) = app
            .get(&format!("/api/v1/cooperatives/{}/lots", veg.id), &veg.member)
            .await;
        let (_, all) = app
            .get(&format!("/api/v1/cooperatives/{}/lots", veg.id), &veg.leader)
            .await;
        let codes = |v: &Value| -> Vec<String> {
            v.as_array()
                .expect("list")
                .iter()
                .map(|l| l["code"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        assert!(
            codes(&mine).contains(&"CN-2609-01".to_owned()) && !codes(&mine).contains(&"CC-2608-02".to_owned()),
            "[{backend}] {:?}",
            codes(&mine)
        );
        assert!(codes(&all).len() > codes(&mine).len());

        let principal = app
            .store
            .authenticate(&veg.member)
            .await
            .expect("auth")
            .expect("member");
        let (status, _) = app
            .post(
                &format!("/api/v1/cooperatives/{}/tokens/{}/revoke", veg.id, principal.token_id),
                &veg.leader,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app.get("/api/v1/me", &veg.member).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "[{backend}] a revoked token is refused"
        );
    }
}
