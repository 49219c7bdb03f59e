//! Every screen and form of the cooperative's app × every role × the other cooperative: who
//! gets the page, who is refused (403), and that nobody signed out gets anything but the way to
//! the sign-in page. Allowed posts are sent with a missing field so they change nothing.

use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};

use crate::helpers::{backends, spawn_demo};

const PASSWORD: &str = nguon::demo::DEMO_PASSWORD;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Leader,
    Inspector,
    /// A member assigned to the lots' plot.
    Assigned,
    /// A member of the same cooperative on other plots.
    Other,
    ForeignLeader,
    ForeignMember,
}

const EVERYONE: [Who; 6] = [
    Who::Leader,
    Who::Inspector,
    Who::Assigned,
    Who::Other,
    Who::ForeignLeader,
    Who::ForeignMember,
];

struct Session {
    who: Who,
    client: Client,
    csrf: String,
}

fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

fn token_in(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[at..at + page[at..].find('"').expect("end")].to_owned()
}

async fn sign_in(base: &str, who: Who, phone: &str) -> Session {
    let client = client();
    let page = client
        .get(format!("{base}/app/dang-nhap"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("page");
    let csrf = token_in(&page);
    let response = client
        .post(format!("{base}/app/dang-nhap"))
        .form(&[("csrf", csrf.as_str()), ("phone", phone), ("password", PASSWORD)])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{who:?} signs in");
    let page = client
        .get(format!("{base}/app"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("page");
    Session {
        who,
        csrf: token_in(&page),
        client,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_app_screen_and_form_answers_each_role_and_the_other_cooperative_as_it_should() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().id;
        let members = app.store.members(veg).await.expect("members");
        let first_lot = app
            .store
            .lots(veg, None)
            .await
            .expect("lots")
            .into_iter()
            .min_by_key(|l| l.id)
            .expect("a lot");
        let role = |r: farm_log::Role| members.iter().find(|m| m.role == r).expect("role").clone();
        let assigned = members
            .iter()
            .find(|m| m.role == farm_log::Role::Member && m.plot_ids.iter().any(|p| first_lot.plot_ids.contains(p)))
            .expect("assigned")
            .clone();
        let other = members
            .iter()
            .find(|m| m.role == farm_log::Role::Member && !m.plot_ids.iter().any(|p| first_lot.plot_ids.contains(p)))
            .expect("other")
            .clone();
        let pomelo = app.store.members(app.pomelo().id).await.expect("members");
        let foreign_leader = pomelo
            .iter()
            .find(|m| m.role == farm_log::Role::Leader)
            .expect("leader");
        let foreign_member = pomelo
            .iter()
            .find(|m| m.role == farm_log::Role::Member)
            .expect("member");
        let growing = app.growing_lot("CN-2611-40", assigned.id).await;
        let packed = "CN-2609-01-A";

        let mut sessions = vec![];
        for (who, phone) in [
            (Who::Leader, role(farm_log::Role::Leader).phone),
            (Who::Inspector, role(farm_log::Role::Inspector).phone),
            (Who::Assigned, assigned.phone.clone()),
            (Who::Other, other.phone.clone()),
            (Who::ForeignLeader, foreign_leader.phone.clone()),
            (Who::ForeignMember, foreign_member.phone.clone()),
        ] {
            sessions.push(sign_in(&app.base, who, &phone).await);
        }
        // A label batch of the packed lot, issued by the leader through the app.
        let leader = &sessions[0];
        let response = leader
            .client
            .post(format!("{}/app/lo/{packed}/tem", app.base))
            .form(&[("csrf", leader.csrf.as_str()), ("count", "2"), ("pack_size", "1 kg")])
            .send()
            .await
            .expect("sent");
        let batch = response.headers()["location"]
            .to_str()
            .expect("location")
            .rsplit('/')
            .next()
            .expect("id")
            .to_owned();

        // A listing of the packed lot, made through the API by the leader.
        let (status, listed) = app
            .post(
                &format!("/api/v1/cooperatives/{veg}/listings"),
                &app.veg().leader,
                serde_json::json!({
                    "title_vi": "Cải ngọt túi 5 kg",
                    "price_vnd": "45000",
                    "pack_size": "5 kg",
                    "lots": [packed],
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {listed}");
        let listing = listed["id"].as_i64().expect("listing id");

        // An entry of the assigned member on the first lot (the demo farmer's, logged today).
        let entry = app
            .store
            .history(veg, &first_lot.code)
            .await
            .expect("history")
            .events
            .iter()
            .find(|e| e.event.actor == assigned.id && e.event.body.kind() == farm_log::EventKind::Observation)
            .expect("an observation of the assigned member")
            .event
            .id;
        let first_code = first_lot.code.clone();
        let input = app.input_id(veg, "Radiant").await;

        use Who::*;
        let only = |allowed: &'static [Who], yes: u16| {
            move |who: Who| {
                if allowed.contains(&who) { yes } else { 403 }
            }
        };
        type Expect = Box<dyn Fn(Who) -> u16>;
        /// Method, path, the form's fields besides the token, and the status each role gets.
        type Screen<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, Expect);
        let o = other.id;
        let screens: Vec<Screen> = vec![
            ("GET", "/app".into(), vec![], Box::new(|_| 200)),
            (
                "GET",
                format!("/app/lo/{growing}"),
                vec![],
                Box::new(only(&[Leader, Inspector, Assigned], 200)),
            ),
            (
                "GET",
                format!("/app/lo/{growing}/ghi/observation"),
                vec![],
                Box::new(only(&[Leader, Assigned], 200)),
            ),
            (
                "POST",
                format!("/app/lo/{growing}/ghi/observation"),
                vec![("subject", ""), ("occurred_at", "2026-11-20T07:00")],
                Box::new(only(&[Leader, Assigned], 422)),
            ),
            (
                "GET",
                format!("/app/lo/{growing}/nhat-ky.csv"),
                vec![],
                Box::new(only(&[Leader, Inspector, Assigned], 200)),
            ),
            (
                "GET",
                format!("/app/lo/{growing}/nhat-ky.pdf"),
                vec![],
                Box::new(only(&[Leader, Inspector, Assigned], 200)),
            ),
            (
                "GET",
                format!("/app/lo/{growing}/nhap-nhat-ky"),
                vec![],
                Box::new(only(&[Leader], 200)),
            ),
            (
                "POST",
                format!("/app/lo/{growing}/nhap-nhat-ky"),
                vec![("dry_run", "1")],
                Box::new(only(&[Leader], 422)),
            ),
            (
                "GET",
                "/app/lo-moi".into(),
                vec![],
                Box::new(only(&[Leader, ForeignLeader], 200)),
            ),
            (
                "POST",
                "/app/lo-moi".into(),
                vec![("code", "")],
                Box::new(only(&[Leader, ForeignLeader], 422)),
            ),
            (
                "POST",
                format!("/app/lo/{growing}/thu-hoi"),
                vec![("reason", "")],
                Box::new(only(&[Leader], 303)),
            ),
            (
                "GET",
                format!("/app/lo/{packed}/tem"),
                vec![],
                Box::new(only(&[Leader], 200)),
            ),
            (
                "POST",
                format!("/app/lo/{packed}/tem"),
                vec![("count", "")],
                Box::new(only(&[Leader], 422)),
            ),
            (
                "GET",
                format!("/app/lo/{packed}/tem/{batch}"),
                vec![],
                Box::new(only(&[Leader], 200)),
            ),
            (
                "GET",
                format!("/app/tem/{batch}/tem.pdf"),
                vec![],
                Box::new(only(&[Leader], 200)),
            ),
            (
                "GET",
                format!("/app/tem/{batch}/tem.zip"),
                vec![],
                Box::new(only(&[Leader], 200)),
            ),
            (
                "GET",
                "/app/thanh-vien".into(),
                vec![],
                Box::new(only(&[Leader, Inspector, ForeignLeader], 200)),
            ),
            (
                "POST",
                "/app/thanh-vien".into(),
                vec![("name", "")],
                Box::new(only(&[Leader, ForeignLeader], 422)),
            ),
            (
                "POST",
                format!("/app/thanh-vien/{o}/mat-khau"),
                vec![("password", "short")],
                Box::new(only(&[Leader], 422)),
            ),
            (
                "POST",
                format!("/app/thanh-vien/{o}/mo-khoa"),
                vec![],
                Box::new(only(&[Leader], 303)),
            ),
            (
                "POST",
                format!("/app/thanh-vien/{o}/thua"),
                vec![("plot_id", "none")],
                Box::new(only(&[Leader], 404)),
            ),
            (
                "POST",
                format!("/app/thanh-vien/{o}/trang-thai"),
                vec![("active", "true")],
                Box::new(only(&[Leader], 303)),
            ),
            ("GET", "/app/danh-muc/thua".into(), vec![], Box::new(|_| 200)),
            ("GET", "/app/danh-muc/chung-nhan".into(), vec![], Box::new(|_| 200)),
            (
                "POST",
                "/app/danh-muc/san-pham".into(),
                vec![("commodity", "")],
                Box::new(only(&[Leader, ForeignLeader], 422)),
            ),
            (
                "GET",
                "/app/ban-hang".into(),
                vec![],
                Box::new(only(&[Leader, Inspector, ForeignLeader], 200)),
            ),
            (
                "GET",
                "/app/ban-hang/moi".into(),
                vec![],
                Box::new(only(&[Leader, ForeignLeader], 200)),
            ),
            (
                "POST",
                "/app/ban-hang/moi".into(),
                vec![("title_vi", "")],
                Box::new(only(&[Leader, ForeignLeader], 422)),
            ),
            (
                "GET",
                format!("/app/ban-hang/{listing}"),
                vec![],
                Box::new(only(&[Leader, Inspector], 200)),
            ),
            (
                "GET",
                "/app/ban-hang/999999".into(),
                vec![],
                Box::new(only(&[Leader, Inspector, ForeignLeader], 404)),
            ),
            (
                "GET",
                format!("/app/ban-hang/{listing}/sua"),
                vec![],
                Box::new(only(&[Leader], 200)),
            ),
            (
                "POST",
                format!("/app/ban-hang/{listing}/sua"),
                vec![("title_vi", "")],
                Box::new(only(&[Leader], 422)),
            ),
            (
                "POST",
                format!("/app/ban-hang/{listing}/ghi-ban"),
                vec![("kind", "sale"), ("units", "")],
                Box::new(only(&[Leader], 422)),
            ),
            (
                "POST",
                format!("/app/ban-hang/{listing}/trang-thai"),
                vec![("status", "")],
                Box::new(only(&[Leader], 422)),
            ),
            (
                "POST",
                "/app/ban-hang/kenh/doi-duong-dan".into(),
                vec![],
                Box::new(only(&[Leader, ForeignLeader], 303)),
            ),
            (
                "GET",
                "/app/ban-hang/kenh/doi-duong-dan".into(),
                vec![],
                Box::new(only(&[Leader, ForeignLeader], 200)),
            ),
            ("GET", "/app/ngoai-tuyen.json".into(), vec![], Box::new(|_| 200)),
            (
                "GET",
                format!("/app/lo/{growing}/ghi/shipping"),
                vec![],
                Box::new(only(&[Leader], 200)),
            ),
            (
                "GET",
                format!("/app/lo/{packed}/dong-goi"),
                vec![],
                Box::new(only(&[Leader], 200)),
            ),
            (
                "POST",
                format!("/app/lo/{packed}/dong-goi"),
                vec![("count[0]", "")],
                Box::new(only(&[Leader], 422)),
            ),
            (
                "GET",
                "/app/gop-lo".into(),
                vec![],
                Box::new(only(&[Leader, ForeignLeader], 200)),
            ),
            (
                "POST",
                "/app/gop-lo".into(),
                vec![("output_code", "")],
                Box::new(only(&[Leader, ForeignLeader], 422)),
            ),
            (
                "GET",
                format!("/app/lo/{growing}/thu-hoi"),
                vec![],
                Box::new(only(&[Leader], 200)),
            ),
            (
                "GET",
                format!("/app/lo/{first_code}/sua/{entry}"),
                vec![],
                Box::new(only(&[Leader, Assigned], 200)),
            ),
            (
                "POST",
                format!("/app/lo/{first_code}/sua/{entry}"),
                vec![("reason", ""), ("subject", "")],
                Box::new(only(&[Leader, Assigned], 422)),
            ),
            (
                "GET",
                format!("/app/thanh-vien/{o}"),
                vec![],
                Box::new(only(&[Leader, Inspector], 200)),
            ),
            (
                "POST",
                format!("/app/thanh-vien/{o}/sua"),
                vec![("name", "")],
                Box::new(only(&[Leader], 422)),
            ),
            (
                "POST",
                format!("/app/thanh-vien/{o}/bo-thua"),
                vec![("plot_id", "none")],
                Box::new(only(&[Leader], 404)),
            ),
            (
                "GET",
                format!("/app/danh-muc/vat-tu/{input}"),
                vec![],
                Box::new(only(&[Leader], 200)),
            ),
            (
                "POST",
                format!("/app/danh-muc/vat-tu/{input}"),
                vec![("rate_low", "5")],
                Box::new(only(&[Leader], 422)),
            ),
            (
                "GET",
                "/app/tem/can-chinh.pdf?layout=40x30mm".into(),
                vec![],
                Box::new(only(&[Leader, ForeignLeader], 200)),
            ),
        ];
        let anonymous = client();
        let mut wrong = vec![];
        for (method, path, fields, expect) in &screens {
            for session in &sessions {
                let url = format!("{}{path}", app.base);
                let mut form: Vec<(&str, &str)> = vec![("csrf", session.csrf.as_str())];
                form.extend(fields.iter().copied());
                let response = match *method {
                    "GET" => session.client.get(&url).send().await,
                    _ => session.client.post(&url).form(&form).send().await,
                }
                .expect("sent");
                let want = expect(session.who);
                if response.status().as_u16() != want {
                    wrong.push(format!(
                        "{method} {path} as {:?}: {} (expected {want})",
                        session.who,
                        response.status()
                    ));
                }
            }
            let response = match *method {
                "GET" => anonymous.get(format!("{}{path}", app.base)).send().await,
                _ => anonymous.post(format!("{}{path}", app.base)).form(fields).send().await,
            }
            .expect("sent");
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if response.status() != StatusCode::SEE_OTHER || !location.starts_with("/app/dang-nhap") {
                wrong.push(format!(
                    "{method} {path} signed out: {} → {location}",
                    response.status()
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "[{backend}] {} wrong answers:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
        assert_eq!(EVERYONE.len(), sessions.len());
        // Nothing was stored by the refused or half-filled posts.
        assert!(
            app.store
                .history(veg, &growing)
                .await
                .expect("history")
                .events
                .is_empty(),
            "[{backend}]"
        );
        let versions = app.store.listing_versions(veg, listing).await.expect("versions");
        assert_eq!(versions.len(), 1, "[{backend}] the listing was not changed");
        let movements = app.store.stock_movements(veg, listing).await.expect("movements");
        assert!(movements.is_empty(), "[{backend}] nothing was sold");
    }
}
