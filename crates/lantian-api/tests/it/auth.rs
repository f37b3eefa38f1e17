//! Accounts: login, cookies, CSRF, roles, rate limiting, audit.

use super::*;
use serde_json::json;

#[tokio::test]
async fn login_sets_a_session_and_wrong_passwords_are_rate_limited() {
    let (app, store) = app("login");
    let (cookie, _) = login(&app, "admin").await;
    let me = call(&app, "GET", "/api/v1/me", None, &[("cookie", &cookie)])
        .await
        .json();
    assert_eq!(me["user"]["role"], "admin");
    assert_eq!(
        call(&app, "GET", "/api/v1/me", None, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    for _ in 0..5 {
        let r = call(
            &app,
            "POST",
            "/api/v1/login",
            Some(json!({ "username": "wk", "password": "wrong" })),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let r = call(
        &app,
        "POST",
        "/api/v1/login",
        Some(json!({ "username": "wk", "password": "correct horse battery" })),
        &[],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits after 5 failures"
    );
    let actions: Vec<String> = store
        .audit_events(100)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.contains(&"login".to_owned())
            && actions.iter().filter(|a| *a == "login.failed").count() == 5
    );
}

#[tokio::test]
async fn state_changes_need_the_csrf_token_and_the_right_role() {
    let (app, store) = app("csrf");
    let body = json!({ "id": "NEW-1", "name": "新站", "role": "township", "unit": "weibo" });
    assert_eq!(
        call(&app, "POST", "/api/v1/stations", Some(body.clone()), &[])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let (cookie, csrf) = login(&app, "admin").await;
    let r = call(
        &app,
        "POST",
        "/api/v1/stations",
        Some(body.clone()),
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");
    let r = call(
        &app,
        "POST",
        "/api/v1/stations",
        Some(body.clone()),
        &[("cookie", &cookie), ("x-csrf-token", "nope")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "wrong CSRF token");
    let r = call(
        &app,
        "POST",
        "/api/v1/stations",
        Some(body.clone()),
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert!(store.station("NEW-1").unwrap().is_some());
    assert_eq!(store.audit_events(10).unwrap()[0].action, "station.save");
    let (tcookie, tcsrf) = login(&app, "wk").await;
    let r = call(
        &app,
        "POST",
        "/api/v1/stations",
        Some(body),
        &[("cookie", &tcookie), ("x-csrf-token", &tcsrf)],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a township may not create stations"
    );
}

#[tokio::test]
async fn a_township_sees_its_own_stations_details_and_the_public_sees_public_pages() {
    let (app, _) = app("roles");
    let public = call(&app, "GET", "/api/v1/stations?per_page=100", None, &[])
        .await
        .json();
    assert!(
        public["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["pollutants"].is_null())
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/devices", None, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let (cookie, _) = login(&app, "wk").await;
    let mine = call(
        &app,
        "GET",
        "/api/v1/stations?per_page=100",
        None,
        &[("cookie", &cookie)],
    )
    .await
    .json();
    for s in mine["items"].as_array().unwrap() {
        assert_eq!(s["pollutants"].is_null(), s["unit"] != "wangkou", "{s}");
    }
    let r = call(
        &app,
        "GET",
        "/api/v1/stations/T-XC/series",
        None,
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        call(
            &app,
            "GET",
            "/api/v1/stations/T-WK/series",
            None,
            &[("cookie", &cookie)]
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/devices", None, &[("cookie", &cookie)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let (ops, _) = login(&app, "ops").await;
    assert_eq!(
        call(&app, "GET", "/api/v1/devices", None, &[("cookie", &ops)])
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn password_change_and_account_creation() {
    let (app, store) = app("pw");
    let (cookie, csrf) = login(&app, "admin").await;
    let h = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let r = call(
        &app,
        "POST",
        "/api/v1/password",
        Some(json!({ "old": "correct horse battery", "new": "short" })),
        &h,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = call(
        &app,
        "POST",
        "/api/v1/password",
        Some(json!({ "old": "correct horse battery", "new": "a much longer secret" })),
        &h,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(password::verify(
        "a much longer secret",
        &store.user("admin").unwrap().unwrap().password_hash
    ));
    let r = call(&app, "POST", "/api/v1/users", Some(json!({ "username": "dept", "password": "department pw 1", "role": "department", "unit": "市交通运输局" })), &h).await;
    assert_eq!(r.status, StatusCode::OK);
    // The new account changes its initial password before it may change anything.
    let r = call(
        &app,
        "POST",
        "/api/v1/login",
        Some(json!({ "username": "dept", "password": "department pw 1" })),
        &[],
    )
    .await;
    assert_eq!(r.json()["user"]["must_change_password"], true);
    let dc = r.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let dcsrf = r.json()["user"]["csrf"].as_str().unwrap().to_owned();
    let d = [("cookie", dc.as_str()), ("x-csrf-token", dcsrf.as_str())];
    let report = json!({ "action": "report", "text": "进展" });
    let r = call(
        &app,
        "POST",
        "/api/v1/ledger/M21/events",
        Some(report.clone()),
        &d,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&r.body).contains("must change the initial password first"));
    let same = json!({ "old": "department pw 1", "new": "department pw 1" });
    assert_eq!(
        call(&app, "POST", "/api/v1/password", Some(same), &d)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let new = json!({ "old": "department pw 1", "new": "department pw 2" });
    assert_eq!(
        call(&app, "POST", "/api/v1/password", Some(new), &d)
            .await
            .status,
        StatusCode::OK
    );
    let r = call(&app, "POST", "/api/v1/ledger/M21/events", Some(report), &d).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let r = call(
        &app,
        "POST",
        "/api/v1/users",
        Some(json!({ "username": "x", "password": "department pw 1", "role": "king" })),
        &h,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = call(&app, "POST", "/api/v1/logout", None, &h).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        call(&app, "GET", "/api/v1/me", None, &[("cookie", &cookie)])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
