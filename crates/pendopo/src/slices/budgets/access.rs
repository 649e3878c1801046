//! Who writes the APBD: the region admins (walidata, sysadmin) and the
//! officers (`kernel::access::for_org`: org admins and editors) of the
//! agencies the region names as the budget's publishers, a setting kept in
//! `apbd_publishers` by agency slug. A new region names BPKAD (`bpkad`)
//! and Bappeda (`bappeda`), the two that publish the budget and the
//! planning documents in Permendagri 90/2019's cycle; region admins change
//! the list on `/anggaran/kelola`.

use crate::kernel::access;
use crate::kernel::identity::User;
use crate::kernel::organizations as orgs;
use crate::store::{Store, StoreError};
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;

/// The publishers a new region starts with.
pub const DEFAULT_PUBLISHERS: [&str; 2] = ["bappeda", "bpkad"];

pub async fn may_write(store: &Store, tenant: &str, user: &User) -> Result<bool, StoreError> {
    if user.is_region_admin() {
        return Ok(true);
    }
    let Some(org_id) = user.org_id.as_deref() else { return Ok(false) };
    let Some(org) = orgs::get_by_id(store, tenant, org_id).await? else { return Ok(false) };
    Ok(access::for_org(user, &org.id) && super::repo::publishers(store, tenant).await?.contains(&org.slug))
}

/// The signed-in writer, or 401/403 before anything sent is read.
pub async fn writer(ctx: &Ctx) -> AppResult<&User> {
    let user = ctx.user()?;
    if may_write(&ctx.app.store, &ctx.tenant.id, user).await? { Ok(user) } else { Err(ctx.denied()) }
}

/// For the API: a writer authenticated by token.
pub async fn api_writer(ctx: &Ctx) -> AppResult<&User> {
    ctx.api_user()?;
    writer(ctx).await
}

/// Whether the viewer may write (for links on pages).
pub async fn viewer_writes(ctx: &Ctx) -> bool {
    match &ctx.user {
        Some(u) => may_write(&ctx.app.store, &ctx.tenant.id, u).await.unwrap_or(false),
        None => false,
    }
}
