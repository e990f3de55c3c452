//! The buyer's pages over real HTTP with a browser's cookie session: suppliers (form and CSV
//! import), campaigns, the comparison (table, heat map, radar, export) and settings.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Member, TestApp, TestResult, due_in, spawn_app};
use crate::web_client::{Page, Visitor as Browser};

/// Uploads a CSV to the import form as the page does.
async fn upload_csv(browser: &mut Browser<'_>, csv: &str, partial: bool) -> Result<Page, reqwest::Error> {
    let token = browser.get("/suppliers").await.csrf();
    let mut form = Form::new().text("_csrf", token);
    if partial {
        form = form.text("partial", "1");
    }
    let part = Part::bytes(csv.as_bytes().to_vec()).file_name("suppliers.csv").mime_str("text/csv")?;
    let response = browser.request(Method::POST, "/suppliers/import").multipart(form.part("file", part)).send().await?;
    Ok(browser.keep(response).await)
}

fn is_html(page: &Page) -> bool {
    page.header("content-type").starts_with("text/html")
}

#[tokio::test]
async fn every_buyer_page_renders_in_japanese_and_in_english() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Page Motors").await;
    for (language, words) in [
        ("ja", ["取引先", "キャンペーン", "取引先の比較", "メンバー"]),
        ("en", ["Suppliers", "Campaigns", "Supplier comparison", "Members"]),
    ] {
        let mut browser = Browser::signed_in(&app, &owner.email, language).await;
        for (path, word) in ["/suppliers", "/campaigns", "/comparison", "/settings"].into_iter().zip(words) {
            let page = browser.get(path).await;
            assert_eq!(page.status, StatusCode::OK, "{path} in {language}: {}", page.html);
            assert!(is_html(&page), "{path}: {}", page.header("content-type"));
            assert!(page.html.contains(&format!("<html lang=\"{language}\"")), "{path} in {language}");
            assert!(page.html.contains(word), "{path} in {language} lacks {word}");
            assert!(!page.html.contains("style=\""), "{path} has an inline style");
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_page_asks_an_anonymous_visitor_to_sign_in() -> TestResult {
    let app = spawn_app().await;
    let mut browser = Browser::with_language(&app, "en");
    for path in ["/suppliers", "/campaigns", "/comparison", "/settings"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.header("location").starts_with("/sign-in?next="), "{path}: {}", page.header("location"));
    }
    Ok(())
}

#[tokio::test]
async fn a_supplier_added_with_the_form_shows_in_the_list() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Form Motors").await;
    let mut browser = Browser::signed_in(&app, &owner.email, "en").await;
    let fields = [
        ("name", "Kanagawa Gear KK"),
        ("contact_name", "Suzuki"),
        ("contact_email", "suzuki@kanagawa-gear.example"),
        ("contact_locale", "ja"),
        ("tier", "tier2"),
        ("target_level", "2"),
        ("review_interval_months", ""),
        ("tags", "ecu, castings"),
    ];
    let added = browser.submit("/suppliers", "/suppliers", &fields).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    assert_eq!(added.header("location"), "/suppliers?done=supplier_added");

    let list = browser.get("/suppliers?done=supplier_added").await;
    assert!(list.html.contains("Kanagawa Gear KK"), "{}", list.html);
    assert!(list.html.contains("The supplier was added."));
    assert!(list.html.contains("method=\"post\" action=\"/suppliers\""), "an owner gets the form");
    let found = browser.get("/suppliers?q=kanagawa&tag=ecu&target_level=2").await;
    assert!(found.html.contains("Kanagawa Gear KK"));
    let other = browser.get("/suppliers?q=nobody").await;
    assert!(!other.html.contains("Kanagawa Gear KK"));

    // The same contact again: the service's conflict, shown with the form kept.
    let again = browser.submit("/suppliers", "/suppliers", &fields).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.html);
    assert!(again.html.contains("value=\"Kanagawa Gear KK\""));
    // A bad address: the form again with the message next to the field.
    let bad = browser
        .submit(
            "/suppliers",
            "/suppliers",
            &[("name", "X"), ("contact_email", "not-an-address"), ("target_level", "1")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("id=\"contact_email-error\""), "{}", bad.html);
    // A filter the service refuses is a 4xx page, not a 500.
    let refused = browser.get("/suppliers?target_level=9").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(is_html(&refused));
    Ok(())
}

