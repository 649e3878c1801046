//! Plain-text email over SMTP (RFC 5321), just what notifications need:
//! EHLO, AUTH PLAIN when the URL has a user, one MAIL FROM, one RCPT TO,
//! DATA, QUIT. Written here rather than pulling in a mail crate with its
//! own TLS stack: the usual setup is a relay on the same host or network
//! (Postfix, the provider's relay) reached over `smtp://`, which does TLS
//! onward. Errors name the step and the server's reply code only, never an
//! address, so they may be logged and shown.

use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Where and how to send: `smtp://[user[:password]@]host[:port][?from=address]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub login: Option<(String, String)>,
    /// The sender address (`from=`; `pendopo@localhost` without it).
    pub from: String,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of any debug output.
        write!(f, "Smtp({}:{}, from {})", self.host, self.port, self.from)
    }
}

/// How long one exchange with the server may take.
const TIMEOUT: Duration = Duration::from_secs(20);

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a server URL (`scheme://[user[:password]@]host[:port][?query]`)
/// says after its scheme: SMTP's and MQTT's are read alike.
pub(crate) struct ServerParts<'a> {
    pub login: Option<(String, String)>,
    pub host: &'a str,
    pub port: u16,
    pub query: &'a str,
}

/// Reads what follows the scheme of a server URL; `what` names the protocol
/// in errors.
pub(crate) fn server_parts<'a>(rest: &'a str, what: &str, default_port: u16) -> Result<ServerParts<'a>, String> {
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let rest = rest.trim_end_matches('/');
    let (login, hostport) = match rest.rsplit_once('@') {
        Some((userinfo, hostport)) => {
            let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            (Some((percent_decode(user), percent_decode(pass))), hostport)
        }
        None => (None, rest),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("the {what} port '{p}' is not a number"))?),
        None => (hostport, default_port),
    };
    if host.is_empty() {
        return Err(format!("the {what} URL names no host"));
    }
    Ok(ServerParts { login, host, port, query })
}

/// An address we put in a command or header: no spaces, brackets or line
/// breaks (nothing that could add a command or a header).
pub fn plain_address(a: &str) -> bool {
    let a = a.trim();
    a.len() <= 254 && a.contains('@') && !a.chars().any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c))
}

impl Smtp {
    /// Parses `--smtp-url`; says what is wrong otherwise.
    pub fn parse(url: &str) -> Result<Smtp, String> {
        let rest = match url.trim().split_once("://") {
            Some(("smtp", rest)) => rest,
            Some(("smtps", _)) => {
                return Err("smtps:// is not supported: point --smtp-url at a relay over smtp:// (it does TLS onward)".into());
            }
            _ => return Err("the SMTP URL must look like smtp://[user:password@]host[:port][?from=address]".into()),
        };
        let ServerParts { login, host, port, query } = server_parts(rest, "SMTP", 25)?;
        let mut from = "pendopo@localhost".to_string();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("from", v)) if plain_address(&percent_decode(v)) => from = percent_decode(v),
                _ => return Err(format!("unknown or bad SMTP URL parameter '{pair}' (only from=address)")),
            }
        }
        Ok(Smtp { host: host.trim_matches(['[', ']']).to_string(), port, login, from })
    }

    /// Sends one plain-text message in UTF-8 to `to`.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        if !plain_address(to) {
            return Err("the recipient address is not a plain address".into());
        }
        tokio::time::timeout(TIMEOUT * 3, self.exchange(to.trim(), subject, body))
            .await
            .map_err(|_| "the SMTP server took too long".to_string())?
    }

    async fn exchange(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let stream = TcpStream::connect((self.host.as_str(), self.port)).await.map_err(|e| format!("cannot reach the SMTP server: {e}"))?;
        let mut s = Session { io: BufReader::new(stream) };
        s.expect("greeting", 220).await?;
        s.command("EHLO", "EHLO pendopo", 250).await?;
        if let Some((user, pass)) = &self.login {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{pass}"));
            s.command("AUTH", &format!("AUTH PLAIN {token}"), 235).await?;
        }
        s.command("MAIL FROM", &format!("MAIL FROM:<{}>", self.from), 250).await?;
        s.command("RCPT TO", &format!("RCPT TO:<{to}>"), 250).await?;
        s.command("DATA", "DATA", 354).await?;
        let message = message(&self.from, to, subject, body);
        s.io.get_mut().write_all(message.as_bytes()).await.map_err(|e| format!("the SMTP connection broke: {e}"))?;
        s.expect("end of DATA", 250).await?;
        let _ = s.command("QUIT", "QUIT", 221).await;
        Ok(())
    }
}

/// The message as sent after DATA: headers, the body with CRLF line ends
/// and leading dots doubled, and the closing dot.
fn message(from: &str, to: &str, subject: &str, body: &str) -> String {
    let subject: String = subject.chars().filter(|c| !c.is_control()).collect();
    let subject =
        if subject.is_ascii() { subject } else { format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(subject)) };
    let mut out = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    );
    for line in body.lines() {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(".\r\n");
    out
}

struct Session {
    io: BufReader<TcpStream>,
}

impl Session {
    async fn command(&mut self, step: &str, line: &str, want: u16) -> Result<(), String> {
        let io = self.io.get_mut();
        io.write_all(format!("{line}\r\n").as_bytes()).await.map_err(|e| format!("the SMTP connection broke at {step}: {e}"))?;
        self.expect(step, want).await
    }

    /// Reads a (multi-line) reply and checks its code; the reply's text is
    /// not kept (it may echo an address).
    async fn expect(&mut self, step: &str, want: u16) -> Result<(), String> {
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(TIMEOUT, self.io.read_line(&mut line))
                .await
                .map_err(|_| format!("the SMTP server did not answer {step}"))?
                .map_err(|e| format!("the SMTP connection broke at {step}: {e}"))?;
            if n == 0 {
                return Err(format!("the SMTP server closed the connection at {step}"));
            }
            let code: u16 =
                line.get(..3).and_then(|c| c.parse().ok()).ok_or_else(|| format!("the SMTP server's reply to {step} is garbled"))?;
            if line.as_bytes().get(3) == Some(&b'-') {
                continue;
            }
            let ok = code == want || (want == 250 && code == 251);
            return if ok { Ok(()) } else { Err(format!("the SMTP server refused {step} with {code}")) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_port_login_and_sender() {
        let s = Smtp::parse("smtp://relay.local").unwrap();
        assert_eq!((s.host.as_str(), s.port, s.login.clone(), s.from.as_str()), ("relay.local", 25, None, "pendopo@localhost"));
        let s = Smtp::parse("smtp://lapor%40kab.id:p%3Ass@127.0.0.1:2525?from=layanan@kab.go.id").unwrap();
        assert_eq!(s.login, Some(("lapor@kab.id".into(), "p:ss".into())));
        assert_eq!((s.port, s.from.as_str()), (2525, "layanan@kab.go.id"));
        assert!(!format!("{s:?}").contains("p:ss"));
        for bad in ["smtps://h", "http://h", "smtp://h:x", "smtp://", "smtp://h?from=a b@c", "smtp://h?to=x"] {
            assert!(Smtp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_message_doubles_leading_dots_and_encodes_its_subject() {
        let m = message("a@b.id", "c@d.id", "Laporan dijawab – 2026", "Baris satu\n.titik\n");
        assert!(m.contains("Subject: =?UTF-8?B?"));
        assert!(m.ends_with("Baris satu\r\n..titik\r\n.\r\n"), "{m}");
        assert!(!plain_address("x@y.id\r\nRCPT TO:<z@w.id>") && plain_address("siti@contoh.id"));
    }
}
