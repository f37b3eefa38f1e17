//! The HTTP side of alerts (issue 17): `lantian_app::alerts` builds each webhook request
//! (WeCom, DingTalk, SMS gateway) and this module sends it with `ureq` (blocking, rustls),
//! from a blocking thread of `lantian serve`'s alerts loop (every 30 s). The application layer stays
//! free of network IO: it sees only the [`Sender`] trait.

use lantian_app::App;
use lantian_app::alerts::{self, Answer, Outgoing, Sender};
use std::time::Duration;

/// How long one webhook request may take in all (connect, send, answer).
pub const REQUEST_TIMEOUT_S: u64 = 10;
/// Bytes of a receiver's answer read at most.
pub const ANSWER_BYTES_MAX: u64 = 64 * 1024;
/// How often `lantian serve` evaluates the rules and sends what is due: twice a minute, so
/// an alert leaves within a minute of the data that triggers it (a run takes milliseconds
/// for a county's stations).
pub const CHECK_INTERVAL_S: u64 = 30;

/// A [`Sender`] over HTTP(S). A channel's URL is set by the bureau, not by the operator of
/// the server, so requests go only to public addresses (no loopback, private, link-local or
/// other special range: the server's own network and cloud metadata stay out of reach)
/// unless the operator allows private hosts (`lantian serve --alert-private-hosts`, for a
/// gateway on the office network), and redirects are not followed.
#[derive(Debug)]
pub struct HttpSender {
    agent: ureq::Agent,
    allow_private: bool,
}

impl HttpSender {
    pub fn new(allow_private: bool) -> HttpSender {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(REQUEST_TIMEOUT_S)))
            // A 4xx or 5xx is an answer to log, not an error without a body.
            .http_status_as_error(false)
            .max_redirects(0)
            .build();
        HttpSender {
            agent: config.into(),
            allow_private,
        }
    }

    /// Why `url`'s host may not be called, if it may not: it resolves to a non-public
    /// address and private hosts are not allowed.
    fn refused(&self, url: &str) -> Option<String> {
        if self.allow_private {
            return None;
        }
        let uri: ureq::http::Uri = url.parse().ok()?;
        let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
        let port = uri
            .port_u16()
            .unwrap_or(if uri.scheme_str() == Some("http") {
                80
            } else {
                443
            });
        let addrs = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
            .map_err(|e| e.to_string())
            .ok()?;
        addrs.map(|a| a.ip()).find(|ip| !is_public(*ip)).map(|ip| {
            format!(
                "{host} → {ip}: 不向内网或本机地址发送（运维可用 --alert-private-hosts 允许） / not a public address (the operator may allow private hosts with --alert-private-hosts)"
            )
        })
    }
}

/// Whether `ip` is an address of the public internet.
fn is_public(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v) => {
            let o = v.octets();
            !(v.is_loopback()
                || v.is_private()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || v.is_documentation()
                || v.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 198 && (o[1] & 0xfe) == 18))
        }
        std::net::IpAddr::V6(v) => {
            if let Some(v4) = v.to_ipv4_mapped() {
                return is_public(v4.into());
            }
            let s = v.segments();
            !(v.is_loopback()
                || v.is_unspecified()
                || v.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

impl Sender for HttpSender {
    fn post(&self, o: &Outgoing) -> Result<Answer, String> {
        if let Some(why) = self.refused(&o.url) {
            return Err(format!("{}: {why}", alerts::mask_url(&o.url)));
        }
        let mut r = self
            .agent
            .post(&o.url)
            .header("Content-Type", o.content_type)
            .send(o.body.as_bytes())
            .map_err(|e| format!("{}: {e}", alerts::mask_url(&o.url)))?;
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(ANSWER_BYTES_MAX)
            .read_to_string()
            .unwrap_or_else(|e| format!("(answer unreadable: {e})"));
        Ok(Answer { status, body })
    }
}

/// Starts the alerts' loop of `lantian serve` (every [`CHECK_INTERVAL_S`]): evaluate the rules, send what is due.
pub fn spawn(app: App, allow_private: bool) {
    tokio::spawn(async move {
        let sender = std::sync::Arc::new(HttpSender::new(allow_private));
        let mut tick = tokio::time::interval(Duration::from_secs(CHECK_INTERVAL_S));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let (a, s) = (app.clone(), sender.clone());
            match tokio::task::spawn_blocking(move || alerts::run_once(&a, s.as_ref())).await {
                Ok(Ok(r)) if r.recorded + r.delivered.sent + r.delivered.failed > 0 => {
                    tracing::info!(
                        "alerts: {} new, {} sent, {} retrying, {} failed",
                        r.recorded,
                        r.delivered.sent,
                        r.delivered.retrying,
                        r.delivered.failed
                    );
                }
                Ok(Err(e)) => tracing::warn!("alerts run failed: {e}"),
                _ => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_called_unless_private_hosts_are_allowed() {
        let cases = [
            ("127.0.0.1", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("0.0.0.0", false),
            ("::1", false),
            ("fd00::1", false),
            ("fe80::1", false),
            ("::ffff:127.0.0.1", false),
            ("203.0.113.5", false),
            ("101.226.1.1", true),
            ("2400:da00::6666", true),
        ];
        for (ip, public) in cases {
            assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
        }
        let strict = HttpSender::new(false);
        assert!(strict.refused("http://127.0.0.1:9/robot").is_some());
        assert!(strict.refused("https://[::1]/robot").is_some());
        assert!(
            HttpSender::new(true)
                .refused("http://127.0.0.1:9/robot")
                .is_none()
        );
    }
}