#[tokio::test]
async fn the_csv_import_shows_its_report() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Import Motors").await;
    let mut browser = Browser::signed_in(&app, &owner.email, "en").await;
    let csv = "name,contact_name,contact_email,contact_locale,tier,target_level,tags\n\
               Alpha KK,A,alpha@import.example,ja,tier1,1,ecu\n\
               Beta KK,B,beta@import.example,en,tier2,2,\n";
    let page = upload_csv(&mut browser, csv, false).await?;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("id=\"import-report\""), "{}", page.html);
    assert!(page.html.contains("<dt>Created</dt><dd>2</dd>"), "{}", page.html);
    assert!(page.html.contains("Alpha KK") && page.html.contains("Beta KK"));

    let with_error = "name,contact_name,contact_email,contact_locale,tier,target_level,tags\n\
                      Alpha KK,A2,alpha@import.example,ja,tier1,3,\n\
                      ,X,broken,ja,,7,\n";
    let refused = upload_csv(&mut browser, with_error, false).await?;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
    assert!(refused.html.contains("nothing was imported"), "{}", refused.html);
    assert!(refused.html.contains("<td>3</td>"), "the rejected line is named: {}", refused.html);
    let partial = upload_csv(&mut browser, with_error, true).await?;
    assert_eq!(partial.status, StatusCode::OK, "{}", partial.html);
    assert!(partial.html.contains("<dt>Updated</dt><dd>1</dd>"), "{}", partial.html);

    // Without the form's token nothing is imported.
    let part = Part::bytes(csv.as_bytes().to_vec()).file_name("s.csv").mime_str("text/csv")?;
    let forged =
        browser.request(Method::POST, "/suppliers/import").multipart(Form::new().part("file", part)).send().await?;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn a_campaign_created_with_the_form_creates_its_assessments() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Campaign Motors").await;
    let (first, _) = app.create_supplier(&owner, "First Parts", 1).await;
    let (second, _) = app.create_supplier(&owner, "Second Parts", 2).await;
    let template = app.builtin_template(&owner).await;
    let mut browser = Browser::signed_in(&app, &owner.email, "ja").await;
    let due = due_in(30);
    let (first_box, second_box) = (format!("supplier.{first}"), format!("supplier.{second}"));
    let fields = [
        ("template_id", template.as_str()),
        ("name", "FY2026 web"),
        ("due_date", due.as_str()),
        ("target_level", ""),
        (first_box.as_str(), "1"),
        (second_box.as_str(), "1"),
    ];
    let created = browser.submit("/campaigns", "/campaigns", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let location = created.header("location").to_owned();
    let id = location
        .strip_prefix("/campaigns/")
        .and_then(|rest| rest.split('?').next())
        .ok_or_else(|| format!("redirected to {location}"))?
        .to_owned();

    let reply = app.get(&format!("/api/v1/campaigns/{id}"), Some(&owner.access_token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let assessments = reply.body["assessments"].as_array().cloned().unwrap_or_default();
    assert_eq!(assessments.len(), 2, "{}", reply.body);

    let page = browser.get(&location).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    for a in &assessments {
        let link = format!("/assessments/{}", a["id"].as_str().unwrap_or_default());
        assert!(page.html.contains(&link), "{link} missing: {}", page.html);
    }
    assert!(page.html.contains("First Parts") && page.html.contains("未着手"));
    let list = browser.get("/campaigns").await;
    assert!(list.html.contains("FY2026 web"));

    // A due date in the past: the service's refusal next to the field, the choices kept.
    let past =
        [("template_id", template.as_str()), ("name", "Late"), ("due_date", "2020-01-01"), (first_box.as_str(), "1")];
    let refused = browser.submit("/campaigns", "/campaigns", &past).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
    assert!(refused.html.contains("id=\"due_date-error\""), "{}", refused.html);
    assert!(refused.html.contains(&format!("name=\"supplier.{first}\" value=\"1\" checked")), "{}", refused.html);
    Ok(())
}

#[tokio::test]
async fn the_comparison_shows_a_heat_map_and_a_radar_once_an_assessment_is_accepted() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let saved = app.answer_all(&supplier, &assessment).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let path = format!("/api/v1/assessments/{assessment}/submit");
    let submitted = app.request(Method::POST, &path, Some(&supplier.access_token), None).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    let review = format!("/api/v1/assessments/{assessment}/review");
    let accepted = app.post(&review, Some(&buyer.access_token), json!({ "decision": "accept" })).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);

    let mut browser = Browser::signed_in(&app, &buyer.email, "en").await;
    let page = browser.get("/comparison").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("<svg class=\"radar\""), "{}", page.html);
    assert!(page.html.contains("role=\"img\"") && page.html.contains("<title>Parts Co: radar chart"));
    assert!(page.html.contains("class=\"cell h4\">100%</td>"), "{}", page.html);
    assert!(page.html.contains(&format!("/assessments/{assessment}")));
    assert!(page.html.contains("/comparison/export?format=csv"));
    let sorted = browser.get("/comparison?sort=overall&order=desc").await;
    assert_eq!(sorted.status, StatusCode::OK);
    assert!(sorted.html.contains("aria-sort=\"descending\""));
    let refused = browser.get("/comparison?sort=nonsense").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    let csv = browser.request(Method::GET, "/comparison/export?format=csv").send().await?;
    assert_eq!(csv.status(), StatusCode::OK);
    let content_type = csv.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let text = csv.text().await?;
    assert!(text.contains("Parts Co"), "{text}");
    let xlsx = browser.request(Method::GET, "/comparison/export?format=xlsx").send().await?;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await?.starts_with(b"PK"));
    let no_format = browser.get("/comparison/export").await;
    assert_eq!(no_format.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Without a session there is no export.
    let anonymous = Browser::with_language(&app, "en").get("/comparison/export?format=csv").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    Ok(())
}

