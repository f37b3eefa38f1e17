//! A store on PostgreSQL describes itself without the password, wherever the URL carried it.

use super::{PgDb, pg_url};
use lantian_store::{Location, Store};

#[test]
fn a_postgres_store_describes_itself_without_its_password() {
    let Some(base) = pg_url() else { return };
    let db = PgDb::create(&base, "describe");
    // postgres://USER:PASSWORD@HOST/DB: the same server, the password given each way.
    let (scheme_user, place) = db.url.split_once('@').expect("the test URL has user:pw@");
    let (scheme_user, password) = scheme_user
        .rsplit_once(':')
        .expect("the test URL has a password");
    let forms = [
        db.url.clone(),
        format!("{scheme_user}@{place}?password={password}"),
        format!("{scheme_user}@{place}?application_name=lantian-test&password={password}"),
    ];
    for url in forms {
        let d = Store::open(&Location::Postgres(url.clone()))
            .unwrap()
            .describe();
        assert!(d.starts_with("PostgreSQL "), "{d}");
        for secret in [format!(":{password}@"), format!("password={password}")] {
            assert!(!d.contains(&secret), "{url} is described as {d}");
        }
    }
}
