//! The buyer's comparison over REST: four suppliers answered the check sheet differently
//! (one never submitted), and every sort, filter and page of `GET /api/v1/comparison` is
//! checked against what they answered. Heatmap, items, summary and GraphQL are in
//! `comparison_stats`, on the same portfolio.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Member, Reply, TestApp, TestResult, spawn_app, unique_email};

/// One supplier of the portfolio as the tests know it.
#[derive(Clone, Debug)]
pub struct Known {
    pub name: &'static str,
    pub id: String,
    pub assessment: String,
    pub organization: Member,
}

/// Alpha implements everything (accepted), Bravo nothing (submitted), Charlie category `c1`
/// fully, item `weak` not at all and the rest partially (submitted); Delta answered three
/// items and is overdue, never submitted.
pub struct Portfolio {
    pub buyer: Member,
    pub template: String,
    pub suppliers: Vec<Known>,
    /// In-scope (level 1) items: (number, category).
    pub scope: Vec<(u64, u64)>,
    /// The category of the first in-scope item, and another one.
    pub c1: u64,
    pub cm: u64,
    /// An item of `cm` that Charlie did not implement.
    pub weak: u64,
}

impl Portfolio {
    pub fn get(&self, name: &str) -> Result<&Known, String> {
        self.suppliers.iter().find(|s| s.name == name).ok_or(format!("no supplier {name}"))
    }

    pub fn charlie_overall(&self) -> f64 {
        let n = self.scope.len() as f64;
        let k = self.scope.iter().filter(|(_, c)| *c == self.c1).count() as f64;
        (k + 0.5 * (n - k - 1.0)) / n
    }
}

async fn answer(app: &TestApp, who: &Member, assessment: &str, answers: Vec<Value>) {
    let path = format!("/api/v1/assessments/{assessment}/answers");
    let saved = app.post(&path, Some(&who.access_token), json!({ "answers": answers })).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
}

async fn submit(app: &TestApp, who: &Member, assessment: &str) {
    let path = format!("/api/v1/assessments/{assessment}/submit");
    let submitted = app.request(Method::POST, &path, Some(&who.access_token), None).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
}

