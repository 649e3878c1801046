//! Holding back one sender's flood of writes that need no account (a
//! citizen's monitoring report, a complaint): each slice counts what the
//! sender wrote lately in its own table; the rule and the answer (429 with
//! the slice's message) are here, once.

use crate::kernel::msg::Msg;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

/// At most `max` writes by one sender in `window_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i64,
    pub window_ms: i64,
}

impl Limit {
    /// Where counting starts: writes made at or after this time count.
    pub fn since(&self, now_ms: i64) -> i64 {
        now_ms - self.window_ms
    }

    /// Refuses (429, `refusal` in the caller's language) once `recent`
    /// writes reached the limit.
    pub fn check(&self, recent: i64, refusal: Msg) -> AppResult<()> {
        if recent >= self.max { Err(AppError::TooManyRequests(refusal)) } else { Ok(()) }
    }
}

/// Who is writing, as kept to count by: a digest of the region and the
/// client's address (through the trusted-proxy rule), never the address.
pub fn sender(ctx: &Ctx) -> String {
    crate::kernel::identity::digest(&format!("{}|{}", ctx.tenant.id, ctx.client.address()))
}
