//! Project automation. `cargo run -p xtask -- tidy` runs the same checks as `cargo test -p xtask`.

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    match arg.as_str() {
        "tidy" => {
            let status = std::process::Command::new(env!("CARGO"))
                .args(["test", "-p", "xtask", "--test", "tidy"])
                .status();
            std::process::exit(status.map_or(2, |s| s.code().unwrap_or(2)));
        }
        _ => {
            eprintln!("usage: cargo run -p xtask -- tidy");
            std::process::exit(2);
        }
    }
}
