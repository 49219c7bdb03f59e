//! Text farmers type (an observation's subject and note) is shown as text: markup in it never
//! becomes elements and never runs, on the lot page or the label page.

use serde_json::{Value, json};
use tests::browser::Browser;

use crate::support::{PACKED_LOT, append, issue_label, lot_page, start};

const PAYLOAD: &str = r#"<script>window.__xss=1</script><img src=x onerror="window.__xss=1">"#;

async fn assert_shown_as_text(browser: &Browser) {
    let notes = browser.find_all("p.note").await;
    let mut texts = Vec::new();
    for note in &notes {
        texts.push(note.text().await.expect("note text"));
    }
    assert!(
        texts.iter().any(|t| t.contains(PAYLOAD)),
        "the note's literal text is on the page: {texts:?}"
    );
    assert!(browser.text().await.contains(PAYLOAD), "the literal text is visible");
    assert_eq!(
        browser.eval("return typeof window.__xss;").await,
        Value::from("undefined"),
        "the payload ran"
    );
    assert!(
        browser
            .find_all("p.note script, p.note img, img[src='x']")
            .await
            .is_empty(),
        "the note became markup"
    );
    // The pages carry no script at all; data blocks (JSON-LD) must stay data, whole and closed.
    assert_eq!(
        browser
            .eval(
                r#"return [...document.scripts].filter(s => s.type !== "application/ld+json" || !(() => {
                    try { JSON.parse(s.textContent); return true; } catch (e) { return false; }
                })()).length;"#
            )
            .await,
        json!(0),
        "a script element other than whole JSON-LD data is on the page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_in_an_event_note_shows_as_text_and_never_runs() {
    let Some((browser, app)) = start("a_script_in_an_event_note_shows_as_text_and_never_runs").await else {
        return;
    };
    append(
        &app,
        PACKED_LOT,
        json!({ "type": "observation", "occurred_at": "2026-10-30T08:00:00+07:00", "subject": PAYLOAD, "note": PAYLOAD }),
    )
    .await;
    let label = issue_label(&app, PACKED_LOT).await;

    browser.open(&lot_page(&app, PACKED_LOT)).await;
    assert_shown_as_text(&browser).await;
    browser.open(&label.url).await;
    assert_shown_as_text(&browser).await;
    browser.screenshot().await;
    browser.close().await;
}
