//! The leader's home: the cooperative's season at a glance. Lots growing, waiting periods still
//! running, packed lots waiting for labels, stock close to its use-by date, recalls, and members
//! who have not logged anything for a week (to call). Inspectors see the same, without actions.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use farm_log::{LotStatus, Role};

use super::{AppMessages, Chrome, Ctx, Failure, PageError};
use crate::web::i18n::fill;
use crate::web::view::show_day;

/// Members who logged nothing for this long are listed to be called.
pub const QUIET_DAYS: i64 = 7;

/// Stock whose use-by date is this close (or past) is listed.
pub const EXPIRING_DAYS: i64 = 3;

struct Item {
    href: String,
    title: String,
    detail: String,
}

struct Quiet {
    name: String,
    phone: String,
    tel: String,
    detail: String,
}

struct Group {
    id: &'static str,
    title: String,
    empty: String,
    items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "app/dashboard.html")]
struct DashboardPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    hello: String,
    leader: bool,
    groups: Vec<Group>,
    quiet: Vec<Quiet>,
    manage: Vec<(String, String)>,
}

/// `GET /app` for leaders and inspectors.
pub async fn page(ctx: &Ctx) -> Result<Response, PageError> {
    let principal = ctx.principal()?.clone();
    let store = &ctx.state.store;
    let fail = |e| ctx.error(Failure::Store(e));
    let m = ctx.m();
    let words = ctx.words();
    let overview = store.lot_overview(principal.cooperative_id, None).await.map_err(fail)?;
    let plots = store.plots(principal.cooperative_id).await.map_err(fail)?;
    let products = store.products(principal.cooperative_id).await.map_err(fail)?;
    let members = store.members(principal.cooperative_id).await.map_err(fail)?;
    let last_logged = store
        .members_last_logged(principal.cooperative_id)
        .await
        .map_err(fail)?;
    let now = store::now();
    let today = now.date_naive();
    let heading = |lot: &store::Lot| {
        let product = products
            .iter()
            .find(|p| p.id == lot.product_id)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let names = super::plot_names(&plots, &lot.plot_ids);
        if names.is_empty() {
            format!("{} · {product}", lot.code)
        } else {
            format!("{} · {names} · {product}", lot.code)
        }
    };
    let lot_href = |code: &str| ctx.href(&format!("/lo/{}", super::encode_component(code)));
    let mut growing = vec![];
    let mut waiting = vec![];
    let mut to_label = vec![];
    let mut expiring = vec![];
    let mut recalled = vec![];
    for item in &overview {
        let lot = &item.lot;
        if lot.status == LotStatus::Growing {
            growing.push(Item {
                href: lot_href(&lot.code),
                title: heading(lot),
                detail: item
                    .last_logged
                    .map(|at| fill(&m.last_logged, &[("date", &farm_log::validate::show_date(&at))]))
                    .unwrap_or_else(|| m.never_logged.clone()),
            });
        }
        if let Some((until, product)) = &item.waiting_until {
            waiting.push(Item {
                href: lot_href(&lot.code),
                title: heading(lot),
                detail: super::farmer::waiting_text(until, product, m),
            });
        }
        if lot.status == LotStatus::Packed && item.has_stock() && !item.labelled {
            let holds: Vec<String> = item
                .available
                .iter()
                .map(|q| super::amounts::quantity(q, ctx.lang))
                .collect();
            to_label.push(Item {
                // Inspectors read the lot; only leaders print.
                href: if principal.role == Role::Leader {
                    format!("{}/tem", lot_href(&lot.code))
                } else {
                    lot_href(&lot.code)
                },
                title: heading(lot),
                detail: fill(&m.lot_holds, &[("amount", &holds.join(", "))]),
            });
        }
        if let Some(use_by) = item.use_by
            && item.has_stock()
            && use_by <= today + Duration::days(EXPIRING_DAYS)
        {
            let left = (use_by - today).num_days();
            let detail = if left < 0 {
                fill(&m.expired_on, &[("date", &show_day(use_by))])
            } else {
                fill(&m.expires_in, &[("date", &show_day(use_by)), ("n", &left.to_string())])
            };
            expiring.push(Item {
                href: lot_href(&lot.code),
                title: heading(lot),
                detail,
            });
        }
        if lot.status == LotStatus::Recalled {
            recalled.push(Item {
                href: lot_href(&lot.code),
                title: heading(lot),
                detail: words.status(lot.status),
            });
        }
    }
    waiting.sort_by(|a, b| a.detail.cmp(&b.detail));
    let quiet_since = now - Duration::days(QUIET_DAYS);
    let quiet: Vec<Quiet> = members
        .iter()
        .filter(|member| member.role == Role::Member && member.active && !member.plot_ids.is_empty())
        .filter(|member| last_logged.get(&member.id).is_none_or(|at| *at < quiet_since))
        .map(|member| Quiet {
            name: member.name.clone(),
            tel: format!("tel:{}", member.phone),
            phone: member.phone.clone(),
            detail: match last_logged.get(&member.id) {
                Some(at) => fill(&m.last_logged, &[("date", &farm_log::validate::show_date(at))]),
                None => m.never_logged.clone(),
            } + " · "
                + &super::plot_names(&plots, &member.plot_ids),
        })
        .collect();
    let group = |id, title: &str, empty: &str, items| Group {
        id,
        title: title.to_owned(),
        empty: empty.to_owned(),
        items,
    };
    let groups = vec![
        group("waiting", &m.dash_waiting, &m.dash_waiting_none, waiting),
        group("to-label", &m.dash_to_label, &m.dash_to_label_none, to_label),
        group("expiring", &m.dash_expiring, &m.dash_expiring_none, expiring),
        group("recalled", &m.dash_recalled, &m.dash_recalled_none, recalled),
        group("growing", &m.dash_growing, &m.dash_growing_none, growing),
    ];
    let mut manage = vec![(m.members_title.clone(), ctx.href("/thanh-vien"))];
    manage.extend(super::registry::links(ctx));
    manage.push((m.sales_title.clone(), ctx.href("/ban-hang")));
    let page = DashboardPage {
        c: ctx.chrome(m.app_name.clone()).await,
        m,
        hello: fill(&m.hello, &[("name", &principal.name)]),
        leader: principal.role == Role::Leader,
        groups,
        quiet,
        manage,
    };
    Ok(ctx.page(StatusCode::OK, page.render()))
}
