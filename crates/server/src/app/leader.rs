//! The leader's lot screens: start a growing lot on the cooperative's plots, and recall a lot
//! (with everything packed or merged from it) so buyers see the banner at once.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use farm_log::{LotCode, Note};
use serde::Deserialize;
use store::{NewLot, StoreError};

use super::{AppMessages, Chrome, Ctx, Failure, PageError, Signed, refused};
use crate::access::leader_of;
use crate::web::i18n::{PageLang, fill};

struct Pick {
    value: i64,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "app/new_lot.html")]
struct NewLotPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    action: String,
    code: String,
    products: Vec<Pick>,
    plots: Vec<Pick>,
    errors: Vec<String>,
}

/// What the new-lot form sends; `plot_ids` repeats once per ticked plot.
#[derive(Debug, Default)]
pub struct NewLotForm {
    csrf: String,
    code: String,
    product_id: String,
    plot_ids: Vec<String>,
}

fn leader(ctx: &Ctx) -> Result<store::Principal, PageError> {
    let principal = ctx.principal()?.clone();
    leader_of(&principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    Ok(principal)
}

async fn render_new(
    ctx: &Ctx,
    status: StatusCode,
    form: &NewLotForm,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let principal = leader(ctx)?;
    let store = &ctx.state.store;
    let fail = |e: StoreError| ctx.error(Failure::Store(e));
    let products = store.products(principal.cooperative_id).await.map_err(fail)?;
    let plots = store.plots(principal.cooperative_id).await.map_err(fail)?;
    let m = ctx.m();
    let page = NewLotPage {
        c: ctx.chrome(m.new_lot.clone()).await,
        m,
        action: ctx.href("/lo-moi"),
        code: form.code.clone(),
        products: products
            .iter()
            .map(|p| Pick {
                value: p.id,
                label: p.name.clone(),
                checked: p.id.to_string() == form.product_id,
            })
            .collect(),
        plots: plots
            .iter()
            .map(|p| Pick {
                value: p.id,
                label: format!("{} — {} · {}", p.name, p.area_display, p.commune),
                checked: form.plot_ids.contains(&p.id.to_string()),
            })
            .collect(),
        errors,
    };
    Ok(ctx.page(status, page.render()))
}

/// `GET /app/lo-moi`.
pub async fn new_lot(Signed(ctx): Signed) -> Result<Response, PageError> {
    render_new(&ctx, StatusCode::OK, &NewLotForm::default(), vec![]).await
}

fn say(lang: PageLang, error: &farm_log::FieldError) -> String {
    match lang {
        PageLang::Vi => error.message_vi.clone(),
        PageLang::En => error.message_en.clone(),
    }
}

/// `POST /app/lo-moi`: the lot is created and its page opens, ready for the first step.
pub async fn create_lot(Signed(ctx): Signed, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    // Ticked checkboxes repeat `plot_ids`, which a struct cannot gather into a Vec: read pairs.
    let mut form = NewLotForm::default();
    for (key, value) in pairs {
        match key.as_str() {
            "csrf" => form.csrf = value,
            "code" => form.code = value,
            "product_id" => form.product_id = value,
            "plot_ids" => form.plot_ids.push(value),
            _ => {}
        }
    }
    ctx.check_csrf(&form.csrf)?;
    let principal = leader(&ctx)?;
    let m = ctx.m();
    let mut errors = vec![];
    let code = LotCode::parse(&form.code, "code")
        .map_err(|e| errors.push(say(ctx.lang, &e)))
        .ok();
    let product_id = form.product_id.parse::<i64>().ok();
    if product_id.is_none() {
        errors.push(m.choose_product.clone());
    }
    let plot_ids: Vec<i64> = form.plot_ids.iter().filter_map(|p| p.parse().ok()).collect();
    if plot_ids.is_empty() {
        errors.push(m.choose_plots.clone());
    }
    let (Some(code), Some(product_id), false) = (code, product_id, plot_ids.is_empty()) else {
        return render_new(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, errors).await;
    };
    let created = ctx
        .state
        .store
        .create_lot(
            principal.cooperative_id,
            NewLot {
                code,
                product_id,
                plot_ids,
            },
        )
        .await;
    match created {
        Ok(lot) => {
            ctx.flash(fill(&m.lot_created, &[("lot", &lot.code)])).await;
            Ok(ctx.see_other(&format!("/lo/{}", super::encode_component(&lot.code))))
        }
        Err(StoreError::Invalid(list)) => {
            let errors = list.0.iter().map(|e| say(ctx.lang, e)).collect();
            render_new(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, errors).await
        }
        Err(StoreError::Conflict {
            message: message_en,
            message_vi,
            ..
        }) => {
            let message = ctx.pick(message_en, message_vi);
            render_new(&ctx, StatusCode::CONFLICT, &form, vec![message]).await
        }
        Err(StoreError::NotFound { .. }) => {
            render_new(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                vec![m.choose_plots.clone()],
            )
            .await
        }
        Err(error) => Err(ctx.error(Failure::Store(error))),
    }
}

#[derive(Debug, Deserialize)]
pub struct RecallForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// `POST /app/lo/{code}/thu-hoi`: recalls the lot and every lot made from it.
pub async fn recall(
    Signed(ctx): Signed,
    Path(code): Path<String>,
    Form(form): Form<RecallForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let principal = leader(&ctx)?;
    let lot = super::farmer::own_lot(&ctx, &code).await?;
    let m = ctx.m();
    let back = format!("/lo/{}", super::encode_component(&lot.code));
    let reason = match Note::parse(&form.reason, "reason") {
        Ok(reason) => reason,
        Err(error) => {
            ctx.flash(format!("{} {}", m.recall_reason, say(ctx.lang, &error)))
                .await;
            return Ok(ctx.see_other(&back));
        }
    };
    let derived = |root: &str| fill(&m.recall_derived_reason, &[("lot", root), ("reason", reason.as_ref())]);
    let recalled = ctx
        .state
        .store
        .recall_cascade(&principal, &lot.code, &reason, derived)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    let text = if recalled.is_empty() {
        m.already_recalled.clone()
    } else {
        fill(&m.recalled, &[("lots", &recalled.join(", "))])
    };
    ctx.flash(text).await;
    Ok(ctx.see_other(&back))
}
