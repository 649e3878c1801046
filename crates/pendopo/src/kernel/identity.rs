//! Users, roles, passwords, sessions, API tokens and the login throttle.
//!
//! Secrets are never stored: passwords as argon2 hashes, session cookies and
//! API tokens as SHA-256 digests of random values.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::kernel::msg::Msg;
use crate::store::{Row, Store, StoreError, sql};

/// The Satu Data roles of a region (Perpres 39/2019), plus the operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the deployment.
    Sysadmin,
    /// Region admin (Diskominfo): checks and publishes, manages organisations and users.
    Walidata,
    /// Produsen data: manages one organisation and its members.
    OrgAdmin,
    /// Produsen data: works inside one organisation.
    Editor,
    /// Works for one desa/kelurahan.
    VillageOperator,
    /// Runs the sensors: writes to the NGSI-LD broker, provisions IoT
    /// devices and enters flood readings by hand; nothing of the catalogue.
    SensorOperator,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Sysadmin, Role::Walidata, Role::OrgAdmin, Role::Editor, Role::VillageOperator, Role::SensorOperator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Sysadmin => "sysadmin",
            Role::Walidata => "walidata",
            Role::OrgAdmin => "org_admin",
            Role::Editor => "editor",
            Role::VillageOperator => "village_operator",
            Role::SensorOperator => "sensor_operator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn needs_org(self) -> bool {
        matches!(self, Role::OrgAdmin | Role::Editor)
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub tenant_id: String,
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub org_id: Option<String>,
    pub desa_code: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
}

impl User {
    /// May manage the region: its organisations and users.
    /// Whether this user may give someone `role` (`None`: a role not known,
    /// which creating refuses anyway): region admins give roles, and only a
    /// sysadmin makes or unmakes sysadmins.
    pub fn may_grant(&self, role: Option<Role>) -> bool {
        self.is_region_admin() && (role != Some(Role::Sysadmin) || self.role == Role::Sysadmin)
    }

    pub fn is_region_admin(&self) -> bool {
        matches!(self.role, Role::Sysadmin | Role::Walidata)
    }

    /// May edit this organisation's profile.
    pub fn can_edit_org(&self, org_id: &str) -> bool {
        self.is_region_admin() || (self.role == Role::OrgAdmin && self.org_id.as_deref() == Some(org_id))
    }
}

const USER_COLUMNS: &str = "tenant_id, id, email, name, role, org_id, desa_code, disabled, created_at";

fn user_from_row(row: &Row) -> Result<User, StoreError> {
    let role: String = row.get("role")?;
    Ok(User {
        tenant_id: row.get("tenant_id")?,
        id: row.get("id")?,
        email: row.get("email")?,
        name: row.get("name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Other(format!("unknown role '{role}' in the database")))?,
        org_id: row.get("org_id")?,
        desa_code: row.get("desa_code")?,
        disabled: row.get("disabled")?,
        created_at: row.get("created_at")?,
    })
}

/// What it takes to add a user.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: String,
    /// Organisation slug (org_admin and editor).
    pub org: Option<String>,
    /// Desa/kelurahan code (village_operator).
    pub desa: Option<String>,
}