pub async fn portfolio(app: &TestApp) -> Portfolio {
    let buyer = app.signup("Compare Motors").await;
    let specs = [
        ("Alpha Parts", "tier1", json!(["ecu"]), 1),
        ("Bravo Castings", "tier2", json!(["body"]), 2),
        ("Charlie Electronics", "tier1", json!(["ecu", "sensors"]), 1),
        ("Delta Logistics", "tier3", json!([]), 1),
    ];
    let mut created = Vec::new();
    for (name, tier, tags, level) in specs {
        let email = unique_email("compare");
        let body = json!({ "name": name, "contact_email": email, "tier": tier, "tags": tags, "target_level": level });
        let reply = app.post("/api/v1/suppliers", Some(&buyer.access_token), body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        created.push((name, reply.body["id"].as_str().unwrap_or_default().to_owned(), email));
    }
    let ids: Vec<String> = created.iter().map(|c| c.1.clone()).collect();
    let campaign = app.create_campaign(&buyer, &ids, Some(1)).await;
    let template = app.builtin_template(&buyer).await;
    app.run_worker().await;
    let mut suppliers = Vec::new();
    for (name, id, email) in created {
        let token = app.supplier_token_for(&email);
        let organization = app.accept_as_new_supplier(&token, &format!("{name} KK")).await;
        let assessment = campaign["assessments"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["supplier_id"] == id.as_str()))
            .and_then(|a| a["id"].as_str())
            .unwrap_or_default()
            .to_owned();
        suppliers.push(Known { name, id, assessment, organization });
    }
    let first = &suppliers[0];
    let questions = app
        .get(&format!("/api/v1/assessments/{}/questions", first.assessment), Some(&first.organization.access_token))
        .await;
    let scope: Vec<(u64, u64)> = questions.body["data"]
        .as_array()
        .map(|q| q.iter().filter_map(|i| Some((i["no"].as_u64()?, i["category"].as_u64()?))).collect())
        .unwrap_or_default();
    let c1 = scope[0].1;
    let cm = scope.iter().map(|(_, c)| *c).find(|c| *c != c1 && scope.iter().filter(|(_, x)| x == c).count() > 1);
    let cm = cm.unwrap_or_else(|| panic!("no second category with two level-1 items"));
    let weak = scope.iter().filter(|(_, c)| *c == cm).nth(1).map(|(no, _)| *no).unwrap_or_default();
    let all =
        |status: &str| -> Vec<Value> { scope.iter().map(|(no, _)| json!({ "no": no, "status": status })).collect() };
    let charlie: Vec<Value> = scope
        .iter()
        .map(|(no, c)| match (*no == weak, *c == c1) {
            (true, _) => json!({ "no": no, "status": "not_implemented" }),
            (_, true) => json!({ "no": no, "status": "implemented" }),
            _ => json!({ "no": no, "status": "partially_implemented" }),
        })
        .collect();
    let plans = |answers: Vec<Value>| -> Vec<Value> {
        answers
            .into_iter()
            .map(|mut a| {
                if a["status"] != "implemented" {
                    a["remediation_plan"] = json!("Next quarter");
                }
                a
            })
            .collect()
    };
    let [alpha, bravo, charlie_s, delta] = [&suppliers[0], &suppliers[1], &suppliers[2], &suppliers[3]];
    answer(app, &alpha.organization, &alpha.assessment, all("implemented")).await;
    answer(app, &bravo.organization, &bravo.assessment, plans(all("not_implemented"))).await;
    answer(app, &charlie_s.organization, &charlie_s.assessment, plans(charlie)).await;
    answer(app, &delta.organization, &delta.assessment, all("implemented").into_iter().take(3).collect()).await;
    for s in [alpha, bravo, charlie_s] {
        submit(app, &s.organization, &s.assessment).await;
    }
    let review = format!("/api/v1/assessments/{}/review", alpha.assessment);
    let accepted = app.post(&review, Some(&buyer.access_token), json!({ "decision": "accept" })).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    // Delta's is the one assessment still in progress (ids are stored differently per backend).
    app.execute_sql("UPDATE assessments SET due_date = '2020-01-01' WHERE status = 'in_progress'").await;
    Portfolio { buyer, template, suppliers, scope, c1, cm, weak }
}

pub fn names(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["data"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r["supplier"]["name"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The expected order: values ascending or descending, rows without one last, ties by
/// supplier id ascending.
fn ordered(p: &Portfolio, values: &BTreeMap<&str, Option<f64>>, desc: bool) -> Vec<String> {
    let mut rows: Vec<(&str, &str, Option<f64>)> =
        p.suppliers.iter().map(|s| (s.name, s.id.as_str(), values.get(s.name).copied().flatten())).collect();
    rows.sort_by(|a, b| {
        let by_value = match (a.2, b.2) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(x), Some(y)) if desc => y.total_cmp(&x),
            (Some(x), Some(y)) => x.total_cmp(&y),
        };
        by_value.then(a.1.cmp(b.1))
    });
    rows.into_iter().map(|r| r.0.to_owned()).collect()
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-12)
}

async fn list(app: &TestApp, p: &Portfolio, query: &str) -> Reply {
    app.get(&format!("/api/v1/comparison?{query}"), Some(&p.buyer.access_token)).await
}

