//! `/pengadaan/validasi`: the validation report of an uploaded OCDS package
//! as a page anyone can read (the same report `POST /ocds/validate` gives as
//! JSON), each kind of issue named and explained in the reader's language.
//! Nothing is stored, so the form needs no sign-in and no CSRF token.

use axum::response::{IntoResponse, Response};

use super::publish::{uploaded_package, validated};
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;

pub async fn page(ctx: Ctx) -> AppResult<Response> {
    Ok(ctx.render("contracting/validation.html", minijinja::context! { report => None::<()> })?.into_response())
}

pub async fn submit(ctx: Ctx, req: axum::extract::Request) -> AppResult<Response> {
    let bytes = uploaded_package(&ctx.app, req).await?;
    let size = bytes.len();
    let report = validated(bytes).await?;
    Ok(ctx.render("contracting/validation.html", minijinja::context! { report, size })?.into_response())
}
