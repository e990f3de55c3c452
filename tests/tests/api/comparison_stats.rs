//! The comparison's heatmap, item statistics and summary, and the same over GraphQL, on the
//! portfolio of `comparison`.

use serde_json::{Value, json};

use crate::comparison::{Portfolio, names, portfolio};
use crate::helpers::{TestApp, TestResult, spawn_app};

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-12)
}

async fn get(app: &TestApp, p: &Portfolio, path: &str) -> Value {
    let reply = app.get(path, Some(&p.buyer.access_token)).await;
    assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.body);
    reply.body
}

#[tokio::test]
async fn the_heatmap_lists_every_category_of_the_template_per_row() -> TestResult {
    let app = spawn_app().await;
    let p = portfolio(&app).await;
    let body = get(&app, &p, "/api/v1/comparison/heatmap?sort=overall&order=desc").await;
    let columns = body["categories"].as_array().ok_or("categories")?;
    assert_eq!(columns.len(), 24, "the check sheet's categories");
    assert!(columns.iter().all(|c| c["name"].as_str().is_some_and(|n| !n.is_empty())));
    let rows = body["data"].as_array().ok_or("data")?;
    let order: Vec<&str> = rows.iter().filter_map(|r| r["supplier"]["name"].as_str()).collect();
    assert_eq!(order, ["Alpha Parts", "Charlie Electronics", "Bravo Castings", "Delta Logistics"]);
    let numbers = |row: &Value| -> Vec<Value> {
        row["categories"].as_array().map(|c| c.iter().map(|c| c["number"].clone()).collect()).unwrap_or_default()
    };
    let heading: Vec<Value> = columns.iter().map(|c| c["number"].clone()).collect();
    let cell = |row: &Value, number: u64| -> Value {
        row["categories"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["number"] == number))
            .map(|c| c["achievement"].clone())
            .unwrap_or_default()
    };
    for row in rows {
        assert_eq!(numbers(row), heading, "template order in every row");
    }
    let (alpha, charlie, bravo, delta) = (&rows[0], &rows[1], &rows[2], &rows[3]);
    assert_eq!(alpha["assessment_id"], p.get("Alpha Parts")?.assessment.as_str());
    assert!(close(&cell(alpha, p.c1), 1.0) && close(&cell(bravo, p.c1), 0.0) && close(&cell(charlie, p.c1), 1.0));
    let m = p.scope.iter().filter(|(_, c)| *c == p.cm).count() as f64;
    assert!(close(&cell(charlie, p.cm), 0.5 * (m - 1.0) / m), "{}", cell(charlie, p.cm));
    assert_eq!(delta["assessment_id"], Value::Null);
    assert!(delta["categories"].as_array().is_some_and(|c| c.iter().all(|c| c["achievement"].is_null())));
    // A category without a level-1 item has nothing applicable: null even for Alpha.
    let in_scope: std::collections::BTreeSet<u64> = p.scope.iter().map(|(_, c)| *c).collect();
    if let Some(empty) = heading.iter().filter_map(Value::as_u64).find(|n| !in_scope.contains(n)) {
        assert_eq!(cell(alpha, empty), Value::Null);
    }
    // Paged like the comparison.
    let page = get(&app, &p, "/api/v1/comparison/heatmap?sort=overall&order=desc&limit=3").await;
    let cursor = page["next_cursor"].as_str().ok_or("cursor")?;
    let rest =
        get(&app, &p, &format!("/api/v1/comparison/heatmap?sort=overall&order=desc&limit=3&cursor={cursor}")).await;
    assert_eq!(rest["data"][0]["supplier"]["name"], "Delta Logistics");
    assert_eq!(rest["next_cursor"], Value::Null);
    Ok(())
}