#[tokio::test]
async fn each_row_shows_the_supplier_its_current_assessment_and_its_newest_score() -> TestResult {
    let app = spawn_app().await;
    let p = portfolio(&app).await;
    let reply = list(&app, &p, "").await;
    assert_eq!(names(&reply), ["Alpha Parts", "Bravo Castings", "Charlie Electronics", "Delta Logistics"]);
    assert_eq!(reply.body["next_cursor"], Value::Null);
    let n = p.scope.len() as u64;
    let charlie = &reply.body["data"][2];
    let known = p.get("Charlie Electronics")?;
    assert_eq!(
        charlie["supplier"],
        json!({ "id": known.id, "name": "Charlie Electronics", "tier": "tier1", "tags": ["ecu", "sensors"], "target_level": 1 })
    );
    assert_eq!(charlie["template_id"], p.template.as_str());
    assert_eq!(charlie["assessment"]["id"], known.assessment.as_str());
    assert_eq!(charlie["assessment"]["status"], "submitted");
    assert_eq!(charlie["assessment"]["overdue"], false);
    assert_eq!(charlie["assessment"]["progress"], json!({ "answered": n, "total": n }));
    let score = &charlie["score"];
    assert_eq!(score["assessment_id"], known.assessment.as_str());
    assert_eq!((score["status"].as_str(), score["accepted_at"].is_null()), (Some("submitted"), true));
    assert!(score["submitted_at"].is_string(), "{score}");
    assert!(close(&score["overall"], p.charlie_overall()), "{score}");
    assert!(close(&score["levels"]["1"], p.charlie_overall()), "{score}");
    assert_eq!((score["levels"]["2"].clone(), score["levels"]["3"].clone()), (Value::Null, Value::Null));
    assert_eq!((score["achieved_level"].as_u64(), score["meets_target"].as_bool()), (Some(0), Some(false)));
    assert_eq!(score["target_level"], 1);
    // The figures are those the assessment's own score reports.
    let own = app.get(&format!("/api/v1/assessments/{}/score", known.assessment), Some(&p.buyer.access_token)).await;
    assert_eq!(score["overall"], own.body["overall"]);

    let alpha = &reply.body["data"][0];
    assert_eq!(
        (alpha["assessment"]["status"].as_str(), alpha["score"]["status"].as_str()),
        (Some("accepted"), Some("accepted"))
    );
    assert!(close(&alpha["score"]["overall"], 1.0) && alpha["score"]["meets_target"] == true);
    assert!(alpha["score"]["accepted_at"].is_string());
    let delta = &reply.body["data"][3];
    assert_eq!(delta["score"], Value::Null, "never submitted");
    assert_eq!(delta["assessment"]["progress"], json!({ "answered": 3, "total": n }));
    assert_eq!(
        (delta["assessment"]["status"].as_str(), delta["assessment"]["overdue"].as_bool()),
        (Some("in_progress"), Some(true))
    );
    assert_eq!(delta["assessment"]["due_date"], "2020-01-01");
    Ok(())
}

