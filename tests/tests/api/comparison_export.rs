//! `GET /api/v1/comparison/export`: the comparison as CSV and as an Excel workbook, read back
//! the way a spreadsheet reads them.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::json;

use crate::comparison::portfolio;
use crate::helpers::{TestResult, spawn_app};

#[tokio::test]
async fn the_csv_export_has_every_row_in_order_with_formulas_neutralised() -> TestResult {
    let app = spawn_app().await;
    let p = portfolio(&app).await;
    let token = Some(p.buyer.access_token.as_str());
    let alpha = p.get("Alpha Parts")?;
    let renamed = app.patch(&format!("/api/v1/suppliers/{}", alpha.id), token, json!({ "name": "=Alpha Parts" })).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);

    let reply = app.get("/api/v1/comparison/export?format=csv&sort=overall&order=desc", token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.content_type().starts_with("text/csv"), "{}", reply.content_type());
    assert!(reply.header("content-disposition").starts_with("attachment; filename=\"comparison-"));
    let bytes = reply.bytes.clone();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark for Excel");
    let text = String::from_utf8(bytes[3..].to_vec())?;
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 5, "a header and four rows: {text}");
    assert!(lines[0].starts_with("supplier_id,supplier_name,tier,tags,target_level"), "{}", lines[0]);
    assert!(lines[0].ends_with(&format!("category_{}", 24)) || lines[0].contains("category_1"), "{}", lines[0]);
    // Best overall first (Alpha 1.0, then Charlie, then Bravo 0), the unscored Delta last.
    let names: Vec<&str> = lines[1..].iter().map(|l| l.split(',').nth(1).unwrap_or_default()).collect();
    assert_eq!(names, ["'=Alpha Parts", "Charlie Electronics", "Bravo Castings", "Delta Logistics"]);
    let alpha_line: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(alpha_line[13], "1", "overall of Alpha: {}", lines[1]);
    assert_eq!(alpha_line[14], "1", "achieved level 1");

    // Filters apply as in the list; a missing or unknown format is named.
    let filtered = app.get("/api/v1/comparison/export?format=csv&tier=tier2", token).await;
    let text = String::from_utf8(filtered.bytes[3..].to_vec())?;
    assert_eq!(text.split("\r\n").filter(|l| !l.is_empty()).count(), 2, "{text}");
    app.get("/api/v1/comparison/export", token).await.assert_problem(422, "validation_failed");
    let bad = app.get("/api/v1/comparison/export?format=pdf", token).await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.body["errors"][0]["field"], "format");
    Ok(())
}

#[tokio::test]
async fn the_workbook_has_a_summary_a_heat_map_and_a_sheet_per_supplier() -> TestResult {
    let app = spawn_app().await;
    let p = portfolio(&app).await;
    let token = Some(p.buyer.access_token.as_str());
    let reply = app.get("/api/v1/comparison/export?format=xlsx&sort=overall&order=desc", token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.content_type(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(reply.bytes.to_vec()))?;
    let names = book.sheet_names();
    assert_eq!(names[..2], ["Summary".to_owned(), "Categories".to_owned()]);
    assert_eq!(names.len(), 6, "one sheet per supplier: {names:?}");
    assert!(names[2].starts_with("01 Alpha Parts"), "{names:?}");

    let summary = book.worksheet_range("Summary")?;
    assert_eq!(summary.height(), 5, "a header and four suppliers");
    assert_eq!(summary.get_value((1, 0)), Some(&Data::String("Alpha Parts".into())));
    assert_eq!(summary.get_value((1, 7)), Some(&Data::Float(1.0)), "Alpha's overall");
    assert_eq!(summary.get_value((1, 11)), Some(&Data::Float(1.0)), "Alpha's achieved level");
    let Some(Data::Float(charlie)) = summary.get_value((2, 7)) else { return Err("Charlie's overall".into()) };
    assert!((charlie - p.charlie_overall()).abs() < 1e-12, "{charlie}");
    assert_eq!(summary.get_value((4, 7)), Some(&Data::Empty), "Delta has no score");

    let heat = book.worksheet_range("Categories")?;
    assert_eq!(heat.height(), 5);
    assert_eq!(heat.width(), 25, "the supplier and 24 categories");
    let alpha_sheet = book.worksheet_range(&names[2])?;
    let answered = alpha_sheet.rows().filter(|r| r.get(4) == Some(&Data::String("implemented".into()))).count();
    assert_eq!(answered, p.scope.len(), "Alpha's answers are listed");
    Ok(())
}

#[tokio::test]
async fn another_buyer_exports_nothing_of_it() -> TestResult {
    let app = spawn_app().await;
    let _p = portfolio(&app).await;
    let stranger = app.signup("Stranger Motors").await;
    let reply = app.get("/api/v1/comparison/export?format=csv", Some(&stranger.access_token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let text = String::from_utf8(reply.bytes[3..].to_vec())?;
    assert_eq!(text.split("\r\n").filter(|l| !l.is_empty()).count(), 1, "only the header: {text}");
    Ok(())
}
