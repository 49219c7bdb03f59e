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
