//! Which archive chain `lantian serve` writes: `--gateway-name` whenever given (even as the
//! default `main`), else LANTIAN_GATEWAY_NAME, else the settings file's `gateway_name`,
//! else `main`.

use super::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

/// The chain a `lantian serve` on `dir` says it writes, started with `flag` as
/// `--gateway-name`, `env` as LANTIAN_GATEWAY_NAME and `config` as its settings file.
fn chain_of(
    dir: &std::path::Path,
    flag: Option<&str>,
    env: Option<&str>,
    config: Option<&std::path::Path>,
) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lantian"));
    cmd.args(["serve", "--data-dir", dir.to_str().unwrap()])
        .args(["--hj212", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .env_remove("LANTIAN_GATEWAY_NAME")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(f) = flag {
        cmd.args(["--gateway-name", f]);
    }
    if let Some(e) = env {
        cmd.env("LANTIAN_GATEWAY_NAME", e);
    }
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let mut child = Killed(cmd.spawn().unwrap());
    let out = child.0.stdout.take().unwrap();
    for line in BufReader::new(out).lines() {
        if let Some(name) = line.unwrap().strip_prefix("archive chain: ") {
            return name.to_owned();
        }
    }
    panic!("lantian serve ended without naming its archive chain")
}

#[test]
fn the_gateway_name_flag_beats_the_environment_which_beats_the_settings_file() {
    let dir = temp_dir("gateway-name");
    let data = dir.join("data");
    let settings = dir.join("serve.json");
    std::fs::write(&settings, r#"{"gateway_name": "from-file"}"#).unwrap();
    let file = Some(settings.as_path());
    // (flag, environment, settings file, the chain written)
    let cases = [
        (None, None, None, "main"),
        (None, None, file, "from-file"),
        (None, Some("from-env"), None, "from-env"),
        (None, Some("from-env"), file, "from-env"),
        (Some("from-flag"), Some("from-env"), file, "from-flag"),
        // Given as the default, the flag and the environment still win over the file.
        (Some("main"), None, file, "main"),
        (Some("main"), Some("from-env"), file, "main"),
        (None, Some("main"), file, "main"),
    ];
    for (flag, env, config, want) in cases {
        assert_eq!(
            chain_of(&data, flag, env, config),
            want,
            "--gateway-name {flag:?}, LANTIAN_GATEWAY_NAME {env:?}, settings file {}",
            config.is_some()
        );
    }
}
