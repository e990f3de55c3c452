//! The web pages over HTTP: languages, security headers, cookies, CSRF, tenant isolation,
//! and the supplier's whole answer-submit-review cycle through forms (the browser tests in
//! `web_browser.rs` run the same cycle in Chromium, with the page's script).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app, unique_email};
use crate::web_client::Visitor;

#[tokio::test]
async fn the_sign_in_page_speaks_the_browsers_language() {
    let app = spawn_app().await;
    let ja = Visitor::new(&app).get("/sign-in").await;
    assert_eq!(ja.status, StatusCode::OK);
    assert!(ja.html.contains("<html lang=\"ja\">"), "{}", ja.html);
    assert!(ja.html.contains("Kensa にサインイン"));
    let en = Visitor::new(&app).english().get("/sign-in").await;
    assert!(en.html.contains("<html lang=\"en\">"));
    assert!(en.html.contains("Sign in to Kensa"));
    // Accept-Language with weights: English preferred over Japanese.
    let mut weighted = Visitor::new(&app);
    // (An unknown language first, then weights.)
    weighted.language = "fr;q=1, ja;q=0.5, en;q=0.8";
    assert!(weighted.get("/sign-in").await.html.contains("lang=\"en\""));

    // The switch wins over the browser's language and sticks.
    let mut switcher = Visitor::new(&app).english();
    let switched = switcher.get("/language/ja?next=/sign-in").await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.location(), "/sign-in");
    assert!(switcher.get("/sign-in").await.html.contains("Kensa にサインイン"));
    // The switch never sends anyone to another site.
    assert_eq!(switcher.get("/language/en?next=//evil.example").await.location(), "/");
}

