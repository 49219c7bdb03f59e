//! axe-core finds nothing serious or critical on the public pages, in either language.

use crate::support::{PACKED_LOT, cooperative_page, issue_label, lot_page, start, with_query};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_label_lot_and_cooperative_pages_have_no_serious_accessibility_violations() {
    let Some((browser, app)) =
        start("the_label_lot_and_cooperative_pages_have_no_serious_accessibility_violations").await
    else {
        return;
    };
    let label = issue_label(&app, PACKED_LOT).await;
    for language in ["vi", "en"] {
        for page in [label.url.clone(), lot_page(&app, PACKED_LOT), cooperative_page(&app)] {
            browser.open(&with_query(&page, &format!("lang={language}"))).await;
            assert_eq!(crate::support::page_language(&browser).await, language, "{page}");
            browser.assert_accessible().await;
        }
    }
    browser.close().await;
}
