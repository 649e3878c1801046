//! Who is on the other end of a request and how they reached us: the
//! client's address and the site's external address (scheme and host).
//! One rule for every slice: a proxy's `X-Forwarded-For` and
//! `X-Forwarded-Proto` count only when the peer is a configured trusted
//! proxy (`--trusted-proxy`), so a client cannot rotate its address past the
//! sign-in throttle, and links written behind the documented nginx say
//! `https://` everywhere (CKAN, DCAT, OCDS alike).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::{HOST, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::web::App;
use crate::web::error::AppError;

/// Whether cookies carry `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SecureCookies {
    /// When the client reached the site over TLS (`X-Forwarded-Proto: https` from a trusted proxy).
    #[default]
    Auto,
    Always,
    Never,
}

/// The client of one request, worked out once by [`identify`].
#[derive(Debug, Clone)]
pub struct Client {
    /// The client's address (the proxy's word for it when the peer is trusted).
    pub ip: Option<IpAddr>,
    pub https: bool,
    /// The Host the client asked for.
    pub host: String,
}

impl Client {
    /// The site's address as the client reached it, e.g. `https://satudata.bojonegorokab.go.id`.
    pub fn base_url(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.host)
    }

    /// The address the sign-in throttle counts by.
    pub fn address(&self) -> String {
        self.ip.map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into())
    }

    fn of(headers: &HeaderMap, peer: Option<IpAddr>, trusted: &[IpAddr]) -> Client {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| !s.is_empty());
        let via_proxy = peer.is_some_and(|p| trusted.contains(&p));
        let host = headers.get(HOST).and_then(|h| h.to_str().ok()).filter(|h| valid_host(h)).unwrap_or("localhost").to_string();
        if !via_proxy {
            return Client { ip: peer, https: false, host };
        }
        // The right-most address not of a trusted proxy is the client's:
        // anything to its left was written by the client itself.
        let forwarded =
            header("x-forwarded-for").map(|v| v.rsplit(',').filter_map(|a| a.trim().parse::<IpAddr>().ok()).find(|a| !trusted.contains(a)));
        let ip = forwarded.flatten().or(peer);
        let https = header("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
        Client { ip, https, host }
    }
}

/// A Host header we would write into a link: a name or address and a port.
fn valid_host(h: &str) -> bool {
    !h.is_empty() && h.len() <= 255 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
}

/// Middleware: works out the [`Client`] of each request, and adds `Secure`
/// to the cookies it is answered with when it came over TLS.
pub async fn identify(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client = Client::of(req.headers(), peer, &app.trusted_proxies);
    let secure = match app.secure_cookies {
        SecureCookies::Auto => client.https,
        SecureCookies::Always => true,
        SecureCookies::Never => false,
    };
    req.extensions_mut().insert(client);
    let mut res = next.run(req).await;
    if secure {
        let cookies: Vec<HeaderValue> = res.headers().get_all(SET_COOKIE).iter().cloned().collect();
        res.headers_mut().remove(SET_COOKIE);
        for c in cookies {
            let with = format!("{}; Secure", c.to_str().unwrap_or_default());
            res.headers_mut().append(SET_COOKIE, HeaderValue::from_str(&with).unwrap_or(c));
        }
    }
    res
}

impl FromRequestParts<App> for Client {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Client>().cloned().unwrap_or_else(|| Client::of(&parts.headers, None, &app.trusted_proxies)))
    }
}

/// Parses `--trusted-proxy` (addresses separated by commas).
pub fn parse_proxies(list: &str) -> Result<Vec<IpAddr>, String> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse().map_err(|_| format!("not an IP address: {s}"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let outsider: IpAddr = "203.0.113.9".parse().unwrap();
        let h = headers(&[
            ("host", "satudata.bojonegorokab.go.id"),
            ("x-forwarded-for", "1.2.3.4, 198.51.100.7"),
            ("x-forwarded-proto", "https"),
        ]);
        let via = Client::of(&h, Some(local), &[local]);
        assert_eq!(via.address(), "198.51.100.7", "the hop nginx saw, not what the client wrote");
        assert_eq!(via.base_url(), "https://satudata.bojonegorokab.go.id");
        let direct = Client::of(&h, Some(outsider), &[local]);
        assert_eq!(direct.address(), "203.0.113.9");
        assert_eq!(direct.base_url(), "http://satudata.bojonegorokab.go.id");
        let bad_host = Client::of(&headers(&[("host", "evil\"><script>")]), Some(outsider), &[]);
        assert_eq!(bad_host.base_url(), "http://localhost");
        assert_eq!(parse_proxies("127.0.0.1, ::1").unwrap().len(), 2);
        assert!(parse_proxies("nginx").is_err());
    }
}