fn user_id(app_users: &serde_json::Value, email: &str) -> String {
    app_users["data"]
        .as_array()
        .and_then(|d| d.iter().find(|u| u["email"] == email))
        .and_then(|u| u["id"].as_str())
        .unwrap_or_default()
        .to_owned()
}

async fn role_of(app: &TestApp, owner: &Member, email: &str) -> String {
    let users = app.get("/api/v1/users", Some(&owner.access_token)).await;
    users.body["data"]
        .as_array()
        .and_then(|d| d.iter().find(|u| u["email"] == email))
        .and_then(|u| u["role"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_owner_changes_a_role_on_the_settings_page_and_a_respondent_is_refused() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Settings Motors").await;
    let respondent = app.add_member(&owner, "respondent").await;
    let users = app.get("/api/v1/users", Some(&owner.access_token)).await;
    let (owner_id, respondent_id) = (user_id(&users.body, &owner.email), user_id(&users.body, &respondent.email));

    let mut browser = Browser::signed_in(&app, &owner.email, "en").await;
    let settings = browser.get("/settings").await;
    assert!(settings.html.contains(&respondent.email), "{}", settings.html);
    let changed =
        browser.submit("/settings", &format!("/settings/users/{respondent_id}"), &[("role", "reviewer")]).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.html);
    assert_eq!(role_of(&app, &owner, &respondent.email).await, "reviewer");

    let invited = browser
        .submit(
            "/settings",
            "/settings/invitations",
            &[("email", "new.colleague@settings.example"), ("role", "viewer")],
        )
        .await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.html);
    let after = browser.get("/settings").await;
    assert!(after.html.contains("new.colleague@settings.example"), "the pending invitation is listed");
    let bad = browser.submit("/settings", "/settings/invitations", &[("email", "nope"), ("role", "viewer")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("id=\"invite-email-error\""), "{}", bad.html);
    // The last owner cannot step down: the service's 409, as a page.
    let last = browser.submit("/settings", &format!("/settings/users/{owner_id}"), &[("role", "viewer")]).await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert!(is_html(&last));

    let demoted = app.add_member(&owner, "respondent").await;
    let mut other = Browser::signed_in(&app, &demoted.email, "en").await;
    let page = other.get("/settings").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(is_html(&page));
    let refused = other.submit("/assessments", &format!("/settings/users/{owner_id}"), &[("role", "viewer")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
    assert!(is_html(&refused));
    assert_eq!(role_of(&app, &owner, &owner.email).await, "owner");
    let no_supplier =
        other.submit("/assessments", "/suppliers", &[("name", "X"), ("contact_email", "x@x.example")]).await;
    assert_eq!(no_supplier.status, StatusCode::FORBIDDEN);
    // A respondent reads the registry and the campaigns, without the forms it may not use.
    for path in ["/suppliers", "/campaigns"] {
        let page = other.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            !page.html.contains(&format!("method=\"post\" action=\"{path}\"")),
            "{path} shows a form a respondent may not use"
        );
    }
    Ok(())
}

#[tokio::test]
async fn another_organizations_campaign_and_user_are_not_found() -> TestResult {
    let app = spawn_app().await;
    let theirs = app.signup("Other Motors").await;
    let (supplier, _) = app.create_supplier(&theirs, "Hidden Parts", 1).await;
    let campaign = app.create_campaign(&theirs, &[supplier], None).await;
    let id = campaign["id"].as_str().unwrap_or_default();
    let users = app.get("/api/v1/users", Some(&theirs.access_token)).await;
    let their_owner = user_id(&users.body, &theirs.email);

    let mine = app.signup("My Motors").await;
    let mut browser = Browser::signed_in(&app, &mine.email, "en").await;
    let page = browser.get(&format!("/campaigns/{id}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(is_html(&page));
    assert!(!page.html.contains("Hidden Parts"));
    let changed = browser.submit("/settings", &format!("/settings/users/{their_owner}"), &[("active", "0")]).await;
    assert_eq!(changed.status, StatusCode::NOT_FOUND);
    let list = browser.get("/suppliers").await;
    assert!(!list.html.contains("Hidden Parts"));
    let malformed = browser.get("/campaigns/not-a-uuid").await;
    assert!(malformed.status.is_client_error(), "{}", malformed.status);
    Ok(())
}