/// A failure a user can fix, as a catalogue message.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{0:?}")]
    Invalid(Msg),
    /// Every field that cannot be saved as given, each with its reason, so
    /// a form says them all at once.
    #[error("{0:?}")]
    Fields(Vec<(&'static str, Msg)>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub const MIN_PASSWORD: usize = 10;

pub fn valid_email(email: &str) -> bool {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && email.len() <= 254
                && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// Long enough and not one a guesser tries first.
pub fn check_password(password: &str, email: &str) -> Result<(), IdentityError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(IdentityError::Invalid(Msg::new("error.password_short").arg("min", MIN_PASSWORD)));
    }
    if crate::kernel::text::is_common_password(password, email) {
        return Err(IdentityError::Invalid(Msg::new("error.password_common")));
    }
    Ok(())
}

pub async fn create_user(store: &Store, tenant_id: &str, new: &NewUser) -> Result<User, IdentityError> {
    let mut problems: Vec<(&'static str, Msg)> = Vec::new();
    let email = new.email.trim().to_lowercase();
    if !valid_email(&email) {
        problems.push(("email", Msg::new("error.email_invalid")));
    }
    if let Err(IdentityError::Invalid(m)) = check_password(&new.password, &email) {
        problems.push(("password", m));
    }
    if !crate::kernel::text::is_plain(&new.name) {
        problems.push(("name", Msg::new("error.name_control")));
    }
    let role = Role::parse(&new.role);
    if role.is_none() {
        problems.push(("role", Msg::new("error.role_unknown").arg("role", &new.role)));
    }
    let org_id = match new.org.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(slug) => match crate::kernel::organizations::get(store, tenant_id, slug).await? {
            Some(org) => Some(org.id),
            None => {
                problems.push(("org", Msg::new("error.org_unknown").arg("org", slug)));
                None
            }
        },
        None => {
            if role.is_some_and(|r| r.needs_org()) {
                problems.push(("org", Msg::new("error.role_needs_org")));
            }
            None
        }
    };
    let desa_code = match new.desa.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => {
            let known: i64 = store
                .fetch_scalar(
                    sql("SELECT count(*) FROM tenant_regions WHERE tenant_id = $1 AND code = $2 AND level IN ('desa', 'kelurahan')")
                        .bind(tenant_id)
                        .bind(code),
                )
                .await?;
            if known == 0 {
                problems.push(("desa", Msg::new("error.desa_unknown").arg("code", code)));
            }
            Some(code.to_string())
        }
        None => {
            if role == Some(Role::VillageOperator) {
                problems.push(("desa", Msg::new("error.role_needs_desa")));
            }
            None
        }
    };
    let Some(role) = role.filter(|_| problems.is_empty()) else { return Err(IdentityError::Fields(problems)) };
    let name = if new.name.trim().is_empty() { email.clone() } else { new.name.trim().to_string() };
    let id = new_id();
    let now = store.now_ms();
    let result = store
        .execute(
            sql("INSERT INTO users (tenant_id, id, email, name, password_hash, role, org_id, desa_code, disabled, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $9)")
            .bind(tenant_id)
            .bind(&id)
            .bind(&email)
            .bind(&name)
            .bind(hash_password(&new.password))
            .bind(role.as_str())
            .bind(org_id.clone())
            .bind(desa_code.clone())
            .bind(now),
        )
        .await;
    match result {
        Ok(_) => {}
        Err(StoreError::Duplicate(_)) => {
            return Err(IdentityError::Fields(vec![("email", Msg::new("error.email_taken").arg("email", &email))]));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(User { tenant_id: tenant_id.to_string(), id, email, name, role, org_id, desa_code, disabled: false, created_at: now })
}

pub async fn find_user_by_email(store: &Store, tenant_id: &str, email: &str) -> Result<Option<User>, StoreError> {
    let q = format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND email = $2");
    let row = store.fetch_optional(crate::store::sql_built(q).bind(tenant_id).bind(email.trim().to_lowercase())).await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn get_user(store: &Store, tenant_id: &str, id: &str) -> Result<Option<User>, StoreError> {
    let q = format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2");
    let row = store.fetch_optional(crate::store::sql_built(q).bind(tenant_id).bind(id)).await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn list_users(store: &Store, tenant_id: &str, org_id: Option<&str>) -> Result<Vec<User>, StoreError> {
    let q = format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND ($2 = '' OR org_id = $2) ORDER BY email");
    let rows = store.fetch_all(crate::store::sql_built(q).bind(tenant_id).bind(org_id.unwrap_or(""))).await?;
    rows.iter().map(user_from_row).collect()
}

/// Changes role, organisation, village and the disabled flag. Disabling a
/// user ends their sessions; their tokens stop working at once (`verified`
/// forgets every token: the next request reads the user anew).
#[allow(clippy::too_many_arguments)]
pub async fn update_user(
    store: &Store,
    verified: &VerifiedTokens,
    admin_tenant: &str,
    user_id: &str,
    role: Role,
    org: Option<&str>,
    desa: Option<&str>,
    disabled: bool,
) -> Result<User, IdentityError> {
    let current = get_user(store, admin_tenant, user_id).await?.ok_or(IdentityError::Store(StoreError::NotFound))?;
    let org_id = match org.map(str::trim).filter(|s| !s.is_empty()) {
        Some(slug) => Some(
            crate::kernel::organizations::get(store, admin_tenant, slug)
                .await?
                .ok_or_else(|| IdentityError::Invalid(Msg::new("error.org_unknown").arg("org", slug)))?
                .id,
        ),
        None if role.needs_org() => return Err(IdentityError::Invalid(Msg::new("error.role_needs_org"))),
        None => None,
    };
    let desa = desa.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if role == Role::VillageOperator && desa.is_none() {
        return Err(IdentityError::Invalid(Msg::new("error.role_needs_desa")));
    }
    let mut tx = store.begin().await?;
    tx.execute(
        sql("UPDATE users SET role = $1, org_id = $2, desa_code = $3, disabled = $4, updated_at = $5 WHERE tenant_id = $6 AND id = $7")
            .bind(role.as_str())
            .bind(org_id.clone())
            .bind(desa.clone())
            .bind(disabled)
            .bind(store.now_ms())
            .bind(admin_tenant)
            .bind(user_id),
    )
    .await?;
    if disabled {
        tx.execute(sql("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2").bind(admin_tenant).bind(user_id)).await?;
    }
    tx.commit().await?;
    verified.forget();
    Ok(User { role, org_id, desa_code: desa, disabled, ..current })
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 in hex: how secrets (and other things kept only to compare) are stored.
pub fn digest(secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 with default parameters").to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A random password for accounts made by the demo, shown once.
pub fn generate_password() -> String {
    random_secret()[..20].to_string()
}

// ---- login throttle ----------------------------------------------------

/// Failed logins per account before each further attempt must wait, and
/// per client address before the address is held back for the window.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// The longest an account's owner ever waits between attempts.
pub const MAX_ACCOUNT_DELAY_MS: i64 = 60 * 1000;

/// How long after its latest failure an account takes its next attempt:
/// nothing for the first few, then 1, 2, 4 ... seconds up to a minute.
/// Guessing stays slow (one try a minute), but a stranger's failures can
/// no longer lock the owner out for a quarter of an hour.
pub fn account_delay_ms(failures: i64) -> i64 {
    if failures < MAX_FAILURES_PER_ACCOUNT {
        return 0;
    }
    let doublings = (failures - MAX_FAILURES_PER_ACCOUNT).min(16) as u32;
    (1000i64 << doublings).min(MAX_ACCOUNT_DELAY_MS)
}

#[derive(Debug)]
pub enum LoginError {
    /// Wrong email or password (never says which).
    Invalid,
    /// Too many failures recently, for the account or the address.
    Throttled,
    Store(StoreError),
}

impl From<StoreError> for LoginError {
    fn from(e: StoreError) -> Self {
        LoginError::Store(e)
    }
}

/// Checks a password, counting failures per account and per address in the
/// store, so that every server of a deployment sees the same counts.
pub async fn authenticate(store: &Store, tenant_id: &str, email: &str, password: &str, address: &str) -> Result<User, LoginError> {
    let email = email.trim().to_lowercase();
    let now = store.now_ms();
    let since = now - FAILURE_WINDOW_MS;
    let account = store
        .fetch_one(
            sql("SELECT count(*) AS n, COALESCE(max(at), 0) AS latest FROM login_failures WHERE tenant_id = $1 AND email = $2 AND at > $3")
                .bind(tenant_id)
                .bind(&email)
                .bind(since),
        )
        .await?;
    let (by_account, latest): (i64, i64) = (account.get("n")?, account.get("latest")?);
    let by_address: i64 = store
        .fetch_scalar(
            sql("SELECT count(*) FROM login_failures WHERE tenant_id = $1 AND address = $2 AND at > $3")
                .bind(tenant_id)
                .bind(address)
                .bind(since),
        )
        .await?;
    if now < latest + account_delay_ms(by_account) || by_address >= MAX_FAILURES_PER_ADDRESS {
        return Err(LoginError::Throttled);
    }
    let row = store
        .fetch_optional(
            sql("SELECT id, password_hash, disabled FROM users WHERE tenant_id = $1 AND email = $2").bind(tenant_id).bind(&email),
        )
        .await?;
    let ok_id = match &row {
        Some(r) => {
            let hash: String = r.get("password_hash")?;
            let disabled: bool = r.get("disabled")?;
            (verify_password(password, &hash) && !disabled).then(|| r.get::<String>("id")).transpose()?
        }
        None => {
            // Spend the same time as for a real account, so timing does not
            // tell which emails exist.
            verify_password(password, DUMMY_HASH);
            None
        }
    };
    match ok_id {
        Some(id) => {
            store.execute(sql("DELETE FROM login_failures WHERE tenant_id = $1 AND email = $2").bind(tenant_id).bind(&email)).await?;
            Ok(get_user(store, tenant_id, &id).await?.ok_or(StoreError::NotFound)?)
        }
        None => {
            store
                .execute(
                    sql("INSERT INTO login_failures (tenant_id, id, email, address, at) VALUES ($1, $2, $3, $4, $5)")
                        .bind(tenant_id)
                        .bind(new_id())
                        .bind(&email)
                        .bind(address)
                        .bind(store.now_ms()),
                )
                .await?;
            Err(LoginError::Invalid)
        }
    }
}

const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0OKuYsoIUHcLoVGArgX6ZxxNPYHFHXEXqXhFGRCjkvI";

// ---- sessions ----------------------------------------------------------

pub const SESSION_COOKIE: &str = "pendopo_session";
pub const SESSION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

pub struct NewSession {
    /// The cookie value; only its digest is stored.
    pub secret: String,
    pub csrf: String,
}

pub async fn create_session(store: &Store, tenant_id: &str, user_id: &str) -> Result<NewSession, StoreError> {
    let secret = random_secret();
    let csrf = random_secret();
    let now = store.now_ms();
    store
        .execute(
            sql("INSERT INTO sessions (tenant_id, id, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(tenant_id)
                .bind(digest(&secret))
                .bind(user_id)
                .bind(&csrf)
                .bind(now)
                .bind(now + SESSION_TTL_MS),
        )
        .await?;
    Ok(NewSession { secret, csrf })
}

/// The signed-in user and the session's CSRF token, if the cookie names a
/// live session of an enabled user.
pub async fn session_user(store: &Store, tenant_id: &str, secret: &str) -> Result<Option<(User, String)>, StoreError> {
    let cols = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
    let q = format!(
        "SELECT {cols}, s.csrf FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
         WHERE s.tenant_id = $1 AND s.id = $2 AND s.expires_at > $3 AND u.disabled = 0"
    );
    let row = store.fetch_optional(crate::store::sql_built(q).bind(tenant_id).bind(digest(secret)).bind(store.now_ms())).await?;
    match row {
        Some(r) => Ok(Some((user_from_row(&r)?, r.get("csrf")?))),
        None => Ok(None),
    }
}

pub async fn end_session(store: &Store, tenant_id: &str, secret: &str) -> Result<(), StoreError> {
    store.execute(sql("DELETE FROM sessions WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(digest(secret))).await?;
    Ok(())
}

// ---- API tokens --------------------------------------------------------

/// Tokens start with this, so a leaked one is easy to recognise in logs and scanners.
pub const TOKEN_PREFIX: &str = "pdp_";

#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Unknown,
    Expired,
    Revoked,
}

pub async fn create_token(
    store: &Store,
    tenant_id: &str,
    user_id: &str,
    name: &str,
    expires_in_days: Option<i64>,
) -> Result<(TokenInfo, String), StoreError> {
    let raw = format!("{TOKEN_PREFIX}{}", random_secret());
    let now = store.now_ms();
    let info = TokenInfo {
        id: new_id(),
        name: if name.trim().is_empty() { "token".into() } else { name.trim().chars().take(100).collect() },
        created_at: now,
        expires_at: expires_in_days.map(|d| now + d * 86_400_000),
        revoked_at: None,
        last_used_at: None,
    };
    store
        .execute(
            sql("INSERT INTO api_tokens (tenant_id, id, user_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(tenant_id)
                .bind(&info.id)
                .bind(user_id)
                .bind(&info.name)
                .bind(digest(&raw))
                .bind(now)
                .bind(info.expires_at),
        )
        .await?;
    Ok((info, raw))
}

pub async fn list_tokens(store: &Store, tenant_id: &str, user_id: &str) -> Result<Vec<TokenInfo>, StoreError> {
    let rows = store
        .fetch_all(
            sql("SELECT id, name, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC")
                .bind(tenant_id)
                .bind(user_id),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(TokenInfo {
                id: r.get("id")?,
                name: r.get("name")?,
                created_at: r.get("created_at")?,
                expires_at: r.get("expires_at")?,
                revoked_at: r.get("revoked_at")?,
                last_used_at: r.get("last_used_at")?,
            })
        })
        .collect()
}

/// Revokes one of the user's own tokens; false if there is no such token.
/// `verified` forgets it (and every other token) at once.
pub async fn revoke_token(
    store: &Store,
    verified: &VerifiedTokens,
    tenant_id: &str,
    user_id: &str,
    token_id: &str,
) -> Result<bool, StoreError> {
    let n = store
        .execute(
            sql("UPDATE api_tokens SET revoked_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND id = $4 AND revoked_at IS NULL")
                .bind(store.now_ms())
                .bind(tenant_id)
                .bind(user_id)
                .bind(token_id),
        )
        .await?;
    verified.forget();
    Ok(n == 1)
}

/// How stale a token's `last_used_at` may be before a use writes it again.
const LAST_USED_STEP_MS: i64 = 60_000;

/// How long a verified token is believed without reading it again. A
/// revocation or a change of its user (role, disabled) in this process
/// forgets every token at once ([`VerifiedTokens::forget`]); another
/// process (a second server on the same PostgreSQL) goes on believing a
/// token it verified for at most this long.
const VERIFIED_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// The most tokens kept: past it, the cache starts again empty.
const VERIFIED_MAX: usize = 10_000;

/// API tokens verified lately, with their user: a client sending a
/// thousand writes a second (a sensor gateway) had each one read its token
/// and its user first, two reads for every write. Only tokens that were
/// valid are kept, never refusals; the server keeps one (`AppState::tokens`).
#[derive(Default)]
pub struct VerifiedTokens {
    inner: std::sync::Mutex<Verified>,
}

#[derive(Default)]
struct Verified {
    /// Bumped by every [`VerifiedTokens::forget`]: a verification that
    /// began before it is not kept (it may have read what was revoked).
    generation: u64,
    /// (tenant, token digest) to the token's user, when it expires, and
    /// when it was verified.
    tokens: std::collections::HashMap<(String, String), (User, Option<i64>, std::time::Instant)>,
}

impl VerifiedTokens {
    fn lock(&self) -> std::sync::MutexGuard<'_, Verified> {
        // Plain inserts and removals: a panic elsewhere leaves it usable.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The user of a token verified less than [`VERIFIED_FOR`] ago.
    fn user(&self, key: &(String, String), now_ms: i64) -> Option<User> {
        let verified = self.lock();
        let (user, expires_at, at) = verified.tokens.get(key)?;
        (at.elapsed() < VERIFIED_FOR && expires_at.is_none_or(|e| e > now_ms)).then(|| user.clone())
    }

    fn generation(&self) -> u64 {
        self.lock().generation
    }

    fn keep(&self, generation: u64, key: (String, String), user: User, expires_at: Option<i64>) {
        let mut verified = self.lock();
        if verified.generation != generation {
            return;
        }
        if verified.tokens.len() >= VERIFIED_MAX {
            verified.tokens.clear();
        }
        verified.tokens.insert(key, (user, expires_at, std::time::Instant::now()));
    }

    /// Forgets every verified token: after a token is revoked or a user
    /// changed, the next request reads them again.
    pub fn forget(&self) {
        let mut verified = self.lock();
        verified.generation += 1;
        verified.tokens.clear();
    }
}

/// The user of an API token, or why it is refused: believed from `verified`
/// for a short while (see [`VERIFIED_FOR`]), else read with its user in one
/// statement.
pub async fn token_user(
    store: &Store,
    verified: &VerifiedTokens,
    tenant_id: &str,
    raw: &str,
) -> Result<Result<User, TokenError>, StoreError> {
    let key = (tenant_id.to_string(), digest(raw.trim()));
    let now = store.now_ms();
    if let Some(user) = verified.user(&key, now) {
        return Ok(Ok(user));
    }
    let generation = verified.generation();
    let row = store
        .fetch_optional(
            sql("SELECT t.id AS token_id, t.expires_at, t.revoked_at, t.last_used_at,
                        u.tenant_id, u.id, u.email, u.name, u.role, u.org_id, u.desa_code, u.disabled, u.created_at
                 FROM api_tokens t LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id
                 WHERE t.tenant_id = $1 AND t.token_hash = $2")
            .bind(tenant_id)
            .bind(&key.1),
        )
        .await?;
    let Some(row) = row else { return Ok(Err(TokenError::Unknown)) };
    if row.get::<Option<i64>>("revoked_at")?.is_some() {
        return Ok(Err(TokenError::Revoked));
    }
    let expires_at = row.get::<Option<i64>>("expires_at")?;
    if expires_at.is_some_and(|e| e <= now) {
        return Ok(Err(TokenError::Expired));
    }
    // When it was last used, to the minute: a client filing a thousand
    // reports a second writes this once a minute, not once a request (each
    // write takes the embedded database's one writer).
    let token_id: String = row.get("token_id")?;
    if row.get::<Option<i64>>("last_used_at")?.is_none_or(|at| now - at >= LAST_USED_STEP_MS) {
        store
            .execute(
                sql("UPDATE api_tokens SET last_used_at = $1 WHERE tenant_id = $2 AND id = $3").bind(now).bind(tenant_id).bind(&token_id),
            )
            .await?;
    }
    // No user row (the LEFT JOIN's NULLs) or a disabled one: the token no longer works.
    if row.get::<Option<String>>("id")?.is_none() {
        return Ok(Err(TokenError::Revoked));
    }
    let user = user_from_row(&row)?;
    if user.disabled {
        return Ok(Err(TokenError::Revoked));
    }
    verified.keep(generation, key, user.clone(), expires_at);
    Ok(Ok(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("kata sandi rahasia");
        assert!(verify_password("kata sandi rahasia", &h));
        assert!(!verify_password("kata sandi rahasiA", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn emails_are_checked_for_shape() {
        assert!(valid_email("walidata@bojonegorokab.go.id"));
        for bad in ["", "a", "a@b", "@b.id", "a b@c.id", "a@.id", "a@b."] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
