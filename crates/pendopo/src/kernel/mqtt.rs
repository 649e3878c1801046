//! Where the region's MQTT broker is (`--mqtt-url`): devices publish their
//! measures there, the flood warning announces status changes there, the
//! simulator publishes there. Plain TCP (a Mosquitto on the host or the
//! region's network); the client itself is `rumqttc`.

/// `mqtt://[user[:password]@]host[:port][?client_id=ID&prefix=TOPIC]`.
#[derive(Clone, PartialEq, Eq)]
pub struct MqttUrl {
    pub host: String,
    pub port: u16,
    pub login: Option<(String, String)>,
    /// The subscriber's client id: its session (subscriptions and the
    /// messages queued while it was away) lives under this name at the
    /// broker. Default `pendopo`.
    pub client_id: String,
    /// A topic prefix before IoT Agent's topics (`prefix/json/...`), for a
    /// broker shared by several deployments; empty by default.
    pub prefix: String,
}

impl std::fmt::Debug for MqttUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of any debug output.
        write!(f, "MqttUrl({}:{}, client {}, prefix '{}')", self.host, self.port, self.client_id, self.prefix)
    }
}

impl MqttUrl {
    /// Parses `--mqtt-url`; says what is wrong otherwise.
    pub fn parse(url: &str) -> Result<MqttUrl, String> {
        let Some(("mqtt" | "tcp", rest)) = url.trim().split_once("://") else {
            return Err("the MQTT URL must look like mqtt://[user:password@]host[:port][?client_id=ID&prefix=TOPIC]".into());
        };
        let super::mail::ServerParts { login, host, port, query } = super::mail::server_parts(rest, "MQTT", 1883)?;
        let mut out = MqttUrl { host: host.to_string(), port, login, client_id: "pendopo".into(), prefix: String::new() };
        for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
            match k {
                "client_id" if !v.is_empty() && v.len() <= 64 && !v.contains('%') => out.client_id = v.to_string(),
                "prefix" => out.prefix = v.trim_end_matches('/').to_string(),
                _ => return Err(format!("the MQTT URL's '{k}={v}' is not understood (client_id, prefix)")),
            }
        }
        Ok(out)
    }

    /// Options for a client of this broker under `client_id`.
    pub fn options(&self, client_id: &str) -> rumqttc::MqttOptions {
        let mut o = rumqttc::MqttOptions::new(client_id, self.host.clone(), self.port);
        o.set_keep_alive(std::time::Duration::from_secs(30));
        if let Some((user, pass)) = &self.login {
            o.set_credentials(user.clone(), pass.clone());
        }
        o
    }

    /// A topic under the prefix.
    pub fn topic(&self, topic: &str) -> String {
        if self.prefix.is_empty() {
            topic.to_string()
        } else {
            format!("{}{}{topic}", self.prefix, if topic.starts_with('/') { "" } else { "/" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_read_with_defaults_and_refuse_what_is_not_understood() {
        let u = MqttUrl::parse("mqtt://127.0.0.1").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.client_id.as_str(), u.prefix.as_str()), ("127.0.0.1", 1883, "pendopo", ""));
        let u = MqttUrl::parse("mqtt://iot:rah%40sia@broker:1884/?client_id=pendopo-2&prefix=bjn/").unwrap();
        assert_eq!(u.login, Some(("iot".into(), "rah@sia".into())));
        assert_eq!((u.port, u.client_id.as_str(), u.topic("/json/k/d/attrs")), (1884, "pendopo-2", "bjn/json/k/d/attrs".to_string()));
        assert!(MqttUrl::parse("http://x").is_err());
        assert!(MqttUrl::parse("mqtt://x:port").is_err());
        assert!(MqttUrl::parse("mqtt://x?qos=2").is_err());
        assert!(!format!("{:?}", MqttUrl::parse("mqtt://a:secret@x").unwrap()).contains("secret"));
    }
}
