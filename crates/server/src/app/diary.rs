//! A lot's care diary as a file for an auditor: `nhat-ky.csv` (opens in Excel) and
//! `nhat-ky.pdf` (A4, paged), built by the pure `diary` crate from the lot's whole history.

use std::collections::BTreeMap;

use axum::extract::Path;
use axum::response::Response;
use diary::{CooperativeInfo, DiaryFont, DiaryInput, Language, PlotInfo};
use farm_log::{ChainHead, LotCode};
use store::StoreError;

use super::{Ctx, Failure, PageError, Signed, refused};
use crate::access::may_read_lot;
use crate::web::i18n::PageLang;

/// Which file.
#[derive(Debug, Clone, Copy)]
enum Format {
    Csv,
    Pdf,
}

/// `GET /app/lo/{code}/nhat-ky.csv`.
pub async fn csv(Signed(ctx): Signed, Path(code): Path<String>) -> Result<Response, PageError> {
    download(ctx, code, Format::Csv).await
}

/// `GET /app/lo/{code}/nhat-ky.pdf`.
pub async fn pdf(Signed(ctx): Signed, Path(code): Path<String>) -> Result<Response, PageError> {
    download(ctx, code, Format::Pdf).await
}

fn corrupt(ctx: &Ctx, what: String) -> PageError {
    ctx.error(Failure::Store(StoreError::Corrupt(what)))
}

async fn download(ctx: Ctx, code: String, format: Format) -> Result<Response, PageError> {
    let principal = ctx.principal()?.clone();
    let lot = super::farmer::own_lot(&ctx, &code).await?;
    let store = &ctx.state.store;
    may_read_lot(store, &principal, &lot.access())
        .await
        .map_err(|e| refused(&ctx, e))?;
    let fail = |e: StoreError| ctx.error(Failure::Store(e));
    let coop = principal.cooperative_id;
    let history = store.history(coop, &lot.code).await.map_err(fail)?;
    let cooperative = store.cooperative(coop).await.map_err(fail)?;
    let product = store.product(coop, lot.product_id).await.map_err(fail)?;
    let plots: Vec<store::Plot> = store
        .plots(coop)
        .await
        .map_err(fail)?
        .into_iter()
        .filter(|p| lot.plot_ids.contains(&p.id))
        .collect();
    let members = store.members(coop).await.map_err(fail)?;
    let growers = members
        .iter()
        .filter(|m| m.plot_ids.iter().any(|p| lot.plot_ids.contains(p)))
        .map(|m| m.name.clone())
        .collect();
    let chain_head = ChainHead::from_hex(&lot.head).ok_or_else(|| corrupt(&ctx, format!("lot {} head", lot.code)))?;
    let lot_code = LotCode::parse(&lot.code, "code").map_err(|e| corrupt(&ctx, e.to_string()))?;
    let input = DiaryInput {
        cooperative: CooperativeInfo {
            name: cooperative.name,
            address: cooperative.address,
            region: Some(cooperative.region),
        },
        lot_code,
        product_name: product.name,
        plots: plots
            .into_iter()
            .map(|p| PlotInfo {
                name: p.name,
                commune: p.commune,
                growing_area_code: p.growing_area_code,
            })
            .collect(),
        growers,
        members: members.into_iter().map(|m| (m.id, m.name)).collect::<BTreeMap<_, _>>(),
        status: lot.status,
        chain_head,
        event_count: history.events.len() as u64,
        generated_at: store::now(),
        events: history.events.into_iter().map(|e| e.event).collect(),
    };
    let language = match ctx.lang {
        PageLang::Vi => Language::Vi,
        PageLang::En => Language::En,
    };
    let (bytes, content_type, extension) = match format {
        Format::Csv => (
            diary::render_csv(&input, language).map_err(|e| corrupt(&ctx, e.to_string()))?,
            "text/csv; charset=utf-8",
            "csv",
        ),
        Format::Pdf => {
            let font = match &ctx.state.labels.font {
                Ok(font) => DiaryFont::from_label_font(font.as_ref().clone()),
                Err(why) => return Err(ctx.error(Failure::Unavailable(why.clone()))),
            };
            let bytes = tokio::task::spawn_blocking(move || diary::render_pdf(&input, language, &font))
                .await
                .map_err(|e| corrupt(&ctx, e.to_string()))?
                .map_err(|e| corrupt(&ctx, e.to_string()))?;
            (bytes, "application/pdf", "pdf")
        }
    };
    Ok(crate::api::attachment(
        bytes,
        content_type,
        format!("nhat-ky-{}.{extension}", lot.code),
    ))
}