#[tokio::test]
async fn item_statistics_count_the_scored_answers_and_find_the_weakest_requirement() -> TestResult {
    let app = spawn_app().await;
    let p = portfolio(&app).await;
    let body = get(&app, &p, &format!("/api/v1/comparison/items?template_id={}", p.template)).await;
    assert_eq!((body["template_id"].as_str(), body["suppliers"].as_u64()), (Some(p.template.as_str()), Some(3)));
    assert_eq!(body["next_cursor"], Value::Null);
    let items = body["data"].as_array().ok_or("data")?;
    assert_eq!(items.len(), 153, "every item of the check sheet");
    assert!(items.windows(2).all(|w| w[0]["no"].as_u64() < w[1]["no"].as_u64()), "by number");
    let item = |no: u64| items.iter().find(|i| i["no"] == no).cloned().unwrap_or_default();
    let (first, _) = p.scope[0];
    assert_eq!(
        item(first),
        json!({ "no": first, "level": 1, "category": p.c1, "implemented": 2, "partially_implemented": 0,
                "not_implemented": 1, "not_applicable": 0, "unanswered": 0 })
    );
    let weak = item(p.weak);
    assert_eq!((weak["implemented"].as_u64(), weak["not_implemented"].as_u64()), (Some(1), Some(2)), "{weak}");
    // Above the assessments' target level (1): asked of nobody, counted nowhere.
    let above = items.iter().find(|i| i["level"].as_u64() > Some(1)).ok_or("a level 2 item")?;
    let counted: u64 = ["implemented", "partially_implemented", "not_implemented", "not_applicable", "unanswered"]
        .iter()
        .filter_map(|k| above[*k].as_u64())
        .sum();
    assert_eq!(counted, 0, "{above}");

    let weakest = get(&app, &p, &format!("/api/v1/comparison/items?template_id={}&sort=weakest", p.template)).await;
    assert_eq!(weakest["data"][0]["no"], p.weak, "two of three did not implement it");
    let filtered = get(&app, &p, &format!("/api/v1/comparison/items?template_id={}&tier=tier2", p.template)).await;
    assert_eq!(filtered["suppliers"], 1, "Bravo only");
    let bravo_first = filtered["data"].as_array().and_then(|d| d.iter().find(|i| i["no"] == first)).cloned();
    assert_eq!(bravo_first.map(|i| i["not_implemented"].clone()), Some(json!(1)));
    Ok(())
}

#[tokio::test]
async fn the_summary_counts_statuses_shares_buckets_and_category_means() -> TestResult {
    let app = spawn_app().await;
    let p = portfolio(&app).await;
    let body = get(&app, &p, "/api/v1/comparison/summary").await;
    assert_eq!(body["rows"], 4);
    assert_eq!(
        body["statuses"],
        json!({ "sent": 0, "in_progress": 1, "submitted": 2, "changes_requested": 0, "accepted": 1, "cancelled": 0 })
    );
    assert_eq!(
        (body["overdue"].as_u64(), body["scored"].as_u64(), body["meets_target"].as_u64()),
        (Some(1), Some(3), Some(1))
    );
    assert!(close(&body["meets_target_share"], 1.0 / 3.0), "{}", body["meets_target_share"]);
    let buckets = body["overall_buckets"].as_array().ok_or("buckets")?;
    assert_eq!(buckets.len(), 10);
    assert!(close(&buckets[0]["from"], 0.0) && close(&buckets[9]["to"], 1.0));
    let charlie = (p.charlie_overall() * 10.0).floor() as usize;
    for (n, bucket) in buckets.iter().enumerate() {
        let expected = usize::from(n == 0) + usize::from(n == 9) + usize::from(n == charlie);
        assert_eq!(bucket["count"].as_u64(), Some(expected as u64), "bucket {n}: {}", body["overall_buckets"]);
    }
    let categories = body["categories"].as_array().ok_or("categories")?;
    assert_eq!(categories.len(), 24);
    let c1 = categories.iter().find(|c| c["number"] == p.c1).ok_or("c1")?;
    assert!(close(&c1["average"], 2.0 / 3.0) && c1["scored"] == 3, "{c1}");
    // Filtered: only the scored tier-1 suppliers.
    let tier1 = get(&app, &p, "/api/v1/comparison/summary?tier=tier1").await;
    assert_eq!((tier1["rows"].as_u64(), tier1["scored"].as_u64()), (Some(2), Some(2)));
    assert!(close(&tier1["meets_target_share"], 0.5));
    let unscored = get(&app, &p, "/api/v1/comparison/summary?status=in_progress").await;
    assert_eq!((unscored["rows"].as_u64(), unscored["meets_target_share"].clone()), (Some(1), Value::Null));
    Ok(())
}

