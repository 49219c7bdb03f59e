//! The leader's members screen: add members with a first password, reset a forgotten password
//! (there is no e-mail), lift a lockout, disable or re-enable an account, assign plots.
//! Inspectors see the list; only leaders change it.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use farm_log::{Password, PhoneNumber, Role, ShortText};
use serde::Deserialize;
use store::{Member, NewMember, StoreError};

use super::{AppMessages, Chrome, Ctx, Failure, PageError, Signed, refused};
use crate::access::{leader_of, overseer_of};
use crate::web::i18n::{PageLang, fill};

struct MemberRow {
    id: i64,
    name: String,
    phone: String,
    role: String,
    plots: String,
    badges: Vec<String>,
    active: bool,
    locked: bool,
    is_me: bool,
    password_action: String,
    unlock_action: String,
    active_action: String,
    plot_action: String,
    free_plots: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "app/members.html")]
struct MembersPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    rows: Vec<MemberRow>,
    leader: bool,
    add_action: String,
    roles: Vec<(&'static str, String)>,
    form: AddForm,
    errors: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

async fn render(ctx: &Ctx, status: StatusCode, form: AddForm, errors: Vec<String>) -> Result<Response, PageError> {
    let principal = ctx.principal()?.clone();
    overseer_of(&principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    let store = &ctx.state.store;
    let fail = |e: StoreError| ctx.error(Failure::Store(e));
    let members = store.members(principal.cooperative_id).await.map_err(fail)?;
    let plots = store.plots(principal.cooperative_id).await.map_err(fail)?;
    let m = ctx.m();
    let rows = members
        .iter()
        .map(|member: &Member| {
            let mut badges = vec![];
            if !member.active {
                badges.push(m.disabled_badge.clone());
            }
            if !member.has_password {
                badges.push(m.no_password.clone());
            }
            if member.locked_until.is_some() {
                badges.push(m.locked_badge.clone());
            }
            let base = ctx.href(&format!("/thanh-vien/{}", member.id));
            MemberRow {
                id: member.id,
                name: member.name.clone(),
                phone: member.phone.clone(),
                role: m.role(member.role),
                plots: super::plot_names(&plots, &member.plot_ids),
                badges,
                active: member.active,
                locked: member.locked_until.is_some(),
                is_me: member.id == principal.member_id,
                password_action: format!("{base}/mat-khau"),
                unlock_action: format!("{base}/mo-khoa"),
                active_action: format!("{base}/trang-thai"),
                plot_action: format!("{base}/thua"),
                free_plots: plots
                    .iter()
                    .filter(|p| !member.plot_ids.contains(&p.id))
                    .map(|p| (p.id, p.name.clone()))
                    .collect(),
            }
        })
        .collect();
    let page = MembersPage {
        c: ctx.chrome(m.members_title.clone()).await,
        m,
        rows,
        leader: principal.role == Role::Leader,
        add_action: ctx.href("/thanh-vien"),
        roles: [Role::Member, Role::Leader, Role::Inspector]
            .into_iter()
            .map(|r| (r.as_str(), m.role(r)))
            .collect(),
        form,
        errors,
    };
    Ok(ctx.page(status, page.render()))
}

/// `GET /app/thanh-vien`.
pub async fn list(Signed(ctx): Signed) -> Result<Response, PageError> {
    render(
        &ctx,
        StatusCode::OK,
        AddForm {
            role: "member".into(),
            ..AddForm::default()
        },
        vec![],
    )
    .await
}

fn message(lang: PageLang, error: &farm_log::FieldError) -> String {
    match lang {
        PageLang::Vi => error.message_vi.clone(),
        PageLang::En => error.message_en.clone(),
    }
}

/// Leaders only, in their own cooperative; the member must be theirs.
async fn leader_and_member(ctx: &Ctx, member_id: i64) -> Result<Member, PageError> {
    let principal = ctx.principal()?;
    leader_of(principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    let store = &ctx.state.store;
    match store.member(principal.cooperative_id, member_id).await {
        Ok(member) => Ok(member),
        Err(error) => {
            Err(super::not_here(ctx, error, store.member_elsewhere(principal.cooperative_id, member_id)).await)
        }
    }
}

/// `POST /app/thanh-vien`: a new member with a first password.
pub async fn add(Signed(ctx): Signed, Form(form): Form<AddForm>) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let principal = ctx.principal()?.clone();
    leader_of(&principal, principal.cooperative_id).map_err(|e| refused(&ctx, e))?;
    let name = ShortText::parse(&form.name, "name");
    let phone = PhoneNumber::parse(&form.phone, "phone");
    let role = Role::parse(&form.role, "role");
    let password = Password::parse(&form.password, "password");
    let (name, phone, role, password) = match (name, phone, role, password) {
        (Ok(name), Ok(phone), Ok(role), Ok(password)) => (name, phone, role, password),
        (name, phone, role, password) => {
            let errors = [name.err(), phone.err(), role.err(), password.err()]
                .into_iter()
                .flatten()
                .map(|e| message(ctx.lang, &e))
                .collect();
            let form = AddForm {
                password: String::new(),
                ..form
            };
            return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await;
        }
    };
    let store = &ctx.state.store;
    let added = store
        .add_member(principal.cooperative_id, NewMember { name, phone, role })
        .await;
    let member = match added {
        Ok(member) => member,
        Err(StoreError::Conflict {
            message: message_en,
            message_vi,
            ..
        }) => {
            let message = ctx.pick(message_en, message_vi);
            let form = AddForm {
                password: String::new(),
                ..form
            };
            return render(&ctx, StatusCode::CONFLICT, form, vec![message]).await;
        }
        Err(error) => return Err(ctx.error(Failure::Store(error))),
    };
    store
        .set_password(principal.cooperative_id, member.id, &password)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    ctx.flash(fill(&ctx.m().member_added, &[("name", &member.name)])).await;
    Ok(ctx.see_other("/thanh-vien"))
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

/// `POST /app/thanh-vien/{id}/mat-khau`: a leader sets a new password (and lifts any lock).
pub async fn reset_password(
    Signed(ctx): Signed,
    Path(member_id): Path<i64>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let member = leader_and_member(&ctx, member_id).await?;
    let password = match Password::parse(&form.password, "password") {
        Ok(password) => password,
        Err(error) => {
            let text = format!("{}: {}", member.name, message(ctx.lang, &error));
            return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, AddForm::default(), vec![text]).await;
        }
    };
    ctx.state
        .store
        .set_password(member.cooperative_id, member.id, &password)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    ctx.flash(fill(&ctx.m().password_set, &[("name", &member.name)])).await;
    Ok(ctx.see_other("/thanh-vien"))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /app/thanh-vien/{id}/mo-khoa`: lifts a lockout now.
pub async fn unlock(
    Signed(ctx): Signed,
    Path(member_id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let member = leader_and_member(&ctx, member_id).await?;
    ctx.state
        .store
        .unlock_member(member.cooperative_id, member.id)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    ctx.flash(fill(&ctx.m().unlocked, &[("name", &member.name)])).await;
    Ok(ctx.see_other("/thanh-vien"))
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

/// `POST /app/thanh-vien/{id}/trang-thai`: disables or re-enables an account.
pub async fn set_active(
    Signed(ctx): Signed,
    Path(member_id): Path<i64>,
    Form(form): Form<ActiveForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let member = leader_and_member(&ctx, member_id).await?;
    let active = form.active == "true";
    if !active && ctx.principal.as_ref().is_some_and(|p| p.member_id == member.id) {
        return render(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            AddForm::default(),
            vec![ctx.m().cannot_disable_self.clone()],
        )
        .await;
    }
    ctx.state
        .store
        .set_member_active(member.cooperative_id, member.id, active)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    let m = ctx.m();
    let text = if active { &m.enabled } else { &m.disabled };
    ctx.flash(fill(text, &[("name", &member.name)])).await;
    Ok(ctx.see_other("/thanh-vien"))
}

#[derive(Debug, Deserialize)]
pub struct PlotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    plot_id: String,
}

/// `POST /app/thanh-vien/{id}/thua`: assigns a plot.
pub async fn assign_plot(
    Signed(ctx): Signed,
    Path(member_id): Path<i64>,
    Form(form): Form<PlotForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let member = leader_and_member(&ctx, member_id).await?;
    let plot_id = form
        .plot_id
        .trim()
        .parse::<i64>()
        .map_err(|_| ctx.error(Failure::NotFound))?;
    let plot = ctx
        .state
        .store
        .assign_plot(member.cooperative_id, plot_id, member.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => ctx.error(Failure::NotFound),
            other => ctx.error(Failure::Store(other)),
        })?;
    ctx.flash(fill(
        &ctx.m().plot_assigned,
        &[("plot", &plot.name), ("name", &member.name)],
    ))
    .await;
    Ok(ctx.see_other("/thanh-vien"))
}
