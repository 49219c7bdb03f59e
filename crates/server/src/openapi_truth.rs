//! What the OpenAPI document says each operation answers: the real success schema (written here
//! as JSON Schema, since the records come from crates that know nothing of OpenAPI), binary
//! bodies as binary, and the error responses each can give, all in the one error shape. The
//! conformance test (`tests/tests/api/openapi.rs`) calls every operation and checks the status
//! and body it gets against this, so the two cannot drift apart.

use serde_json::{Map, Value, json};

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list(name: &str) -> Value {
    json!({ "type": "array", "items": r(name) })
}

fn nullable(kind: &str) -> Value {
    json!({ "type": [kind, "null"] })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

/// The component schemas of every JSON body the API answers with.
fn components() -> Map<String, Value> {
    let s = json!({ "type": "string" });
    let i = json!({ "type": "integer" });
    let b = json!({ "type": "boolean" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let ints = json!({ "type": "array", "items": { "type": "integer" } });
    let batch_record = object(
        &[
            "format_version",
            "cooperative_id",
            "batch_id",
            "lot_code",
            "count",
            "pack_size",
            "chain_head",
            "event_count",
            "issued_at",
            "key_id",
        ],
        json!({
            "format_version": i, "cooperative_id": i, "cooperative_name": s, "batch_id": s, "lot_code": s,
            "gtin": nullable("string"), "product_name": s, "count": i, "pack_size": s, "chain_head": s,
            "event_count": i, "issued_at": s, "issued_by": i, "serials_digest": s, "key_id": s,
        }),
    );
    let listing_props = json!({
        "id": i, "feed_id": s, "version": i, "status": { "enum": ["active", "paused", "archived"] },
        "title_vi": s, "title_en": nullable("string"), "description_vi": nullable("string"), "description_en": nullable("string"),
        "price_vnd": i, "price_text": s, "pack_size": r("Quantity"), "gtin": nullable("string"), "category": nullable("string"),
        "photos": strings, "lots": list("ListingLot"), "units": i,
        "availability": { "enum": ["in_stock", "out_of_stock"] }, "selling_lot": s, "trace_url": s, "url": s,
        "created_at": s, "updated_at": s,
    });
    let listing_required = [
        "id",
        "feed_id",
        "version",
        "status",
        "title_vi",
        "price_vnd",
        "pack_size",
        "lots",
        "units",
        "availability",
    ];
    let mut detail_props = listing_props.clone();
    detail_props["versions"] = json!({ "type": "array", "items": object(&["version", "status", "title_vi", "price_vnd", "pack_size", "lots", "created_at"], json!({
        "version": i, "status": s, "title_vi": s, "price_vnd": i, "pack_size": r("Quantity"), "lots": strings, "created_at": s, "created_by": s,
    })) });
    detail_props["movements"] = list("StockMovement");
    let mut detail_required = listing_required.to_vec();
    detail_required.extend(["versions", "movements"]);
    let mut out = Map::new();
    out.insert("Error".into(), object(&["error", "message"], json!({
            "error": { "enum": ["bad_request", "unauthenticated", "forbidden", "not_found", "conflict", "payload_too_large", "unsupported_media_type", "invalid", "unavailable", "internal"] },
            "message": s,
            "field": nullable("string"),
            "errors": { "type": "array", "items": object(&["field", "code", "message"], json!({ "field": s, "code": s, "message": s })) },
            "request_id": s,
        })));
    out.insert(
        "Quantity".into(),
        object(
            &["value", "unit"],
            json!({
                "value": { "type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$" },
                "unit": { "enum": ["GRM", "KGM", "DTN", "TNE", "MLT", "LTR", "MTK", "DAA", "HAR", "H87"] },
            }),
        ),
    );
    out.insert("Principal".into(), object(&["member_id", "name", "cooperative_id", "role", "token_id"], json!({
            "member_id": i, "name": s, "cooperative_id": i, "role": { "enum": ["leader", "member", "inspector"] }, "token_id": i,
        })));
    out.insert("Cooperative".into(), object(&["id", "name", "address", "province", "commune", "phone", "region", "created_at", "grower_display"], json!({
            "id": i, "name": s, "address": s, "province": s, "commune": s, "phone": s, "region": { "enum": ["north", "central", "south"] },
            "gs1_company_prefix": nullable("string"), "gln": nullable("string"), "created_at": s, "description": nullable("string"),
            "grower_display": { "enum": ["name", "hidden"] },
        })));
    out.insert("Member".into(), object(&["id", "cooperative_id", "name", "phone", "role", "active", "plot_ids", "created_at", "has_password"], json!({
            "id": i, "cooperative_id": i, "name": s, "phone": s, "role": { "enum": ["leader", "member", "inspector"] }, "active": b,
            "plot_ids": ints, "created_at": s, "has_password": b, "locked_until": nullable("string"),
        })));
    out.insert(
        "IssuedToken".into(),
        object(
            &["token_id", "member_id", "token", "label"],
            json!({ "token_id": i, "member_id": i, "token": { "type": "string", "pattern": "^nguon_" }, "label": s }),
        ),
    );
    out.insert(
        "TokenInfo".into(),
        object(
            &["id", "member_id", "label", "created_at"],
            json!({ "id": i, "member_id": i, "label": s, "created_at": s, "revoked_at": nullable("string") }),
        ),
    );
    out.insert("Plot".into(), object(&["id", "cooperative_id", "name", "area", "area_display", "commune", "member_ids"], json!({
            "id": i, "cooperative_id": i, "name": s, "area": r("Quantity"), "area_display": s, "commune": s,
            "location": { "oneOf": [ { "type": "null" }, object(&["lat", "lon"], json!({ "lat": { "type": "number" }, "lon": { "type": "number" } })) ] },
            "growing_area_code": nullable("string"), "member_ids": ints,
        })));
    out.insert("Product".into(), object(&["id", "cooperative_id", "commodity", "name"], json!({
            "id": i, "cooperative_id": i, "commodity": s, "variety": nullable("string"), "gtin": nullable("string"), "name": s,
            "photo": nullable("string"), "shelf_life_days": nullable("integer"),
        })));
    out.insert("InputProduct".into(), object(&["id", "cooperative_id", "kind", "trade_name", "active_ingredients", "banned_ingredients"], json!({
            "id": i, "cooperative_id": i, "kind": { "enum": ["fertilizer", "pesticide"] }, "trade_name": s, "active_ingredients": strings,
            "registration_number": nullable("string"), "phi_days": nullable("integer"), "banned_ingredients": strings,
        })));
    out.insert(
        "LotLink".into(),
        object(
            &["lot_id", "lot_code", "quantity", "parent_head", "via_event_id"],
            json!({
                "lot_id": i, "lot_code": s, "quantity": r("Quantity"), "parent_head": s, "via_event_id": s,
            }),
        ),
    );
    out.insert("Lot".into(), object(&["id", "cooperative_id", "code", "product_id", "status", "created_at", "genesis", "head", "event_count", "plot_ids", "parents", "children"], json!({
            "id": i, "cooperative_id": i, "code": s, "product_id": i, "status": { "enum": ["growing", "harvested", "packed", "closed", "recalled"] },
            "initial_quantity": { "oneOf": [ { "type": "null" }, r("Quantity") ] }, "created_at": s,
            "genesis": { "type": "string", "pattern": "^[0-9a-f]{64}$" }, "head": { "type": "string", "pattern": "^[0-9a-f]{64}$" },
            "event_count": i, "plot_ids": ints, "parents": list("LotLink"), "children": list("LotLink"),
        })));
    out.insert("StoredEvent".into(), object(&["id", "seq", "occurred_at", "recorded_at", "actor", "body", "lot_code", "head"], json!({
            "id": { "type": "string", "format": "uuid" }, "seq": i, "occurred_at": { "type": "string", "format": "date-time" },
            "recorded_at": { "type": "string", "format": "date-time" }, "actor": i, "note": nullable("string"),
            "location": { "oneOf": [ { "type": "null" }, object(&["lat_micro", "lon_micro"], json!({ "lat_micro": i, "lon_micro": i })) ] },
            "photos": strings,
            "body": object(&["type"], json!({ "type": { "enum": ["seeding", "fertilizing", "spraying", "irrigation", "observation", "harvest", "packing", "merging", "shipping", "receiving", "correction", "recall", "close", "alteration_acknowledged", "override"] } })),
            "lot_code": s, "head": { "type": "string", "pattern": "^[0-9a-f]{64}$" },
        })));
    out.insert(
        "AppendOutcome".into(),
        object(
            &["outcome", "event"],
            json!({ "outcome": { "enum": ["created", "existing"] }, "event": r("StoredEvent") }),
        ),
    );
    out.insert(
        "BatchResponse".into(),
        object(&["events"], json!({ "events": list("AppendOutcome") })),
    );
    out.insert("ChainStatus".into(), json!({ "oneOf": [
            object(&["status", "head", "events"], json!({ "status": { "const": "intact" }, "head": s, "events": i })),
            object(&["status", "at_seq", "reason"], json!({ "status": { "const": "altered" }, "at_seq": i, "event_id": nullable("string"), "reason": s })),
        ] }));
    out.insert("LotHistory".into(), object(&["lot", "available", "events", "chain"], json!({ "lot": r("Lot"), "available": list("Quantity"), "events": list("StoredEvent"), "chain": r("ChainStatus") })));
    out.insert(
        "Genealogy".into(),
        object(
            &["lot_code", "parents", "children"],
            json!({ "lot_code": s, "parents": list("LotLink"), "children": list("LotLink") }),
        ),
    );
    out.insert("BatchRecord".into(), batch_record);
    out.insert("LabelBatch".into(), object(&["signed", "labels"], json!({
            "signed": object(&["record", "serials", "public_key", "signature"], json!({ "record": r("BatchRecord"), "serials": strings, "public_key": s, "signature": s })),
            "labels": { "type": "array", "items": object(&["serial", "position", "url"], json!({ "serial": s, "position": i, "url": s })) },
        })));
    out.insert(
        "CooperativeKey".into(),
        object(
            &["key_id", "public_key", "algorithm", "created_at"],
            json!({ "key_id": s, "public_key": s, "algorithm": s, "created_at": s }),
        ),
    );
    out.insert("LabelResolution".into(), object(&["verification", "serial", "url", "digest", "scan_count", "batch", "lot"], json!({
            "verification": { "enum": ["verified", "altered"] }, "serial": s, "url": s, "digest": s, "scan_count": i,
            "first_scanned_at": nullable("string"), "batch": r("BatchRecord"), "signature": s, "public_key": s, "lot": r("Lot"),
        })));
    out.insert("Certificate".into(), object(&["id", "cooperative_id", "scheme", "number", "body", "valid_from", "valid_to"], json!({
            "id": i, "cooperative_id": i, "product_id": nullable("integer"), "scheme": { "enum": ["vietgap", "globalgap", "organic", "ocop", "other"] },
            "number": s, "body": s, "scope": nullable("string"), "valid_from": { "type": "string", "format": "date" },
            "valid_to": { "type": "string", "format": "date" }, "scan": nullable("string"),
        })));
    out.insert(
        "PhotoStored".into(),
        object(
            &["hash", "card", "full"],
            json!({ "hash": { "type": "string", "pattern": "^[0-9a-f]{64}$" }, "card": s, "full": s }),
        ),
    );
    out.insert("ListingLot".into(), object(&["code", "product_id", "status", "recalled", "held", "moved", "units", "labelled_packs"], json!({
            "code": s, "product_id": i, "status": s, "recalled": b, "held": s, "moved": s, "units": i, "labelled_packs": list("Quantity"),
        })));
    out.insert(
        "Listing".into(),
        json!({ "type": "object", "required": listing_required, "properties": listing_props }),
    );
    out.insert(
        "ListingDetail".into(),
        json!({ "type": "object", "required": detail_required, "properties": detail_props }),
    );
    out.insert("StockMovement".into(), object(&["movement_id", "kind", "units", "lot_code", "quantity", "recorded_at"], json!({
            "movement_id": s, "kind": { "enum": ["sale", "write_off"] }, "units": i, "lot_code": s, "quantity": r("Quantity"),
            "note": nullable("string"), "recorded_at": s, "recorded_by": s,
        })));
    out.insert("Feeds".into(), object(&["google", "meta", "catalog", "missing"], json!({
            "google": s, "meta": s, "catalog": s,
            "missing": { "type": "array", "items": object(&["id", "channel", "attribute"], json!({ "id": s, "channel": s, "attribute": s })) },
        })));
    out.insert("EPCISDocument".into(), object(&["@context", "type", "schemaVersion", "creationDate", "epcisBody"], json!({
            "@context": {}, "type": { "const": "EPCISDocument" }, "schemaVersion": { "const": "2.0" }, "creationDate": s,
            "epcisHeader": { "type": "object" },
            "epcisBody": object(&["eventList"], json!({ "eventList": { "type": "array", "items": { "type": "object" } } })),
        })));
    out.insert("ImportReport".into(), object(&["lots_created", "events_added", "events_existing", "registry_added", "photos_left_out"], json!({
            "lots_created": strings, "events_added": i, "events_existing": i, "registry_added": strings, "photos_left_out": i,
        })));
    out
}

/// The success answer of an operation: status codes and content (media type → schema).
fn success(method: &str, path: &str) -> Option<(Vec<u16>, &'static str, Value)> {
    let json = "application/json";
    let binary = json!({ "type": "string", "format": "binary" });
    let text = json!({ "type": "string" });
    let p = path.trim_start_matches("/api/v1");
    Some(match (method, p) {
        ("get", "/me") => (vec![200], json, r("Principal")),
        ("get", "/cooperatives/{coop_id}") | ("put", "/cooperatives/{coop_id}/profile") => {
            (vec![200], json, r("Cooperative"))
        }
        ("get", "/cooperatives/{coop_id}/members") => (vec![200], json, list("Member")),
        ("post", "/cooperatives/{coop_id}/members") => (vec![201], json, r("Member")),
        ("post", "/cooperatives/{coop_id}/members/{member_id}/tokens") => (vec![201], json, r("IssuedToken")),
        ("post", "/cooperatives/{coop_id}/tokens/{token_id}/revoke") => (vec![200], json, r("TokenInfo")),
        ("get", "/cooperatives/{coop_id}/plots") => (vec![200], json, list("Plot")),
        ("post", "/cooperatives/{coop_id}/plots") => (vec![201], json, r("Plot")),
        ("post", "/cooperatives/{coop_id}/plots/{plot_id}/members") => (vec![200], json, r("Plot")),
        ("get", "/cooperatives/{coop_id}/products") => (vec![200], json, list("Product")),
        ("post", "/cooperatives/{coop_id}/products") => (vec![201], json, r("Product")),
        ("put", "/cooperatives/{coop_id}/products/{product_id}/shelf-life")
        | ("put", "/cooperatives/{coop_id}/products/{product_id}/photo") => (vec![200], json, r("Product")),
        ("get", "/cooperatives/{coop_id}/input-products") => (vec![200], json, list("InputProduct")),
        ("post", "/cooperatives/{coop_id}/input-products") => (vec![201], json, r("InputProduct")),
        ("get", "/cooperatives/{coop_id}/lots") => (vec![200], json, list("Lot")),
        ("post", "/cooperatives/{coop_id}/lots") | ("post", "/cooperatives/{coop_id}/merges") => {
            (vec![201], json, r("Lot"))
        }
        ("get", "/cooperatives/{coop_id}/lots/{code}") => (vec![200], json, r("Lot")),
        ("get", "/cooperatives/{coop_id}/lots/{code}/events") => (vec![200], json, list("StoredEvent")),
        ("post", "/cooperatives/{coop_id}/lots/{code}/acknowledge-alteration") => (vec![201], json, r("StoredEvent")),
        ("post", "/cooperatives/{coop_id}/lots/{code}/events") => (vec![201, 200], json, r("AppendOutcome")),
        ("post", "/cooperatives/{coop_id}/events/batch") => (vec![201, 200], json, r("BatchResponse")),
        ("get", "/cooperatives/{coop_id}/lots/{code}/history") => (vec![200], json, r("LotHistory")),
        ("get", "/cooperatives/{coop_id}/lots/{code}/genealogy") => (vec![200], json, r("Genealogy")),
        ("post", "/cooperatives/{coop_id}/lots/{code}/labels") => (vec![201], json, r("LabelBatch")),
        ("get", "/cooperatives/{coop_id}/lots/{code}/labels") => (vec![200], json, list("BatchRecord")),
        ("get", "/cooperatives/{coop_id}/label-batches/{batch_id}") => (vec![200], json, r("LabelBatch")),
        ("get", "/cooperatives/{coop_id}/label-batches/{batch_id}/sheet.pdf")
        | ("get", "/cooperatives/{coop_id}/lots/{code}/diary.pdf") => (vec![200], "application/pdf", binary),
        ("get", "/cooperatives/{coop_id}/label-batches/{batch_id}/labels.zip") => {
            (vec![200], "application/zip", binary)
        }
        ("get", "/cooperatives/{coop_id}/keys") => (vec![200], json, list("CooperativeKey")),
        ("get", "/labels/{serial}") => (vec![200], json, r("LabelResolution")),
        ("get", "/cooperatives/{coop_id}/certificates") => (vec![200], json, list("Certificate")),
        ("post", "/cooperatives/{coop_id}/certificates") => (vec![201], json, r("Certificate")),
        ("put", "/cooperatives/{coop_id}/certificates/{certificate_id}/scan") => (vec![200], json, r("Certificate")),
        ("post", "/cooperatives/{coop_id}/photos") => (vec![201], json, r("PhotoStored")),
        ("get", "/cooperatives/{coop_id}/listings") => (vec![200], json, list("Listing")),
        ("post", "/cooperatives/{coop_id}/listings") => (vec![201], json, r("Listing")),
        ("get", "/cooperatives/{coop_id}/listings/{listing_id}") => (vec![200], json, r("ListingDetail")),
        ("put", "/cooperatives/{coop_id}/listings/{listing_id}")
        | ("put", "/cooperatives/{coop_id}/listings/{listing_id}/status") => (vec![200], json, r("Listing")),
        ("post", "/cooperatives/{coop_id}/listings/{listing_id}/movements") => {
            (vec![201, 200], json, list("StockMovement"))
        }
        ("get", "/cooperatives/{coop_id}/feeds") | ("post", "/cooperatives/{coop_id}/feeds/rotate") => {
            (vec![200], json, r("Feeds"))
        }
        ("get", "/cooperatives/{coop_id}/lots/{code}/epcis") | ("get", "/cooperatives/{coop_id}/epcis") => {
            (vec![200], "application/ld+json", r("EPCISDocument"))
        }
        ("post", "/cooperatives/{coop_id}/epcis") => (vec![200], json, r("ImportReport")),
        ("get", "/cooperatives/{coop_id}/lots/{code}/trace.xlsx") => (
            vec![200],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            binary,
        ),
        ("get", "/cooperatives/{coop_id}/lots/{code}/trace.csv")
        | ("get", "/cooperatives/{coop_id}/lots/{code}/diary.csv") => (vec![200], "text/csv", text),
        _ => return None,
    })
}

const REASONS: [(u16, &str); 9] = [
    (
        400,
        "The request cannot be read: malformed JSON or a malformed path parameter",
    ),
    (401, "No valid bearer token"),
    (403, "Not allowed for this role, or another cooperative's data"),
    (404, "No such item in this cooperative"),
    (
        409,
        "Conflicts with what is stored (a code or id already used, an edit from an old version)",
    ),
    (413, "The request body is too large"),
    (415, "The body is not of the content type this operation reads"),
    (
        422,
        "A field is invalid or breaks a rule; every problem is listed with its field",
    ),
    (503, "Something the server needs is missing (the label font)"),
];

/// Which error statuses an operation can answer with.
fn errors(method: &str, path: &str, operation: &Value) -> Vec<u16> {
    let p = path.trim_start_matches("/api/v1");
    let secured = operation.get("security").is_some();
    let has_body = operation.get("requestBody").is_some() || matches!(method, "post" | "put");
    let binary_upload = p.ends_with("/photos") || p.ends_with("/photo") || p.ends_with("/scan");
    let params = operation
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let path_params = params.iter().filter(|param| param["in"] == "path").count();
    let query_params = params.iter().any(|param| param["in"] == "query");
    let mut out = Vec::new();
    if path_params > 0 || has_body || query_params {
        out.push(400);
    }
    if secured {
        out.extend([401, 403]);
    }
    if path_params > 1 || p == "/labels/{serial}" || (path_params == 1 && !p.starts_with("/cooperatives/{coop_id}")) {
        out.push(404);
    }
    if has_body && !binary_upload && method != "get" {
        out.push(409);
    }
    if has_body {
        out.extend([413, 415]);
    }
    if has_body || query_params || path_params > 1 {
        out.push(422);
    }
    if p.ends_with("sheet.pdf") || p.ends_with("diary.pdf") {
        out.push(503);
    }
    out
}

/// Rewrites the generated document: component schemas, every operation's success content and
/// error responses, binary request bodies as binary.
pub fn apply(document: &mut Value) {
    let section = document
        .as_object_mut()
        .map(|d| d.entry("components").or_insert_with(|| json!({})));
    if let Some(section) = section {
        let schemas = section
            .as_object_mut()
            .map(|c| c.entry("schemas").or_insert_with(|| json!({})));
        if let Some(Value::Object(schemas)) = schemas {
            schemas.extend(components());
        }
    }
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, operation) in item.iter_mut() {
            let error_statuses = errors(method, path, operation);
            let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            responses
                .retain(|status, _| !status.starts_with('2') && !status.starts_with('4') && !status.starts_with('5'));
            if let Some((statuses, media, schema)) = success(method, path) {
                for status in statuses {
                    responses.insert(
                        status.to_string(),
                        json!({ "description": if status == 200 { "OK" } else { "Created" }, "content": { media: { "schema": schema.clone() } } }),
                    );
                }
            }
            for status in error_statuses {
                let description = REASONS.iter().find(|(s, _)| *s == status).map_or("Error", |(_, d)| *d);
                responses.insert(
                    status.to_string(),
                    json!({ "description": description, "content": { "application/json": { "schema": r("Error") } } }),
                );
            }
            if path == "/api/v1/labels/{serial}" {
                // A serial nobody issued is an answer for a scanning app, not an error.
                responses.insert(
                    "404".into(),
                    json!({ "description": "No label has this serial", "content": { "application/json": { "schema":
                        object(&["verification"], json!({ "verification": { "const": "unknown" } })) } } }),
                );
            }
            let upload = path.ends_with("/photos") || path.ends_with("/photo") || path.ends_with("/scan");
            if upload {
                let binary = json!({ "schema": { "type": "string", "format": "binary" } });
                operation["requestBody"] = json!({
                    "description": "The image's bytes (JPEG, PNG or WebP), up to 12 MB",
                    "required": true,
                    "content": { "image/jpeg": binary, "image/png": binary, "image/webp": binary },
                });
            }
        }
    }
}
