//! A phone's browser for the app's HTTP tests: its own cookie jar, redirects not followed so
//! they can be checked, forms posted as a browser posts them.

use reqwest::multipart::{Form, Part};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};

use crate::helpers::TestApp;

/// Every demo member's password.
pub const PASSWORD: &str = nguon::demo::DEMO_PASSWORD;

/// Status, body and `Location` of an answer.
pub type Answer = (StatusCode, String, Option<String>);

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, response.text().await.expect("body"), location)
}

/// A phone's browser.
pub struct Phone {
    pub client: Client,
    pub base: String,
}

impl Phone {
    pub fn new(app: &TestApp) -> Self {
        Self {
            client: Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .expect("client"),
            base: app.base.clone(),
        }
    }

    /// A phone signed in as the cooperative's leader.
    pub async fn leader_of(app: &TestApp, coop: i64) -> Self {
        let phone = Self::new(app);
        let members = app.store.members(coop).await.expect("members");
        let leader = members
            .iter()
            .find(|m| m.role == farm_log::Role::Leader)
            .expect("a leader");
        let (status, _, _) = phone.sign_in(&leader.phone, PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "the leader signs in");
        phone
    }

    pub async fn get(&self, path: &str) -> Answer {
        answer(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .expect("sent"),
        )
        .await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        answer(
            self.client
                .post(format!("{}{path}", self.base))
                .form(form)
                .send()
                .await
                .expect("sent"),
        )
        .await
    }

    /// Posts a multipart form with text fields and `(field, png bytes)` photos.
    pub async fn post_multipart(&self, path: &str, fields: &[(&str, &str)], photos: Vec<(&str, Vec<u8>)>) -> Answer {
        let mut form = Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        for (name, bytes) in photos {
            form = form.part(
                name.to_owned(),
                Part::bytes(bytes)
                    .file_name("IMG_0007.png")
                    .mime_str("image/png")
                    .expect("mime"),
            );
        }
        answer(
            self.client
                .post(format!("{}{path}", self.base))
                .multipart(form)
                .send()
                .await
                .expect("sent"),
        )
        .await
    }

    /// The CSRF token of the page at `path`.
    pub async fn csrf(&self, path: &str) -> String {
        let (status, page, _) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        value_of(&page, "csrf").expect("a csrf field")
    }

    pub async fn sign_in(&self, phone: &str, password: &str) -> Answer {
        let csrf = self.csrf("/app/dang-nhap").await;
        self.post(
            "/app/dang-nhap",
            &[("csrf", &csrf), ("phone", phone), ("password", password)],
        )
        .await
    }
}

/// The `value` of the first input named `name`.
pub fn value_of(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\""))?;
    let rest = &page[at..];
    let value = rest.find("value=\"")? + 7;
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].to_owned())
}
