//! The leader's members screens, made for a cooperative of dozens of households: a searchable
//! list with one row per member (and the form to add one with a first password), and one screen
//! per member to change their details, reset a forgotten password (there is no e-mail), lift a
//! lockout, disable or re-enable the account, and assign or unassign plots. Inspectors see
//! them; only leaders change them.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
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
    href: String,
    /// What the search box matches, in lower case without diacritics.
    search: String,
}

#[derive(Template)]
#[template(path = "app/members.html")]
struct MembersPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    rows: Vec<MemberRow>,
    total: usize,
    query: String,
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

/// Text folded for searching: lower case, Vietnamese letters without their marks ("Đồng" →
/// "dong"), so "nguyen" finds "Nguyễn".
pub(super) fn folded(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

fn badges(member: &Member, m: &AppMessages) -> Vec<String> {
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
    badges
}

async fn render(
    ctx: &Ctx,
    status: StatusCode,
    query: &str,
    form: AddForm,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let principal = ctx.principal()?.clone();
    overseer_of(&principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    let store = &ctx.state.store;
    let fail = |e: StoreError| ctx.error(Failure::Store(e));
    let members = store.members(principal.cooperative_id).await.map_err(fail)?;
    let plots = store.plots(principal.cooperative_id).await.map_err(fail)?;
    let m = ctx.m();
    let wanted = folded(query.trim());
    let total = members.len();
    let rows = members
        .iter()
        .map(|member: &Member| {
            let plots = super::plot_names(&plots, &member.plot_ids);
            MemberRow {
                id: member.id,
                search: folded(&format!("{} {} {}", member.name, member.phone, plots)),
                name: member.name.clone(),
                phone: member.phone.clone(),
                role: m.role(member.role),
                plots,
                badges: badges(member, m),
                href: ctx.href(&format!("/thanh-vien/{}", member.id)),
            }
        })
        .filter(|row| wanted.is_empty() || row.search.contains(&wanted))
        .collect();
    let page = MembersPage {
        c: ctx.chrome(m.members_title.clone()).await,
        m,
        rows,
        total,
        query: query.trim().to_owned(),
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

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
}

/// `GET /app/thanh-vien?q=`: one row per member, searchable by name, phone or plot.
pub async fn list(Signed(ctx): Signed, Query(query): Query<ListQuery>) -> Result<Response, PageError> {
    render(
        &ctx,
        StatusCode::OK,
        &query.q,
        AddForm {
            role: "member".into(),
            ..AddForm::default()
        },
        vec![],
    )
    .await
}

#[derive(Template)]
#[template(path = "app/member.html")]
struct MemberPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    member: Member,
    role_name: String,
    badges: Vec<String>,
    leader: bool,
    is_me: bool,
    base: String,
    roles: Vec<(&'static str, String)>,
    assigned: Vec<(i64, String)>,
    free_plots: Vec<(i64, String)>,
    details: DetailsForm,
    errors: Vec<String>,
    back: String,
}

async fn render_member(
    ctx: &Ctx,
    member_id: i64,
    status: StatusCode,
    details: Option<DetailsForm>,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let principal = ctx.principal()?.clone();
    overseer_of(&principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    let store = &ctx.state.store;
    let member = match store.member(principal.cooperative_id, member_id).await {
        Ok(member) => member,
        Err(error) => {
            return Err(super::not_here(ctx, error, store.member_elsewhere(principal.cooperative_id, member_id)).await);
        }
    };
    let plots = store
        .plots(principal.cooperative_id)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    let m = ctx.m();
    let details = details.unwrap_or_else(|| DetailsForm {
        name: member.name.clone(),
        phone: member.phone.clone(),
        role: member.role.as_str().to_owned(),
        ..DetailsForm::default()
    });
    let page = MemberPage {
        c: ctx.chrome(member.name.clone()).await,
        m,
        role_name: m.role(member.role),
        badges: badges(&member, m),
        leader: principal.role == Role::Leader,
        is_me: member.id == principal.member_id,
        base: ctx.href(&format!("/thanh-vien/{}", member.id)),
        roles: [Role::Member, Role::Leader, Role::Inspector]
            .into_iter()
            .map(|r| (r.as_str(), m.role(r)))
            .collect(),
        assigned: plots
            .iter()
            .filter(|p| member.plot_ids.contains(&p.id))
            .map(|p| (p.id, format!("{} — {}", p.name, p.area_display)))
            .collect(),
        free_plots: plots
            .iter()
            .filter(|p| !member.plot_ids.contains(&p.id))
            .map(|p| (p.id, p.name.clone()))
            .collect(),
        details,
        errors,
        back: ctx.href("/thanh-vien"),
        member,
    };
    Ok(ctx.page(status, page.render()))
}

/// `GET /app/thanh-vien/{id}`: one member on their own screen: details, password, plots.
pub async fn edit(Signed(ctx): Signed, Path(member_id): Path<i64>) -> Result<Response, PageError> {
    render_member(&ctx, member_id, StatusCode::OK, None, vec![]).await
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    role: String,
}

/// `POST /app/thanh-vien/{id}/sua`: a member's name, phone and role.
pub async fn update(
    Signed(ctx): Signed,
    Path(member_id): Path<i64>,
    Form(form): Form<DetailsForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let member = leader_and_member(&ctx, member_id).await?;
    let m = ctx.m();
    let name = ShortText::parse(&form.name, "name");
    let phone = PhoneNumber::parse(&form.phone, "phone");
    let role = Role::parse(&form.role, "role");
    let (name, phone, role) = match (name, phone, role) {
        (Ok(name), Ok(phone), Ok(role)) => (name, phone, role),
        (name, phone, role) => {
            let errors = [name.err(), phone.err(), role.err()]
                .into_iter()
                .flatten()
                .map(|e| message(ctx.lang, &e))
                .collect();
            return render_member(&ctx, member_id, StatusCode::UNPROCESSABLE_ENTITY, Some(form), errors).await;
        }
    };
    if member.id == ctx.principal()?.member_id && role != Role::Leader {
        let errors = vec![m.cannot_demote_self.clone()];
        return render_member(&ctx, member_id, StatusCode::UNPROCESSABLE_ENTITY, Some(form), errors).await;
    }
    let edited = ctx
        .state
        .store
        .edit_member(
            member.cooperative_id,
            member.id,
            &store::MemberDetails { name, phone, role },
        )
        .await;
    match edited {
        Ok(member) => {
            ctx.flash(fill(&m.member_saved, &[("name", &member.name)])).await;
            Ok(ctx.see_other(&format!("/thanh-vien/{}", member.id)))
        }
        Err(StoreError::Conflict {
            message: message_en,
            message_vi,
            ..
        }) => {
            let errors = vec![ctx.pick(message_en, message_vi)];
            render_member(&ctx, member_id, StatusCode::CONFLICT, Some(form), errors).await
        }
        Err(error) => Err(ctx.error(Failure::Store(error))),
    }
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
            return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "", form, errors).await;
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
            return render(&ctx, StatusCode::CONFLICT, "", form, vec![message]).await;
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
            return render_member(&ctx, member.id, StatusCode::UNPROCESSABLE_ENTITY, None, vec![text]).await;
        }
    };
    ctx.state
        .store
        .set_password(member.cooperative_id, member.id, &password)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    ctx.flash(fill(&ctx.m().password_set, &[("name", &member.name)])).await;
    Ok(ctx.see_other(&format!("/thanh-vien/{}", member.id)))
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
    Ok(ctx.see_other(&format!("/thanh-vien/{}", member.id)))
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
        return render_member(
            &ctx,
            member.id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
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
    Ok(ctx.see_other(&format!("/thanh-vien/{}", member.id)))
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
    Ok(ctx.see_other(&format!("/thanh-vien/{}", member.id)))
}

/// `POST /app/thanh-vien/{id}/bo-thua`: takes a plot away from the member (its lots and their
/// diaries stay; the member no longer logs on them).
pub async fn unassign_plot(
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
    let store = &ctx.state.store;
    store
        .unassign_plot(member.cooperative_id, plot_id, member.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => ctx.error(Failure::NotFound),
            other => ctx.error(Failure::Store(other)),
        })?;
    let plot = store
        .plot(member.cooperative_id, plot_id)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    ctx.flash(fill(
        &ctx.m().plot_unassigned,
        &[("plot", &plot.name), ("name", &member.name)],
    ))
    .await;
    Ok(ctx.see_other(&format!("/thanh-vien/{}", member.id)))
}