#[tokio::test]
async fn graphql_answers_the_same_comparison_heatmap_items_and_summary() -> TestResult {
    let app = spawn_app().await;
    let p = portfolio(&app).await;
    let token = Some(p.buyer.access_token.as_str());
    let query = |after: &str| {
        format!(
            r#"{{ comparison(sort: OVERALL, order: DESC, first: 2{after}, filter: {{ templateId: "{}" }}) {{
                pageInfo {{ hasNextPage endCursor }}
                edges {{ cursor node {{ supplier {{ name tags }} assessment {{ status progress {{ answered total }} }}
                    score {{ overall level1 level2 achievedLevel meetsTarget status }} }} }} }} }}"#,
            p.template
        )
    };
    let first = app.graphql(token, &query("")).await;
    assert!(first.body["errors"].is_null(), "{}", first.body);
    let connection = &first.body["data"]["comparison"];
    let node_names = |c: &Value| -> Vec<String> {
        c["edges"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["node"]["supplier"]["name"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    assert_eq!(node_names(connection), ["Alpha Parts", "Charlie Electronics"]);
    assert_eq!(connection["pageInfo"]["hasNextPage"], true);
    let alpha = &connection["edges"][0]["node"];
    assert!(close(&alpha["score"]["level1"], 1.0) && alpha["score"]["level2"].is_null(), "{alpha}");
    assert_eq!(
        (alpha["score"]["status"].as_str(), alpha["score"]["meetsTarget"].as_bool()),
        (Some("ACCEPTED"), Some(true))
    );
    // The first edge's cursor continues after Alpha, as REST's next_cursor would.
    let after_alpha = connection["edges"][0]["cursor"].as_str().ok_or("cursor")?;
    let second = app.graphql(token, &query(&format!(r#", after: "{after_alpha}""#))).await;
    assert_eq!(node_names(&second.body["data"]["comparison"]), ["Charlie Electronics", "Bravo Castings"]);
    let end = connection["pageInfo"]["endCursor"].as_str().ok_or("endCursor")?;
    let rest = app.graphql(token, &query(&format!(r#", after: "{end}""#))).await;
    assert_eq!(node_names(&rest.body["data"]["comparison"]), ["Bravo Castings", "Delta Logistics"]);
    let rest_names = names(&app.get("/api/v1/comparison?sort=overall&order=desc", token).await);
    assert_eq!(rest_names, ["Alpha Parts", "Charlie Electronics", "Bravo Castings", "Delta Logistics"]);

    let others = app
        .graphql(
            token,
            &format!(
                r#"{{ heatmap(sort: CATEGORY, sortCategory: {c1}) {{ categories {{ number name }} nodes {{ supplier {{ name }} categories {{ number achievement }} }} }}
                   itemStats(templateId: "{t}", sort: WEAKEST) {{ suppliers items {{ no notImplemented }} }}
                   comparisonSummary(filter: {{ meetsTarget: false }}) {{ rows scored meetsTargetShare statuses {{ submitted }} overallBuckets {{ count }} }} }}"#,
                c1 = p.c1,
                t = p.template
            ),
        )
        .await;
    assert!(others.body["errors"].is_null(), "{}", others.body);
    let data = &others.body["data"];
    assert_eq!(data["heatmap"]["categories"].as_array().map(Vec::len), Some(24));
    assert_eq!(
        data["heatmap"]["nodes"][0]["supplier"]["name"], "Bravo Castings",
        "category 1 ascending: Bravo's 0 first"
    );
    assert_eq!(
        (data["itemStats"]["suppliers"].as_u64(), data["itemStats"]["items"][0]["no"].as_u64()),
        (Some(3), Some(p.weak))
    );
    assert_eq!(data["comparisonSummary"]["rows"], 2);
    assert_eq!(data["comparisonSummary"]["meetsTargetShare"], 0.0);
    assert_eq!(data["comparisonSummary"]["statuses"]["submitted"], 2);

    // Refusals name GraphQL's fields.
    for (query, field) in [
        ("{ comparison(sort: CATEGORY) { nodes { templateId } } }", "sortCategory"),
        (r#"{ comparison(after: "nope") { nodes { templateId } } }"#, "after"),
        ("{ comparison(first: 0) { nodes { templateId } } }", "first"),
        ("{ comparisonSummary(filter: { category: 2 }) { rows } }", "below"),
    ] {
        let refused = app.graphql(token, query).await;
        let error = &refused.body["errors"][0]["extensions"];
        assert_eq!(error["status"], 422, "{query}: {}", refused.body);
        assert_eq!(error["errors"][0]["field"], field, "{query}: {}", refused.body);
    }
    Ok(())
}