#[tokio::test]
async fn every_sort_orders_both_ways_with_unscored_rows_last() -> TestResult {
    let app = spawn_app().await;
    let p = portfolio(&app).await;
    let by = |pairs: &[(&'static str, Option<f64>)]| -> BTreeMap<&'static str, Option<f64>> {
        pairs.iter().copied().collect()
    };
    let charlie = p.charlie_overall();
    let overall =
        by(&[("Alpha Parts", Some(1.0)), ("Bravo Castings", Some(0.0)), ("Charlie Electronics", Some(charlie))]);
    let nothing = by(&[]);
    let c1 = by(&[("Alpha Parts", Some(1.0)), ("Bravo Castings", Some(0.0)), ("Charlie Electronics", Some(1.0))]);
    let achieved = by(&[("Alpha Parts", Some(1.0)), ("Bravo Castings", Some(0.0)), ("Charlie Electronics", Some(0.0))]);
    // Due dates: Delta's is in the past, the others' all the same.
    let due = by(&[
        ("Alpha Parts", Some(1.0)),
        ("Bravo Castings", Some(1.0)),
        ("Charlie Electronics", Some(1.0)),
        ("Delta Logistics", Some(0.0)),
    ]);
    // Workflow order: in_progress < submitted < accepted.
    let status = by(&[
        ("Alpha Parts", Some(4.0)),
        ("Bravo Castings", Some(3.0)),
        ("Charlie Electronics", Some(3.0)),
        ("Delta Logistics", Some(1.0)),
    ]);
    let name = by(&[
        ("Alpha Parts", Some(1.0)),
        ("Bravo Castings", Some(2.0)),
        ("Charlie Electronics", Some(3.0)),
        ("Delta Logistics", Some(4.0)),
    ]);
    let c1_sort = format!("category&sort_category={}", p.c1);
    let cases: Vec<(&str, &BTreeMap<&str, Option<f64>>)> = vec![
        ("overall", &overall),
        ("level1", &overall),
        ("level2", &nothing),
        ("level3", &nothing),
        (&c1_sort, &c1),
        ("achieved_level", &achieved),
        ("due_date", &due),
        ("status", &status),
        ("supplier_name", &name),
    ];
    for (sort, values) in cases {
        for (order, desc) in [("asc", false), ("desc", true)] {
            let got = names(&list(&app, &p, &format!("sort={sort}&order={order}")).await);
            assert_eq!(got, ordered(&p, values, desc), "sort={sort}&order={order}");
        }
    }
    assert_eq!(names(&list(&app, &p, "sort=overall").await), ordered(&p, &overall, false), "asc by default");
    Ok(())
}

#[tokio::test]
async fn paging_one_row_at_a_time_walks_every_row_once_in_order() -> TestResult {
    let app = spawn_app().await;
    let p = portfolio(&app).await;
    let category = format!("sort=category&sort_category={}&order=asc", p.cm);
    let sorts = [
        "sort=overall&order=desc",
        "sort=overall&order=asc",
        "sort=status&order=asc",
        "sort=status&order=desc",
        "sort=achieved_level&order=asc",
        "sort=achieved_level&order=desc",
        "sort=level2&order=desc",
        "sort=due_date&order=desc",
        category.as_str(),
        "",
    ];
    for sort in sorts {
        let whole = names(&list(&app, &p, sort).await);
        let mut walked = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let after = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
            let page = list(&app, &p, &format!("{sort}&limit=1{after}")).await;
            walked.extend(names(&page));
            cursor = page.body["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(walked, whole, "{sort}: no duplicate, no gap");
        assert_eq!(whole.len(), 4);
    }
    // Two rows a page: the cursor of the last row continues.
    let first = list(&app, &p, "sort=overall&order=desc&limit=2").await;
    assert_eq!(names(&first), ["Alpha Parts", "Charlie Electronics"]);
    let cursor = first.body["next_cursor"].as_str().ok_or("a next cursor")?;
    let rest = list(&app, &p, &format!("sort=overall&order=desc&limit=2&cursor={cursor}")).await;
    assert_eq!(names(&rest), ["Bravo Castings", "Delta Logistics"]);
    assert_eq!(rest.body["next_cursor"], Value::Null);
    Ok(())
}

#[tokio::test]
async fn every_filter_keeps_only_the_rows_it_names() -> TestResult {
    let app = spawn_app().await;
    let p = portfolio(&app).await;
    let (a, b, c, d) = ("Alpha Parts", "Bravo Castings", "Charlie Electronics", "Delta Logistics");
    let cases: Vec<(String, Vec<&str>)> = vec![
        (format!("template_id={}", p.template), vec![a, b, c, d]),
        (format!("template_id={}", uuid::Uuid::new_v4()), vec![]),
        ("tier=tier1".into(), vec![a, c]),
        ("tag=ecu".into(), vec![a, c]),
        ("tag=sensors".into(), vec![c]),
        ("target_level=2".into(), vec![b]),
        ("status=submitted".into(), vec![b, c]),
        ("status=accepted".into(), vec![a]),
        ("status=in_progress".into(), vec![d]),
        ("meets_target=true".into(), vec![a]),
        ("meets_target=false".into(), vec![b, c]),
        ("achieved_level=0".into(), vec![b, c]),
        ("achieved_level=1".into(), vec![a]),
        ("overdue=true".into(), vec![d]),
        ("overdue=false".into(), vec![a, b, c]),
        (format!("category={}&below=0.75", p.cm), vec![b, c]),
        (format!("category={}&below=0.5", p.c1), vec![b]),
        (format!("category={}&below=1", p.c1), vec![b]),
        ("q=CHARLIE".into(), vec![c]),
        ("q=parts".into(), vec![a]),
        ("tier=tier1&meets_target=false".into(), vec![c]),
    ];
    for (query, expected) in cases {
        assert_eq!(names(&list(&app, &p, &query).await), expected, "{query}");
    }
    Ok(())
}

#[tokio::test]
async fn bad_sorts_cursors_and_half_filters_are_422_naming_the_field() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Compare Motors").await;
    let token = Some(buyer.access_token.as_str());
    let field = |reply: &Reply| reply.body["errors"][0]["field"].as_str().unwrap_or_default().to_owned();
    for (query, name) in [
        ("sort=bogus", "sort"),
        ("order=sideways", "order"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=e30", "cursor"),
        ("category=3", "below"),
        ("below=0.5", "category"),
        ("category=3&below=1.5", "below"),
        ("category=0&below=0.5", "category"),
        ("sort=category", "sort_category"),
        ("sort=overall&sort_category=2", "sort_category"),
        ("target_level=4", "target_level"),
        ("achieved_level=5", "achieved_level"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
    ] {
        for route in ["/api/v1/comparison", "/api/v1/comparison/heatmap"] {
            let reply = app.get(&format!("{route}?{query}"), token).await;
            assert_eq!(reply.status.as_u16(), 422, "{route}?{query}: {}", reply.body);
            assert_eq!(field(&reply), name, "{route}?{query}: {}", reply.body);
        }
    }
    // A cursor is bound to its sort and order.
    let (supplier, _) = app.create_supplier(&buyer, "Solo", 1).await;
    let (other, _) = app.create_supplier(&buyer, "Duo", 1).await;
    app.create_campaign(&buyer, &[supplier, other], None).await;
    let page = app.get("/api/v1/comparison?sort=overall&limit=1", token).await;
    let cursor = page.body["next_cursor"].as_str().ok_or("a cursor")?;
    for query in [format!("sort=level1&limit=1&cursor={cursor}"), format!("sort=overall&order=desc&cursor={cursor}")] {
        let reply = app.get(&format!("/api/v1/comparison?{query}"), token).await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(field(&reply), "cursor", "{}", reply.body);
    }
    let missing = app.get("/api/v1/comparison/items", token).await;
    assert_eq!((missing.status.as_u16(), field(&missing)), (422, "template_id".to_owned()), "{}", missing.body);
    let unknown = app.get(&format!("/api/v1/comparison/items?template_id={}", uuid::Uuid::new_v4()), token).await;
    assert_eq!((unknown.status.as_u16(), field(&unknown)), (422, "template_id".to_owned()), "{}", unknown.body);
    assert_eq!(unknown.body["errors"][0]["code"], "not_found");
    let half = app.get("/api/v1/comparison/summary?category=2", token).await;
    assert_eq!((half.status.as_u16(), field(&half)), (422, "below".to_owned()), "{}", half.body);
    Ok(())
}

#[tokio::test]
async fn another_buyer_and_the_suppliers_themselves_see_nothing_of_it() -> TestResult {
    let app = spawn_app().await;
    let p = portfolio(&app).await;
    let stranger = app.signup("Stranger Motors").await;
    let supplier = &p.get("Alpha Parts")?.organization;
    for who in [&stranger, supplier] {
        let token = Some(who.access_token.as_str());
        for route in ["/api/v1/comparison", "/api/v1/comparison/heatmap"] {
            let reply = app.get(route, token).await;
            assert_eq!((reply.status, reply.body["data"].clone()), (StatusCode::OK, json!([])), "{route}");
        }
        let summary = app.get("/api/v1/comparison/summary", token).await;
        assert_eq!(
            (summary.body["rows"].as_u64(), summary.body["scored"].as_u64()),
            (Some(0), Some(0)),
            "{}",
            summary.body
        );
        assert_eq!(summary.body["meets_target_share"], Value::Null);
        assert_eq!(summary.body["categories"], json!([]));
        let buckets = summary.body["overall_buckets"].as_array().ok_or("buckets")?;
        assert!(buckets.len() == 10 && buckets.iter().all(|b| b["count"] == 0), "{}", summary.body);
        let items = app.get(&format!("/api/v1/comparison/items?template_id={}", p.template), token).await;
        assert_eq!(items.body["suppliers"], 0, "{}", items.body);
        let rows = items.body["data"].as_array().ok_or("items")?;
        assert!(rows.iter().all(|i| i["implemented"] == 0 && i["not_implemented"] == 0 && i["unanswered"] == 0));
    }
    // A deleted supplier leaves the buyer's comparison.
    let delta = p.get("Delta Logistics")?;
    let deleted = app.delete(&format!("/api/v1/suppliers/{}", delta.id), Some(&p.buyer.access_token)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(names(&list(&app, &p, "").await), ["Alpha Parts", "Bravo Castings", "Charlie Electronics"]);
    Ok(())
}
