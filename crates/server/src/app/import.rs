//! Importing a diary the cooperative kept in Excel or CSV into one lot, from the leader's app:
//! `/app/lo/{code}/nhap-nhat-ky`. The file is read by the pure `diary::import`, every row
//! is checked against the lot's rules before anything is written, and every refused row is
//! listed with its line, its column and the reason; a valid file is written all at once.
//! Its words live in `web/i18n/import.{vi,en}.toml`.

use std::sync::LazyLock;

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use store::DiaryImportFailure;

use super::{AppMessages, Chrome, Ctx, Failure, PageError, Signed, refused};
use crate::access::leader_of;
use crate::web::i18n::{PageLang, fill};

/// The largest upload the screen accepts (the reader's own limit, and room for the form).
pub const UPLOAD_LIMIT: usize = diary::import::MAX_FILE_BYTES + 64 * 1024;

/// The screen's words in one language.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ImportMessages {
    pub title: String,
    pub intro: String,
    pub rules: String,
    pub all_or_nothing: String,
    pub file: String,
    pub check_only: String,
    pub submit: String,
    pub no_file: String,
    pub problems: String,
    pub col_line: String,
    pub col_column: String,
    pub col_reason: String,
    pub checked: String,
    pub done: String,
    pub back: String,
    pub uploading: String,
    pub reading: String,
    pub upload_failed: String,
}

fn load(name: &str, text: &str) -> ImportMessages {
    match toml::from_str(text) {
        Ok(messages) => messages,
        // Compiled in and parsed by a unit test: failing loudly at startup beats holes.
        Err(error) => panic!("web/i18n/{name}.toml is invalid: {error}"),
    }
}

static VI: LazyLock<ImportMessages> =
    LazyLock::new(|| load("import.vi", include_str!("../../../../web/i18n/import.vi.toml")));
static EN: LazyLock<ImportMessages> =
    LazyLock::new(|| load("import.en", include_str!("../../../../web/i18n/import.en.toml")));

fn words(lang: PageLang) -> &'static ImportMessages {
    match lang {
        PageLang::Vi => &VI,
        PageLang::En => &EN,
    }
}

struct Problem {
    line: usize,
    column: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "app/import.html")]
struct ImportPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    t: &'a ImportMessages,
    heading: String,
    action: String,
    back: String,
    summary: Option<String>,
    problems_heading: String,
    problems: Vec<Problem>,
    check_only: bool,
}

fn lot_path(code: &str) -> String {
    format!("/lo/{}", super::encode_component(code))
}

async fn page(
    ctx: &Ctx,
    code: &str,
    status: StatusCode,
    summary: Option<String>,
    problems: Vec<Problem>,
    check_only: bool,
) -> Result<Response, PageError> {
    let t = words(ctx.lang);
    let heading = fill(&t.title, &[("lot", code)]);
    let page = ImportPage {
        c: ctx.chrome(heading.clone()).await,
        m: ctx.m(),
        t,
        heading,
        action: ctx.href(&format!("{}/nhap-nhat-ky", lot_path(code))),
        back: ctx.href(&lot_path(code)),
        summary,
        problems_heading: fill(&t.problems, &[("n", &problems.len().to_string())]),
        problems,
        check_only,
    };
    Ok(ctx.page(status, page.render()))
}

fn leader(ctx: &Ctx) -> Result<store::Principal, PageError> {
    let principal = ctx.principal()?.clone();
    leader_of(&principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    Ok(principal)
}

/// `GET /app/lo/{code}/nhap-nhat-ky`: the upload form (leaders).
pub async fn form(Signed(ctx): Signed, Path(code): Path<String>) -> Result<Response, PageError> {
    leader(&ctx)?;
    let lot = super::farmer::own_lot(&ctx, &code).await?;
    page(&ctx, &lot.code, StatusCode::OK, None, Vec::new(), true).await
}

/// `POST /app/lo/{code}/nhap-nhat-ky`: checks the file and, unless only checking, writes it.
pub async fn submit(
    Signed(ctx): Signed,
    Path(code): Path<String>,
    super::Posted { fields, files }: super::Posted,
) -> Result<Response, PageError> {
    ctx.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or_default())?;
    let principal = leader(&ctx)?;
    let lot = super::farmer::own_lot(&ctx, &code).await?;
    let t = words(ctx.lang);
    let check_only = fields.get("dry_run").is_some_and(|v| v == "1" || v == "on");
    let Some(bytes) = files.get("file") else {
        let problem = Problem {
            line: 0,
            column: t.file.clone(),
            reason: t.no_file.clone(),
        };
        return page(
            &ctx,
            &lot.code,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            vec![problem],
            check_only,
        )
        .await;
    };
    let store = &ctx.state.store;
    let coop = principal.cooperative_id;
    let found = store
        .diary_import_context(coop, &lot.code)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    let context = diary::import::ImportContext {
        cooperative_id: coop,
        lot_code: lot.code.clone(),
        region: found.region,
        inputs: found
            .inputs
            .into_iter()
            .map(|(id, kind, trade_name)| diary::import::RegistryInput { id, kind, trade_name })
            .collect(),
        plots: found.plots,
        now: store::now(),
    };
    let read = diary::import::read_table(bytes)
        .map_err(|e| vec![e])
        .and_then(|table| diary::import::read_rows(&table, &context));
    let rows = match read {
        Ok(rows) => rows,
        Err(errors) => {
            let problems = errors
                .into_iter()
                .map(|e| Problem {
                    line: e.line,
                    column: e.column.unwrap_or_default(),
                    reason: ctx.pick(e.message_en, e.message_vi),
                })
                .collect();
            return page(
                &ctx,
                &lot.code,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                problems,
                check_only,
            )
            .await;
        }
    };
    let result = store
        .import_diary(
            &principal,
            &lot.code,
            rows.into_iter().map(|r| (r.line, r.draft)).collect(),
            check_only,
            &store::NoProgress,
        )
        .await;
    match result {
        Ok(report) if check_only => {
            let summary = fill(
                &t.checked,
                &[
                    ("rows", &report.rows.to_string()),
                    ("added", &report.added.to_string()),
                    ("existing", &report.existing.to_string()),
                ],
            );
            page(&ctx, &lot.code, StatusCode::OK, Some(summary), Vec::new(), false).await
        }
        Ok(report) => {
            ctx.flash(fill(
                &t.done,
                &[
                    ("added", &report.added.to_string()),
                    ("existing", &report.existing.to_string()),
                    ("lot", &lot.code),
                ],
            ))
            .await;
            Ok(ctx.see_other(&lot_path(&lot.code)))
        }
        Err(DiaryImportFailure::Rows(rows)) => {
            let problems = rows
                .into_iter()
                .map(|p| Problem {
                    line: p.line,
                    column: p.field,
                    reason: ctx.pick(p.message_en, p.message_vi),
                })
                .collect();
            page(
                &ctx,
                &lot.code,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                problems,
                check_only,
            )
            .await
        }
        Err(DiaryImportFailure::Store(error)) => Err(ctx.error(Failure::Store(error))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_languages_define_every_word_of_the_import_screen() {
        for (name, text) in [
            ("vi", include_str!("../../../../web/i18n/import.vi.toml")),
            ("en", include_str!("../../../../web/i18n/import.en.toml")),
        ] {
            toml::from_str::<super::ImportMessages>(text).unwrap_or_else(|e| panic!("import.{name}.toml: {e}"));
        }
    }
}
