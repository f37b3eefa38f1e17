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

/// A [`Sender`] over HTTP(S).
#[derive(Debug)]
pub struct HttpSender {
    agent: ureq::Agent,
}

impl HttpSender {
    pub fn new() -> HttpSender {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(REQUEST_TIMEOUT_S)))
            // A 4xx or 5xx is an answer to log, not an error without a body.
            .http_status_as_error(false)
            .build();
        HttpSender {
            agent: config.into(),
        }
    }
}

impl Default for HttpSender {
    fn default() -> Self {
        HttpSender::new()
    }
}

impl Sender for HttpSender {
    fn post(&self, o: &Outgoing) -> Result<Answer, String> {
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
pub fn spawn(app: App) {
    tokio::spawn(async move {
        let sender = std::sync::Arc::new(HttpSender::new());
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
