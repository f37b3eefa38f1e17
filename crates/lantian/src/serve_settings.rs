//! The settings file's `hj212_2025` and `reverse_control` objects (docs/hj212-2025.md,
//! docs/reverse-control.md): each key checked, an unknown one or a wrong type named.

use anyhow::{Result, anyhow, bail};
use lantian_gateway::control;
use lantian_gateway::profile2025::Profile;
use lantian_hj212::sm4::Wire;
use serde_json::{Map, Value};
use std::time::Duration;

/// The object `group` of the settings file, its keys checked against `known`.
fn object<'a>(group: &str, v: &'a Value, known: &[&str]) -> Result<&'a Map<String, Value>> {
    let obj = v
        .as_object()
        .ok_or_else(|| anyhow!("setting {group}: expected a JSON object"))?;
    if let Some(k) = obj.keys().find(|k| !known.contains(&k.as_str())) {
        bail!(
            "setting {group}: unknown key {k:?} (known: {})",
            known.join(", ")
        );
    }
    Ok(obj)
}

fn number(group: &str, obj: &Map<String, Value>, key: &str) -> Result<Option<f64>> {
    obj.get(key)
        .map(|v| {
            v.as_f64()
                .filter(|n| *n >= 0.0 && n.is_finite())
                .ok_or_else(|| anyhow!("setting {group}.{key}: expected a number ≥ 0"))
        })
        .transpose()
}

fn flag(group: &str, obj: &Map<String, Value>, key: &str) -> Result<Option<bool>> {
    obj.get(key)
        .map(|v| {
            v.as_bool()
                .ok_or_else(|| anyhow!("setting {group}.{key}: expected true or false"))
        })
        .transpose()
}

fn seconds(n: f64) -> Duration {
    Duration::from_secs_f64(n)
}

/// `hj212_2025`: `key_grace_hours`, `default_wire` (`binary` | `hex`),
/// `require_encryption`, `not_computable` (false turns the sentinel rule off),
/// `not_computable_nines_min`, `not_computable_all_editions`.
pub fn profile2025(v: Option<&Value>) -> Result<Profile> {
    let mut p = Profile::default();
    let Some(v) = v else { return Ok(p) };
    const G: &str = "hj212_2025";
    let obj = object(
        G,
        v,
        &[
            "key_grace_hours",
            "default_wire",
            "require_encryption",
            "not_computable",
            "not_computable_nines_min",
            "not_computable_all_editions",
        ],
    )?;
    if let Some(h) = number(G, obj, "key_grace_hours")? {
        p.key_grace = seconds(h * 3600.0);
    }
    if let Some(w) = obj.get("default_wire") {
        p.default_wire = w
            .as_str()
            .and_then(Wire::parse)
            .ok_or_else(|| anyhow!("setting {G}.default_wire: expected \"binary\" or \"hex\""))?;
    }
    if let Some(b) = flag(G, obj, "require_encryption")? {
        p.require_encryption = b;
    }
    if let Some(b) = flag(G, obj, "not_computable")? {
        p.mapping.sentinel.enabled = b;
    }
    if let Some(n) = number(G, obj, "not_computable_nines_min")? {
        p.mapping.sentinel.nines_min = (n as usize).max(1);
    }
    if let Some(b) = flag(G, obj, "not_computable_all_editions")? {
        p.mapping.sentinel_all_editions = b;
    }
    Ok(p)
}

/// `reverse_control`: `enabled`, `backfill`, `lookback_days`, `requests_per_day_max`,
/// `answer_timeout_s`, `attempts_max`, `time_sync`, `time_sync_every_hours` (0: at login
/// only), `clock_drift_max_s`.
pub fn reverse_control(v: Option<&Value>) -> Result<control::Settings> {
    let mut s = control::Settings::default();
    let Some(v) = v else { return Ok(s) };
    const G: &str = "reverse_control";
    let obj = object(
        G,
        v,
        &[
            "enabled",
            "backfill",
            "lookback_days",
            "requests_per_day_max",
            "answer_timeout_s",
            "attempts_max",
            "time_sync",
            "time_sync_every_hours",
            "clock_drift_max_s",
        ],
    )?;
    if let Some(b) = flag(G, obj, "enabled")? {
        s.enabled = b;
    }
    if let Some(b) = flag(G, obj, "backfill")? {
        s.backfill = b;
    }
    if let Some(d) = number(G, obj, "lookback_days")? {
        s.lookback = seconds(d * 86_400.0);
    }
    if let Some(n) = number(G, obj, "requests_per_day_max")? {
        s.requests_per_day_max = n as u32;
    }
    if let Some(t) = number(G, obj, "answer_timeout_s")? {
        s.answer_timeout = seconds(t.max(1.0));
    }
    if let Some(n) = number(G, obj, "attempts_max")? {
        s.attempts_max = (n as u32).max(1);
    }
    if let Some(b) = flag(G, obj, "time_sync")? {
        s.time_sync = b;
    }
    if let Some(h) = number(G, obj, "time_sync_every_hours")? {
        s.time_sync_every = (h > 0.0).then(|| seconds(h * 3600.0));
    }
    if let Some(t) = number(G, obj, "clock_drift_max_s")? {
        s.clock_drift_max = seconds(t);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_key_is_applied_and_a_bad_one_is_named() {
        let p = profile2025(Some(&json!({"key_grace_hours": 2, "default_wire": "hex",
            "require_encryption": true, "not_computable": false})))
        .unwrap();
        assert_eq!(p.key_grace, Duration::from_secs(7200));
        assert_eq!(p.default_wire, Wire::HexText);
        assert!(p.require_encryption && !p.mapping.sentinel.enabled);
        let c = reverse_control(Some(&json!({"backfill": false, "clock_drift_max_s": 30,
            "time_sync_every_hours": 0, "lookback_days": 2})))
        .unwrap();
        assert!(!c.backfill && c.enabled && c.time_sync_every.is_none());
        assert_eq!(c.clock_drift_max, Duration::from_secs(30));
        assert_eq!(c.lookback, Duration::from_secs(2 * 86_400));
        for (bad, says) in [
            (json!({"key_grace": 1}), "unknown key \"key_grace\""),
            (json!({"default_wire": "base64"}), "default_wire"),
            (json!({"key_grace_hours": -1}), "key_grace_hours"),
        ] {
            let e = profile2025(Some(&bad)).unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
        let e = reverse_control(Some(&json!({"backfill": "yes"})))
            .unwrap_err()
            .to_string();
        assert!(e.contains("reverse_control.backfill"), "{e}");
    }
}