#[tokio::test]
async fn pages_carry_a_strict_policy_and_cookie_flags() {
    let app = spawn_app().await;
    let owner = app.signup("Policy Motors").await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/sign-in").await;
    let csp = page.header("content-security-policy");
    for rule in
        ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"]
    {
        assert!(csp.contains(rule), "{rule} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.header("x-frame-options"), "DENY");
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    assert_eq!(page.header("referrer-policy"), "same-origin");
    assert_eq!(page.header("cache-control"), "no-store");
    let csrf_cookie = page.set_cookie("kensa_csrf").unwrap_or_default();
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"), "{csrf_cookie}");
    // The form carries a digest of the cookie's secret, never the secret itself.
    let secret = visitor.cookies.get("kensa_csrf").cloned().unwrap_or_default();
    assert!(!page.html.contains(&secret));

    let signed_in = visitor.sign_in(&owner.email, PASSWORD).await;
    let session = signed_in.set_cookie("kensa_session").unwrap_or_default();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax") && session.contains("Path=/"),
        "{session}"
    );
    // Development runs on plain HTTP; everywhere else the cookie is Secure (below).
    assert!(!session.contains("Secure"), "{session}");
    assert_eq!(signed_in.location(), "/assessments");

    // The script and stylesheet come from the binary.
    let script = visitor.get("/static/app.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.header("content-type").starts_with("text/javascript"));
    assert!(visitor.get("/static/app.css").await.header("content-type").starts_with("text/css"));
}

#[tokio::test]
async fn outside_development_every_page_cookie_is_secure() {
    let app = crate::helpers::spawn_app_with(|vars| {
        vars.insert("KENSA_ENV".into(), "production".into());
        vars.insert("KENSA_PUBLIC_URL".into(), "https://kensa.test".into());
    })
    .await;
    let owner = app.signup("Secure Motors").await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/sign-in").await;
    // `__Host-`: only this host over HTTPS may set them, so a sibling subdomain cannot
    // plant a session or a known CSRF secret.
    let csrf = page.set_cookie("__Host-kensa_csrf").unwrap_or_default();
    assert!(csrf.contains("Secure") && csrf.contains("Path=/") && !csrf.contains("Domain"), "{csrf}");
    let signed_in = visitor.sign_in(&owner.email, PASSWORD).await;
    let session = signed_in.set_cookie("__Host-kensa_session").unwrap_or_default();
    assert!(session.contains("Secure") && session.contains("HttpOnly"), "{session}");
    // An unprefixed cookie (as a subdomain could plant) is not a session here.
    let mut planted = Visitor::new(&app);
    let value = visitor.cookies.get("__Host-kensa_session").cloned().unwrap_or_default();
    planted.cookies.insert("kensa_session".into(), value);
    assert_eq!(planted.get("/assessments").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_form_without_its_token_or_from_another_site_is_refused() {
    let app = spawn_app().await;
    let (_buyer, supplier, assessment) = app.invited_supplier(1).await;
    let mut visitor = Visitor::new(&app);
    visitor.get("/sign-in").await;
    // No token, a wrong token: 403, as a page, and nobody signed in.
    let missing = visitor.post("/sign-in", &[("email", &supplier.email), ("password", PASSWORD)]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.header("content-type").starts_with("text/html"), "{}", missing.header("content-type"));
    assert!(missing.html.contains("フォームの有効期限が切れました"));
    let wrong = visitor.post("/sign-in", &[("_csrf", "0".repeat(64).as_str()), ("email", &supplier.email)]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(!visitor.cookies.contains_key("kensa_session"));

    visitor.sign_in(&supplier.email, PASSWORD).await;
    let sheet = visitor.get(&format!("/assessments/{assessment}")).await;
    let basis = sheet.basis_of(1);
    let save = format!("/assessments/{assessment}/items/1");
    // No token, or the token a page rendered before sign-in carried: refused. A signed-in
    // session's forms need the session's own token.
    let refused = visitor.post(&save, &[("basis", &basis), ("status", "implemented")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let anonymous = {
        use sha2::Digest;
        let secret = visitor.cookies.get("kensa_csrf").cloned().unwrap_or_default();
        hex::encode(sha2::Sha256::digest(format!("kensa-csrf:{secret}").as_bytes()))
    };
    let with_anonymous =
        visitor.post(&save, &[("_csrf", &anonymous), ("basis", &basis), ("status", "implemented")]).await;
    assert_eq!(with_anonymous.status, StatusCode::FORBIDDEN);
    // A request another site makes, even with the right token, is refused before the handler.
    let token = sheet.csrf();
    let body = format!("_csrf={token}&basis={basis}&status=implemented");
    let cross = app
        .client
        .post(app.url(&save))
        .header("cookie", format!("kensa_session={}", visitor.cookies["kensa_session"]))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://evil.example")
        .body(body.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let fetch_cross = app
        .client
        .post(app.url(&save))
        .header("cookie", format!("kensa_session={}", visitor.cookies["kensa_session"]))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fetch_cross.status(), StatusCode::FORBIDDEN);
    let questions = app.get(&format!("/api/v1/assessments/{assessment}/questions"), Some(&supplier.access_token)).await;
    assert_eq!(questions.body["data"][0]["answer"], serde_json::Value::Null, "a refused form saved nothing");

    // The same form with the page's token saves.
    let saved = visitor.post(&save, &[("_csrf", &token), ("basis", &basis), ("status", "implemented")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
}

#[tokio::test]
async fn a_cookie_never_authenticates_the_api() {
    let app = spawn_app().await;
    let owner = app.signup("Cookie Motors").await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&owner.email, PASSWORD).await;
    let cookie = format!("kensa_session={}", visitor.cookies["kensa_session"]);
    let me =
        app.client.get(app.url("/api/v1/me")).header("cookie", &cookie).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let graphql = app
        .client
        .post(app.url("/graphql"))
        .header("cookie", &cookie)
        .json(&json!({ "query": "{ me { user { email } } }" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let body: serde_json::Value = graphql.json().await.unwrap_or_default();
    assert!(body["data"]["me"].is_null(), "{body}");
    assert!(
        body["errors"][0]["extensions"]["code"].as_str().is_some_and(|c| c.starts_with("unauthenticated")),
        "{body}"
    );
    // The session itself works for pages.
    assert_eq!(visitor.get("/assessments").await.status, StatusCode::OK);
}

#[tokio::test]
async fn another_tenants_assessment_is_a_not_found_page() {
    let app = spawn_app().await;
    let (_buyer, _supplier, assessment) = app.invited_supplier(1).await;
    let stranger = app.signup("Stranger Motors").await;
    // The browser asks for English; the signed-in user's own language (Japanese) wins.
    let mut visitor = Visitor::new(&app).english();
    visitor.sign_in(&stranger.email, PASSWORD).await;
    let page = visitor.get(&format!("/assessments/{assessment}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.html.contains("ページが見つかりません"), "{}", page.html);
    assert!(!page.html.contains("Parts Co"), "nothing of the assessment shows");
    let token = visitor.get("/assessments").await.csrf();
    let save = visitor
        .post(
            &format!("/assessments/{assessment}/items/1"),
            &[("_csrf", &token), ("basis", "none"), ("status", "implemented")],
        )
        .await;
    assert_eq!(save.status, StatusCode::NOT_FOUND);
    let comment =
        visitor.post(&format!("/assessments/{assessment}/comments"), &[("_csrf", &token), ("body", "hi")]).await;
    assert_eq!(comment.status, StatusCode::NOT_FOUND);
    // Not signed in: pages send the visitor to sign in and back.
    let anonymous = Visitor::new(&app).get(&format!("/assessments/{assessment}")).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location(), format!("/sign-in?next=%2Fassessments%2F{assessment}"));
    // A malformed id is a not-found page too, never a 500.
    assert_eq!(visitor.get("/assessments/not-a-uuid").await.status, StatusCode::NOT_FOUND);
}

async fn scope(app: &TestApp, token: &str, assessment: &str) -> Vec<u32> {
    let questions = app.get(&format!("/api/v1/assessments/{assessment}/questions"), Some(token)).await;
    questions.body["data"]
        .as_array()
        .map(|q| q.iter().filter_map(|i| i["no"].as_u64().and_then(|n| u32::try_from(n).ok())).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_supplier_answers_through_the_pages_and_the_buyer_reviews() {
    let app = spawn_app().await;
    let buyer = app.signup("Review Motors").await;
    let (supplier_id, contact) = app.create_supplier(&buyer, "Page Parts", 1).await;
    let campaign = app.create_campaign(&buyer, &[supplier_id], Some(1)).await;
    let assessment = campaign["assessments"][0]["id"].as_str().unwrap_or_default().to_owned();
    app.run_worker().await;
    let token = app.supplier_token_for(&contact);

    // The mailed link opens the invitation page.
    let mut supplier = Visitor::new(&app).english();
    let invitation = supplier.get(&format!("/invitations/{token}")).await;
    assert_eq!(invitation.status, StatusCode::OK);
    assert!(invitation.html.contains("Review Motors") && invitation.html.contains("Lv1"), "{}", invitation.html);
    // A weak password is refused next to its field; what was typed stays.
    let weak = supplier
        .submit(
            &format!("/invitations/{token}"),
            &format!("/invitations/{token}"),
            &[("organization_name", "Page Parts KK"), ("name", "Sato"), ("email", &contact), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.html.contains("aria-invalid=\"true\"") && weak.html.contains("Page Parts KK"));
    let created = supplier
        .submit(
            &format!("/invitations/{token}"),
            &format!("/invitations/{token}"),
            &[("organization_name", "Page Parts KK"), ("name", "Sato"), ("email", &contact), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let list = supplier.get("/assessments").await;
    assert!(list.html.contains(&format!("/assessments/{assessment}")), "{}", list.html);
    // The link is used now, and says so.
    let used = Visitor::new(&app).english().get(&format!("/invitations/{token}")).await;
    assert_eq!(used.status, StatusCode::GONE);
    assert!(used.html.contains("already been used"));

    let items = {
        let api = app.login(&contact, PASSWORD).await;
        let access = api.body["access_token"].as_str().unwrap_or_default().to_owned();
        (scope(&app, &access, &assessment).await, access)
    };
    let (numbers, access) = items;
    assert!(!numbers.is_empty());
    let path = format!("/assessments/{assessment}");

    // Submitting early lists the open items.
    let sheet = supplier.get(&path).await;
    assert!(sheet.html.contains(&format!("href=\"#item-{}\"", numbers[0])));

    // The page is open; a colleague (a respondent of the supplier) answers item 1 through the
    // API; the page's save of item 1 is then stale: refused, naming the colleague, keeping
    // what was typed.
    let owner = crate::helpers::member(contact.clone(), &app.login(&contact, PASSWORD).await.body);
    let colleague = app.add_member(&owner, "respondent").await;
    let open_page = supplier.get(&path).await;
    let stale_basis = open_page.basis_of(numbers[0]);
    let token = open_page.csrf();
    let item = format!("{path}/items/{}", numbers[0]);
    let by_colleague = app
        .client
        .put(app.url(&format!("/api/v1/assessments/{assessment}/answers/{}", numbers[0])))
        .bearer_auth(&colleague.access_token)
        .json(&json!({ "status": "implemented" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(by_colleague.status().is_success(), "{}", by_colleague.status());
    let conflict = supplier
        .post(
            &item,
            &[("_csrf", &token), ("basis", &stale_basis), ("status", "not_applicable"), ("reason", "We typed this")],
        )
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    let notice_at = conflict.html.find("Someone else changed this item").unwrap_or_else(|| panic!("{}", conflict.html));
    let notice = &conflict.html[notice_at..(notice_at + 800).min(conflict.html.len())];
    assert!(notice.contains("respondent"), "the colleague who changed it is named: {notice}");
    assert!(conflict.html.contains("We typed this"), "the typed text is kept");
    // Saved again on top of what is there now, it wins.
    let current = supplier.get(&path).await.basis_of(numbers[0]);
    let saved = supplier.post(&item, &[("_csrf", &token), ("basis", &current), ("status", "implemented")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let api_view = app.get(&format!("/api/v1/assessments/{assessment}/questions"), Some(&access)).await;
    assert_eq!(api_view.body["data"][0]["answer"]["status"], "implemented", "the stale save changed nothing");

    // A script's save answers with the fragments it swaps in.
    let fresh = supplier.get(&path).await;
    let basis = fresh.basis_of(numbers[1]);
    let fragment = supplier
        .app
        .client
        .post(app.url(&format!("{path}/items/{}", numbers[1])))
        .header("cookie", format!("kensa_session={}", supplier.cookies["kensa_session"]))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-requested-with", "fetch")
        .body(format!(
            "_csrf={}&basis={}&status=partially_implemented&remediation_plan=Plan&remediation_due=2027-03-31",
            fresh.csrf(),
            basis
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fragment.status(), StatusCode::OK);
    let html = fragment.text().await.unwrap_or_default();
    assert!(html.contains(&format!("id=\"item-{}\"", numbers[1])) && html.contains("id=\"progress-panel\""));
    assert!(!html.contains("<html"), "a fragment, not a page");

    // Two evidence files on item 1, one of them a PDF.
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let uploaded = supplier.upload(&assessment, numbers[0], "policy.pdf", pdf, "application/pdf").await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.html);
    let uploaded =
        supplier.upload(&assessment, numbers[0], "inventory.csv", b"asset,owner\nPC-1,IT\n".to_vec(), "text/csv").await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.html);
    let with_files = supplier.get(&path).await;
    assert!(with_files.html.contains("policy.pdf") && with_files.html.contains("inventory.csv"));

    // Answer the rest, then submit.
    for no in &numbers[2..] {
        let page = supplier.get(&path).await;
        let basis = page.basis_of(*no);
        let done = supplier
            .post(
                &format!("{path}/items/{no}"),
                &[("_csrf", &page.csrf()), ("basis", &basis), ("status", "implemented")],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "item {no}: {}", done.html);
    }
    let page = supplier.get(&path).await;
    let version =
        app.get(&format!("/api/v1/assessments/{assessment}"), Some(&access)).await.body["version"].to_string();
    let submitted = supplier.post(&format!("{path}/submit"), &[("_csrf", &page.csrf()), ("version", &version)]).await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.html);
    let read_only = supplier.get(&path).await;
    assert!(read_only.html.contains("read only") && !read_only.html.contains("name=\"basis\""));

    // The buyer requests changes on item 1 in its own language.
    let mut reviewer = Visitor::new(&app);
    reviewer.sign_in(&buyer.email, PASSWORD).await;
    let review_page = reviewer.get(&path).await;
    assert!(review_page.html.contains("承認する"), "{}", review_page.html);
    let item_field = format!("item_{}", numbers[0]);
    let requested = reviewer
        .post(
            &format!("{path}/review"),
            &[
                ("_csrf", &review_page.csrf()),
                ("decision", "request_changes"),
                ("comment", "Please add the date"),
                (&item_field, "The policy has no date"),
            ],
        )
        .await;
    assert_eq!(requested.status, StatusCode::SEE_OTHER, "{}", requested.html);

    // The supplier sees the request, the item concerned and its comment; fixes; resubmits.
    let asked = supplier.get(&path).await;
    assert!(asked.html.contains("The buyer asked for changes"));
    assert!(asked.html.contains("The policy has no date"));
    assert!(asked.html.contains("class=\"item concerned\""), "the item is highlighted");
    let basis = asked.basis_of(numbers[0]);
    let fixed = supplier
        .post(
            &format!("{path}/items/{}", numbers[0]),
            &[("_csrf", &asked.csrf()), ("basis", &basis), ("status", "implemented"), ("comment", "Dated 2026-04-01")],
        )
        .await;
    assert_eq!(fixed.status, StatusCode::SEE_OTHER);
    let page = supplier.get(&path).await;
    let version =
        app.get(&format!("/api/v1/assessments/{assessment}"), Some(&access)).await.body["version"].to_string();
    let resubmitted = supplier.post(&format!("{path}/submit"), &[("_csrf", &page.csrf()), ("version", &version)]).await;
    assert_eq!(resubmitted.status, StatusCode::SEE_OTHER);

    let review_page = reviewer.get(&path).await;
    let accepted =
        reviewer.post(&format!("{path}/review"), &[("_csrf", &review_page.csrf()), ("decision", "accept")]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let status = app.get(&format!("/api/v1/assessments/{assessment}"), Some(&buyer.access_token)).await;
    assert_eq!(status.body["status"], "accepted");
}

#[tokio::test]
async fn links_that_do_not_work_explain_themselves() {
    let app = spawn_app().await;
    let unknown = Visitor::new(&app).english().get("/invitations/no-such-token").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.header("content-type").starts_with("text/html"));
    let join = Visitor::new(&app).get("/join/no-such-token").await;
    assert_eq!(join.status, StatusCode::NOT_FOUND);
    assert!(join.html.contains("ページが見つかりません"));
}

#[tokio::test]
async fn a_colleague_joins_through_the_mailed_link() {
    let app = spawn_app().await;
    let owner = app.signup("Join Motors").await;
    let email = unique_email("colleague");
    let invited = app
        .post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "reviewer" }))
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    app.run_worker().await;
    let token = app
        .mails_to(&email)
        .iter()
        .find_map(|m| crate::helpers::link_token(m, "/join/"))
        .unwrap_or_else(|| panic!("no join link mailed"));
    let mut visitor = Visitor::new(&app).english();
    let page = visitor.get(&format!("/join/{token}")).await;
    assert!(page.html.contains("Join Motors") && page.html.contains("Reviewer"), "{}", page.html);
    let joined = visitor
        .submit(&format!("/join/{token}"), &format!("/join/{token}"), &[("name", "Suzuki"), ("password", PASSWORD)])
        .await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.html);
    assert!(visitor.get("/assessments").await.html.contains("Suzuki"));
    assert_eq!(app.login(&email, PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn sessions_end_when_idle_and_on_sign_out() {
    let app = spawn_app().await;
    let owner = app.signup("Idle Motors").await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&owner.email, PASSWORD).await;
    assert_eq!(visitor.get("/assessments").await.status, StatusCode::OK);
    // Used within the idle timeout, the session lives on past it.
    app.clock.advance(chrono::Duration::hours(7));
    assert_eq!(visitor.get("/assessments").await.status, StatusCode::OK);
    app.clock.advance(chrono::Duration::hours(7));
    assert_eq!(visitor.get("/assessments").await.status, StatusCode::OK);
    // Idle for eight hours: over.
    app.clock.advance(chrono::Duration::hours(8));
    let idle = visitor.get("/assessments").await;
    assert_eq!(idle.status, StatusCode::SEE_OTHER);
    assert!(idle.location().starts_with("/sign-in"));
    assert!(!visitor.cookies.contains_key("kensa_session"), "the dead cookie is cleared");

    // Signing out ends the session on the server: the old cookie is worthless.
    let mut second = Visitor::new(&app);
    second.sign_in(&owner.email, PASSWORD).await;
    let cookie = second.cookies["kensa_session"].clone();
    let page = second.get("/assessments").await;
    let out = second.post("/sign-out", &[("_csrf", &page.csrf())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let mut replay = Visitor::new(&app);
    replay.cookies.insert("kensa_session".into(), cookie);
    assert_eq!(replay.get("/assessments").await.status, StatusCode::SEE_OTHER);

    // The worker's sweep deletes both ended sessions (idle and signed out); a live one stays.
    let mut live = Visitor::new(&app);
    live.sign_in(&owner.email, PASSWORD).await;
    let count = || async {
        use sea_orm::{ConnectionTrait, Statement};
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM browser_sessions",
            ))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no row"));
        row.try_get::<i64>("", "n").unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(count().await, 3);
    app.run_worker().await;
    assert_eq!(count().await, 1);
    assert_eq!(live.get("/assessments").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_claim_mail_opens_a_page_where_an_admin_decides() {
    let app = spawn_app().await;
    let buyer = app.signup("Claim Motors").await;
    let (supplier_id, contact) = app.create_supplier(&buyer, "Claim Parts", 1).await;
    let campaign = app.create_campaign(&buyer, &[supplier_id], Some(1)).await;
    let assessment = campaign["assessments"][0]["id"].as_str().unwrap_or_default().to_owned();
    app.run_worker().await;
    let token = app.supplier_token_for(&contact);
    // Accepted from another domain: the buyer must confirm.
    let mut stranger = Visitor::new(&app).english();
    let pending = stranger
        .submit(
            &format!("/invitations/{token}"),
            &format!("/invitations/{token}"),
            &[
                ("organization_name", "Other KK"),
                ("name", "Kato"),
                ("email", "kato@other.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(pending.status, StatusCode::OK);
    assert!(pending.html.contains("Waiting for the buyer to confirm"), "{}", pending.html);
    app.run_worker().await;
    let claim = app
        .mails_to(&buyer.email)
        .iter()
        .find_map(|m| crate::helpers::link_token(m, "/supplier-claims/"))
        .unwrap_or_else(|| panic!("no claim mail to the buyer"));
    let mut admin = Visitor::new(&app).english();
    admin.sign_in(&buyer.email, PASSWORD).await;
    let list = admin.get("/supplier-claims").await;
    assert!(list.html.contains(&format!("/supplier-claims/{claim}")), "{}", list.html);
    let page = admin.get(&format!("/supplier-claims/{claim}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("kato@other.example") && page.html.contains("Other KK"));
    let approved = admin.post(&format!("/supplier-claims/{claim}/approve"), &[("_csrf", &page.csrf())]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    // The buyer owner reads Japanese (its own language wins over the browser's).
    assert!(admin.get(&format!("/supplier-claims/{claim}")).await.html.contains("承認済み"));
    let kato = app.login("kato@other.example", PASSWORD).await;
    let token = kato.body["access_token"].as_str().unwrap_or_default();
    let seen = app.get(&format!("/api/v1/assessments/{assessment}"), Some(token)).await;
    assert_eq!(seen.status, StatusCode::OK, "the claimant's organization now answers");
    // A respondent of the buyer may not decide claims; another organization sees nothing.
    let respondent = app.add_member(&buyer, "respondent").await;
    let mut colleague = Visitor::new(&app);
    colleague.sign_in(&respondent.email, PASSWORD).await;
    assert_eq!(colleague.get(&format!("/supplier-claims/{claim}")).await.status, StatusCode::FORBIDDEN);
    let mut other = Visitor::new(&app);
    let outsider = app.signup("Outsider Motors").await;
    other.sign_in(&outsider.email, PASSWORD).await;
    assert_eq!(other.get(&format!("/supplier-claims/{claim}")).await.status, StatusCode::NOT_FOUND);
}

/// Every address in `mails` on Kensa's public URL, as a path.
fn mailed_paths(mails: &[String]) -> std::collections::BTreeSet<String> {
    let mut paths = std::collections::BTreeSet::new();
    for mail in mails {
        // Quoted-printable soft line breaks would cut addresses; the mails are 8-bit/base64-free here.
        for (i, _) in mail.match_indices("http://kensa.test/") {
            let rest = &mail[i + "http://kensa.test".len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>' || c == ')')
                .unwrap_or(rest.len());
            paths.insert(rest[..end].trim_end_matches(['.', ',']).to_owned());
        }
    }
    paths
}

#[tokio::test]
async fn every_link_kensa_mails_opens_a_page() {
    let app = spawn_app().await;
    // Invitation, acceptance, a colleague invitation, submission, a request for changes, a
    // claim from another domain, acceptance of the answers: the mails of the whole cycle.
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    app.add_member(&buyer, "reviewer").await;
    assert_eq!(app.answer_all(&supplier, &assessment).await.status, StatusCode::OK);
    let submit =
        app.post(&format!("/api/v1/assessments/{assessment}/submit"), Some(&supplier.access_token), json!({})).await;
    assert!(submit.status.is_success(), "{}", submit.body);
    let review = json!({ "decision": "request_changes", "comment": "Add dates" });
    let asked = app.post(&format!("/api/v1/assessments/{assessment}/review"), Some(&buyer.access_token), review).await;
    assert!(asked.status.is_success(), "{}", asked.body);
    app.claimed_invitation(&buyer, "Claim Gear", "ito@far.example").await;
    app.run_worker().await;

    let paths = mailed_paths(&app.mails());
    for prefix in ["/invitations/", "/join/", "/assessments/", "/supplier-claims/"] {
        assert!(paths.iter().any(|p| p.starts_with(prefix)), "no mailed link to {prefix}…: {paths:?}");
    }
    for path in &paths {
        // Opened by someone not signed in: the page itself, its sign-in, or a page saying
        // the link was used — never a missing route.
        let page = Visitor::new(&app).get(path).await;
        assert!(
            [StatusCode::OK, StatusCode::SEE_OTHER, StatusCode::GONE].contains(&page.status),
            "{path}: {} {}",
            page.status,
            page.html
        );
        assert!(page.status == StatusCode::SEE_OTHER || page.header("content-type").starts_with("text/html"), "{path}");
        // A page behind the sign-in opens for the right person once signed in.
        if page.status == StatusCode::SEE_OTHER && page.location().starts_with("/sign-in") {
            let mut member = Visitor::new(&app);
            member.sign_in(&buyer.email, PASSWORD).await;
            let signed_in = member.get(path).await;
            assert_eq!(signed_in.status, StatusCode::OK, "{path} for the buyer: {}", signed_in.html);
        }
    }
}

#[tokio::test]
async fn the_filters_the_long_texts_and_an_ended_session_behave() {
    let app = spawn_app().await;
    let (_buyer, supplier, assessment) = app.invited_supplier(1).await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&supplier.email, PASSWORD).await;
    let path = format!("/assessments/{assessment}");
    // The filter form sends an empty level for "all levels".
    let all = visitor.get(&format!("{path}?level=&unanswered=1")).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.html);
    let lv1 = visitor.get(&format!("{path}?level=1")).await;
    assert_eq!(lv1.status, StatusCode::OK);
    assert!(!lv1.html.contains("Lv2</span>"));
    assert_eq!(visitor.get(&format!("{path}?level=9")).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A remark of 10,000 Japanese characters (90,000 bytes as a form) saves.
    let numbers = app.scope_of(&supplier, &assessment).await;
    let no = u32::try_from(numbers[0]).unwrap_or_default();
    let page = visitor.get(&path).await;
    let remark = "あ".repeat(10_000);
    let saved = visitor
        .post(
            &format!("{path}/items/{no}"),
            &[("_csrf", &page.csrf()), ("basis", &page.basis_of(no)), ("status", "implemented"), ("comment", &remark)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.status);
    // An unanswered item leaves the "unanswered only" view once answered.
    let open = visitor.get(&format!("{path}?unanswered=1")).await;
    assert!(!open.html.contains(&format!("id=\"item-{no}\"")));

    // The session ends while the page is open: the save is answered "signed out" (401),
    // not "expired form", and saves nothing.
    let page = visitor.get(&path).await;
    app.clock.advance(chrono::Duration::hours(9));
    let late = visitor
        .post(
            &format!("{path}/items/{no}"),
            &[("_csrf", &page.csrf()), ("basis", &page.basis_of(no)), ("status", "not_applicable"), ("reason", "x")],
        )
        .await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED);
    assert!(late.html.contains("サインアウトされました"), "{}", late.html);
    let after = app.signed_in_again(&supplier).await;
    let answer = app.get(&format!("/api/v1/assessments/{assessment}/questions"), Some(&after.access_token)).await;
    assert_eq!(answer.body["data"][0]["answer"]["status"], "implemented");
}

#[tokio::test]
async fn a_session_in_daily_use_still_ends_thirty_days_after_sign_in() {
    let app = spawn_app().await;
    let owner = app.signup("Daily Motors").await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&owner.email, PASSWORD).await;
    // Used every seven hours: never idle for eight, for 29 days and 22 hours.
    for _ in 0..102 {
        app.clock.advance(chrono::Duration::hours(7));
        assert_eq!(visitor.get("/assessments").await.status, StatusCode::OK);
    }
    // 721 hours after sign-in, seven of them idle.
    app.clock.advance(chrono::Duration::hours(7));
    let ended = visitor.get("/assessments").await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER, "30 days after sign-in the session is over");
}

#[tokio::test]
async fn the_check_sheet_reads_in_english_with_the_japanese_original_one_click_away() -> crate::helpers::TestResult {
    let app = spawn_app().await;
    let (_, supplier, assessment) = app.invited_supplier(1).await;
    let english = "The company has formulated its own information security policy.";
    let japanese = "自社の情報セキュリティ対応方針(ポリシー)を策定している";
    let path = format!("/assessments/{assessment}");
    let mut en = Visitor::signed_in(&app, &supplier.email, "en").await;
    let page = en.get(&path).await;
    assert!(page.html.contains(english) && page.html.contains("Japanese original"), "{}", page.html);
    assert!(page.html.contains(japanese), "the original in the page, behind its summary");
    assert!(page.html.contains("Policy"), "the category's English name");
    let mut ja = Visitor::signed_in(&app, &supplier.email, "ja").await;
    let page = ja.get(&path).await;
    assert!(page.html.contains(japanese) && !page.html.contains(english), "{}", page.html);
    // The API carries both, and the template says whose the English is.
    let questions =
        app.get(&format!("/api/v1/assessments/{assessment}/questions?limit=1"), Some(&supplier.access_token)).await;
    assert_eq!(questions.body["data"][0]["question"], japanese);
    assert_eq!(questions.body["data"][0]["question_en"], english);
    assert_eq!(questions.body["data"][0]["no"], 1);
    Ok(())
}
