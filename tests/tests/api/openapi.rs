//! The OpenAPI document is generated from the handlers and covers every route.

use reqwest::{Method, StatusCode};

use crate::authz::ROUTES;
use crate::helpers::spawn_empty;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_is_3_1_and_describes_every_route() {
    let app = spawn_empty("sqlite").await;
    let (status, doc) = app.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().unwrap_or_default().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    for route in ROUTES {
        let path = format!("/api/v1{}", route.template);
        let operation = &paths
            .get(&path)
            .unwrap_or_else(|| panic!("{path} missing from OpenAPI"))[route.method.as_str().to_lowercase()];
        assert!(operation.is_object(), "{} {path} missing from OpenAPI", route.method);
        assert!(
            operation["responses"].is_object(),
            "{} {path} has no responses",
            route.method
        );
    }
    let documented: usize = paths.values().map(|p| p.as_object().map_or(0, |o| o.len())).sum();
    assert_eq!(
        documented,
        ROUTES.len(),
        "every documented operation is walked by the authorization test"
    );
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

/// The document's schema for one response, as a JSON Schema that can resolve the document's
/// `#/components/...` references.
fn response_schema(
    doc: &serde_json::Value,
    response: &serde_json::Value,
    media: &str,
) -> Option<jsonschema::Validator> {
    let content = response["content"].as_object()?;
    let (_, entry) = content.iter().find(|(m, _)| media.starts_with(m.as_str()))?;
    let mut schema = entry["schema"].clone();
    schema["components"] = doc["components"].clone();
    Some(
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("a schema that compiles"),
    )
}

struct Call {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
}

async fn send(
    app: &crate::helpers::TestApp,
    method: &Method,
    path: &str,
    token: Option<&str>,
    body: Option<(Vec<u8>, &str)>,
) -> Call {
    let mut request = app.client.request(method.clone(), format!("{}{path}", app.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some((bytes, content_type)) = body {
        request = request.header("content-type", content_type).body(bytes);
    }
    let response = request.send().await.expect("sent");
    Call {
        status: response.status(),
        content_type: response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

/// Checks an answer against the operation's documented responses: the status is one of them,
/// and the body matches its schema (JSON) or its media type (files).
fn conforms(doc: &serde_json::Value, operation: &serde_json::Value, what: &str, call: &Call) {
    let status = call.status.as_u16().to_string();
    let response = &operation["responses"][&status];
    assert!(
        response.is_object(),
        "{what}: answered {status}, which the document does not list ({:?}): {}",
        operation["responses"].as_object().map(|r| r.keys().collect::<Vec<_>>()),
        String::from_utf8_lossy(&call.body)
    );
    let media = call
        .content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let documented: Vec<&String> = response["content"]
        .as_object()
        .map(|c| c.keys().collect())
        .unwrap_or_default();
    assert!(
        documented.iter().any(|m| media == **m),
        "{what}: {status} came as {media}, documented {documented:?}"
    );
    if media.ends_with("json") {
        let body: serde_json::Value = serde_json::from_slice(&call.body).expect("a JSON body");
        let validator = response_schema(doc, response, &media).expect("a documented schema");
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .take(5)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: {status} body does not match the document: {errors:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_with_the_statuses_and_bodies_the_document_gives() {
    use crate::authz::Who;
    for backend in crate::helpers::backends().await {
        let app = crate::helpers::spawn_demo(backend).await;
        let (_, doc) = app.call(Method::GET, "/api/v1/openapi.json", None, None).await;
        let veg = app.veg().clone();
        let foreign = app.pomelo().leader.clone();
        let leader = app
            .store
            .authenticate(&veg.leader)
            .await
            .expect("auth")
            .expect("leader");
        let assigned = app
            .store
            .authenticate(&veg.member)
            .await
            .expect("auth")
            .expect("member");
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
            .expect("labels");
        let (status, listing) = app
            .post(
                &format!("/api/v1/cooperatives/{}/listings", veg.id),
                &veg.leader,
                serde_json::json!({ "title_vi": "Cải ngọt túi 1 kg", "price_vnd": "30.000", "pack_size": "1 kg", "lots": ["CN-2609-01-B"] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{listing}");
        let plot = app.store.plots(veg.id).await.expect("plots")[0].id;
        let product = app.store.products(veg.id).await.expect("products")[0].id;
        // A lot whose stored diary is edited by hand, for the acknowledgement route.
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{}/lots", veg.id),
                &veg.leader,
                serde_json::json!({ "code": "OAS-ALTERED", "product_id": product, "plot_ids": [plot] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{}/lots/OAS-ALTERED/events", veg.id),
                &veg.leader,
                serde_json::json!({ "id": crate::helpers::new_id(), "type": "observation", "occurred_at": crate::helpers::days_ago(1), "subject": "Sâu" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        {
            use sea_orm::ConnectionTrait;
            app.store
                .connection()
                .execute_unprepared("UPDATE events SET note = 'sửa tay' WHERE lot_id = (SELECT id FROM lots WHERE code = 'OAS-ALTERED')")
                .await
                .expect("tamper");
        }
        let certificate = app.store.certificates(veg.id).await.expect("certificates")[0].id;
        let photo = crate::helpers::png_photo(64, 48);
        let token_for = |who: Who| match who {
            Who::Leader => veg.leader.clone(),
            Who::Member => veg.member.clone(),
            Who::OtherMember => veg.other_member.clone(),
            Who::Inspector => veg.inspector.clone().expect("inspector"),
        };
        for route in ROUTES {
            let spare = app
                .store
                .issue_token(assigned.member_id, "spare")
                .await
                .expect("spare")
                .token_id;
            let fill = |template: &str, missing: bool| {
                let id = |real: String| if missing { "999999".to_owned() } else { real };
                template
                    .replace(
                        "{batch_id}",
                        if missing {
                            "no-such-batch"
                        } else {
                            &batch.signed.record.batch_id
                        },
                    )
                    .replace(
                        "{serial}",
                        if missing {
                            "7ZZZZZZZZZZZZZZZ"
                        } else {
                            &batch.labels[0].serial
                        },
                    )
                    .replace("{coop_id}", &veg.id.to_string())
                    .replace("{member_id}", &id(assigned.member_id.to_string()))
                    .replace("{token_id}", &id(spare.to_string()))
                    .replace("{plot_id}", &id(plot.to_string()))
                    .replace("{product_id}", &id(product.to_string()))
                    .replace("{certificate_id}", &id(certificate.to_string()))
                    .replace("{listing_id}", &id(listing["id"].to_string()))
                    .replace(
                        "{code}",
                        if missing {
                            "NO-SUCH-LOT"
                        } else if template.ends_with("/acknowledge-alteration") {
                            "OAS-ALTERED"
                        } else {
                            "CN-2609-01"
                        },
                    )
            };
            let path = format!("/api/v1{}", fill(route.template, false));
            let operation = &doc["paths"][format!("/api/v1{}", route.template)][route.method.as_str().to_lowercase()];
            let what = |case: &str| format!("[{backend}] {} {path} ({case})", route.method);
            let body = || {
                if route.photo {
                    Some((photo.clone(), "image/png"))
                } else {
                    (route.body)().map(|b| (b.to_string().into_bytes(), "application/json"))
                }
            };
            let caller = if route.allowed.contains(&Who::Leader) {
                Who::Leader
            } else {
                route.allowed[0]
            };
            let ok = send(&app, &route.method, &path, Some(&token_for(caller)), body()).await;
            assert!(
                ok.status.is_success(),
                "{}: {}",
                what("allowed"),
                String::from_utf8_lossy(&ok.body)
            );
            conforms(&doc, operation, &what("allowed"), &ok);
            if !route.public {
                conforms(
                    &doc,
                    operation,
                    &what("anonymous"),
                    &send(&app, &route.method, &path, None, body()).await,
                );
            }
            if route.cooperative_scoped {
                conforms(
                    &doc,
                    operation,
                    &what("other cooperative"),
                    &send(&app, &route.method, &path, Some(&foreign), body()).await,
                );
            }
            if route.template.matches('{').count() > 1 || route.template.starts_with("/labels/") {
                let missing = format!("/api/v1{}", fill(route.template, true));
                let call = send(&app, &route.method, &missing, Some(&token_for(caller)), body()).await;
                assert!(!call.status.is_server_error(), "{}", what("missing"));
                conforms(&doc, operation, &what("missing item"), &call);
            }
            if route.method != Method::GET && !route.photo {
                let token = token_for(caller);
                for (bytes, content_type, case) in [
                    (b"{\"broken".to_vec(), "application/json", "malformed JSON"),
                    (b"{}".to_vec(), "application/json", "an empty object"),
                    (
                        b"a=b".to_vec(),
                        "application/x-www-form-urlencoded",
                        "another content type",
                    ),
                ] {
                    let call = send(&app, &route.method, &path, Some(&token), Some((bytes, content_type))).await;
                    assert!(!call.status.is_server_error(), "{}", what(case));
                    conforms(&doc, operation, &what(case), &call);
                }
            }
            if route.photo {
                let call = send(
                    &app,
                    &route.method,
                    &path,
                    Some(&token_for(caller)),
                    Some((b"not an image".to_vec(), "image/png")),
                )
                .await;
                conforms(&doc, operation, &what("not an image"), &call);
            }
        }
        // Binary uploads are documented as binary, and no success schema is left open ({}).
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("operations") {
                let successes: Vec<&serde_json::Value> = operation["responses"]
                    .as_object()
                    .expect("responses")
                    .iter()
                    .filter(|(status, _)| status.starts_with('2'))
                    .map(|(_, r)| r)
                    .collect();
                assert!(!successes.is_empty(), "{method} {path} has no success response");
                for response in successes {
                    for (media, entry) in response["content"].as_object().expect("content") {
                        assert_ne!(
                            entry["schema"],
                            serde_json::json!({}),
                            "{method} {path} {media}: an open schema"
                        );
                    }
                }
                if path.ends_with("/photos") || path.ends_with("/photo") || path.ends_with("/scan") {
                    assert_eq!(
                        operation["requestBody"]["content"]["image/jpeg"]["schema"]["format"],
                        "binary"
                    );
                }
                for status in ["401", "403"] {
                    if operation.get("security").is_some() {
                        assert_eq!(
                            operation["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                            "#/components/schemas/Error",
                            "{method} {path} {status}"
                        );
                    }
                }
            }
        }
    }
}
