//! The check sheet as an Excel workbook both ways: downloaded blank, filled programmatically
//! (a copy of the downloaded file with edited cells, or by Python's openpyxl), uploaded, and
//! the answers read back through the API; every bad cell reported by its address.

use std::collections::HashMap;
use std::io::{Cursor, Write};

use calamine::{Data, Reader, SheetVisible, Xlsx};
use reqwest::{Method, StatusCode};
use rust_xlsxwriter::{Format, Formula, Workbook};
use serde_json::{Value, json};

use crate::helpers::{Member, Reply, TestApp, TestResult, external_program, spawn_app};
use crate::web_client::Visitor;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A value the test puts into a cell of its copy.
#[derive(Clone)]
enum Put {
    Text(String),
    Formula(String),
    Date(u16, u8, u8),
}

fn text(s: &str) -> Put {
    Put::Text(s.to_owned())
}

/// One sheet as read: name, hidden, cells by (row, column) with formulas kept.
struct SheetCopy {
    name: String,
    hidden: bool,
    cells: HashMap<(u32, u16), Put>,
}

/// A downloaded workbook read cell by cell, to be written again with edits.
struct BookCopy {
    sheets: Vec<SheetCopy>,
}

impl BookCopy {
    fn read(bytes: &[u8]) -> Result<Self, Box<dyn std::error::Error>> {
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec()))?;
        let metadata: Vec<(String, bool)> =
            book.sheets_metadata().iter().map(|s| (s.name.clone(), s.visible != SheetVisible::Visible)).collect();
        let mut sheets = Vec::new();
        for (name, hidden) in metadata {
            let mut cells = HashMap::new();
            let values = book.worksheet_range(&name)?;
            let (r0, c0) = values.start().unwrap_or((0, 0));
            for (r, c, value) in values.used_cells() {
                let at = (r0 + r as u32, (c0 as usize + c) as u16);
                let put = match value {
                    Data::String(s) => Put::Text(s.clone()),
                    Data::Float(f) => Put::Text(format!("#num:{f}")),
                    Data::Int(i) => Put::Text(format!("#num:{i}")),
                    Data::DateTime(d) => Put::Text(format!("#date:{}", d.as_f64())),
                    Data::Bool(b) => Put::Text(format!("#num:{}", u8::from(*b))),
                    _ => continue,
                };
                cells.insert(at, put);
            }
            let formulas = book.worksheet_formula(&name)?;
            let (r0, c0) = formulas.start().unwrap_or((0, 0));
            for (r, c, formula) in formulas.used_cells() {
                cells.insert((r0 + r as u32, (c0 as usize + c) as u16), Put::Formula(formula.clone()));
            }
            sheets.push(SheetCopy { name, hidden, cells });
        }
        Ok(Self { sheets })
    }

    fn sheet(&mut self, name: &str) -> &mut SheetCopy {
        match self.sheets.iter_mut().find(|s| s.name == name) {
            Some(s) => s,
            None => panic!("no sheet {name}"),
        }
    }

    fn write(&self) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let mut book = Workbook::new();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        for copy in &self.sheets {
            let sheet = book.add_worksheet().set_name(&copy.name)?;
            if copy.hidden {
                sheet.set_hidden(true);
            }
            for (&(r, c), put) in &copy.cells {
                match put {
                    Put::Text(t) if t.starts_with("#num:") => {
                        sheet.write_number(r, c, t[5..].parse::<f64>()?)?;
                    }
                    Put::Text(t) if t.starts_with("#date:") => {
                        sheet.write_number_with_format(r, c, t[6..].parse::<f64>()?, &date)?;
                    }
                    Put::Text(t) => {
                        sheet.write_string(r, c, t)?;
                    }
                    Put::Formula(f) => {
                        sheet.write_formula(r, c, Formula::new(f))?;
                    }
                    Put::Date(y, m, d) => {
                        sheet.write_datetime_with_format(
                            r,
                            c,
                            rust_xlsxwriter::ExcelDateTime::from_ymd(*y, *m, *d)?,
                            &date,
                        )?;
                    }
                }
            }
        }
        Ok(book.save_to_buffer()?)
    }
}

impl SheetCopy {
    fn text_at(&self, at: (u32, u16)) -> String {
        match self.cells.get(&at) {
            Some(Put::Text(t)) => t.clone(),
            _ => String::new(),
        }
    }

    /// The column headed `header` in row 1.
    fn column(&self, header: &str) -> u16 {
        (0..40u16).find(|c| self.text_at((0, *c)) == header).unwrap_or_else(|| panic!("no column {header}"))
    }

    /// The row of item `no`.
    fn row_of(&self, no: u64) -> u32 {
        let col = self.column("No.");
        (1..400u32)
            .find(|r| self.text_at((*r, col)) == format!("#num:{no}"))
            .unwrap_or_else(|| panic!("no row for No.{no}"))
    }

    fn put(&mut self, no: u64, header: &str, value: Put) -> String {
        let (row, col) = (self.row_of(no), self.column(header));
        self.cells.insert((row, col), value);
        format!("{}!{}", self.name, cell(row, col))
    }
}

fn cell(row: u32, col: u16) -> String {
    let mut letters = String::new();
    let mut n = u32::from(col) + 1;
    while n > 0 {
        letters.insert(0, char::from(b'A' + ((n - 1) % 26) as u8));
        n = (n - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

async fn download(app: &TestApp, member: &Member, assessment: &str, lang: &str) -> Reply {
    let reply =
        app.get(&format!("/api/v1/assessments/{assessment}/workbook?lang={lang}"), Some(&member.access_token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply
}

async fn upload(app: &TestApp, member: &Member, assessment: &str, bytes: Vec<u8>, headers: &[(&str, &str)]) -> Reply {
    // A connection of its own: the in-process test server (on the test's single-threaded
    // runtime) has been seen to drop a kept-alive connection after a refused upload, which
    // the pool would hand to the next request. The server binary keeps it (checked with
    // curl and Python's http.client on one connection).
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap_or_else(|e| panic!("{e}"));
    let mut req = client
        .request(Method::PUT, app.url(&format!("/api/v1/assessments/{assessment}/workbook")))
        .bearer_auth(&member.access_token)
        .header("content-type", XLSX);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let started = std::time::Instant::now();
    match req.body(bytes).send().await {
        Ok(r) => TestApp::read(r).await,
        Err(e) => panic!("upload after {:?}: {e:?}", started.elapsed()),
    }
}

/// The answers of an assessment by item number.
async fn answers(app: &TestApp, member: &Member, assessment: &str) -> HashMap<u64, Value> {
    let questions = app.get(&format!("/api/v1/assessments/{assessment}/questions"), Some(&member.access_token)).await;
    questions.body["data"]
        .as_array()
        .map(|q| q.iter().filter_map(|i| Some((i["no"].as_u64()?, i["answer"].clone()))).collect())
        .unwrap_or_default()
}

async fn version(app: &TestApp, member: &Member, assessment: &str) -> i64 {
    app.get(&format!("/api/v1/assessments/{assessment}"), Some(&member.access_token)).await.body["version"]
        .as_i64()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_filled_workbook_round_trips_japanese_and_english_labels_and_formula_like_text() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(2).await;
    let scope = app.scope_of(&supplier, &assessment).await;

    // Blank before answering starts: the three sheets, one row per in-scope item, the
    // hidden sheet naming the assessment.
    let blank = download(&app, &supplier, &assessment, "ja").await;
    assert_eq!(blank.content_type(), XLSX);
    assert!(blank.header("content-disposition").starts_with("attachment; filename=\"kensa-"));
    assert_eq!(blank.header("etag"), "\"1\"");
    let mut copy = BookCopy::read(&blank.bytes)?;
    let names: Vec<(&str, bool)> = copy.sheets.iter().map(|s| (s.name.as_str(), s.hidden)).collect();
    assert_eq!(names, [("表紙", false), ("チェックシート", false), ("_kensa", true)]);
    let meta = copy.sheet("_kensa");
    assert_eq!((meta.text_at((1, 0)), meta.text_at((1, 1))), ("assessment_id".to_owned(), assessment.clone()));
    let items = copy.sheet("チェックシート");
    let answer_col = items.column("回答");
    let rows = (1..400u32).filter(|r| !items.text_at((*r, 0)).is_empty()).count();
    assert_eq!(rows, scope.len(), "one row per in-scope item");
    assert!((1..=rows as u32).all(|r| items.text_at((r, answer_col)).is_empty()), "blank answers");

    let (a, b, c, d) = (scope[0], scope[1], scope[2], scope[3]);
    items.put(a, "回答", text("実施している"));
    items.put(b, "回答", text("Partially implemented"));
    items.put(b, "対策計画", text("Sign NDAs with every contractor"));
    items.put(b, "対策期日", Put::Date(2027, 3, 31));
    items.put(c, "回答", text("not_applicable"));
    items.put(c, "対象外の理由", text("No personal data is handled"));
    items.put(c, "備考", text("'=x keeps its quote"));
    items.put(d, "回答", text("実施していない"));
    items.put(d, "対策計画", text("=1+1 is how the plan starts"));
    items.put(d, "対策期日", text("2027/06/30 0:00:00"));
    items.put(d, "備考", text("@SUM(A1) stays text"));
    let filled = upload(&app, &supplier, &assessment, copy.write()?, &[("if-match", "\"1\"")]).await;
    assert_eq!(filled.status, StatusCode::OK, "{}", filled.body);
    assert_eq!(filled.header("etag"), "\"2\"");

    let saved = answers(&app, &supplier, &assessment).await;
    let field = |no: u64, f: &str| saved[&no][f].clone();
    assert_eq!(field(a, "status"), "implemented");
    assert_eq!(
        (field(b, "status"), field(b, "remediation_due")),
        (json!("partially_implemented"), json!("2027-03-31"))
    );
    assert_eq!(field(b, "remediation_plan"), "Sign NDAs with every contractor");
    assert_eq!(
        (field(c, "status"), field(c, "reason")),
        (json!("not_applicable"), json!("No personal data is handled"))
    );
    assert_eq!(field(c, "comment"), "'=x keeps its quote", "a leading quote is part of the text");
    assert_eq!(field(d, "remediation_plan"), "=1+1 is how the plan starts", "formula-like text is kept as text");
    assert_eq!((field(d, "comment"), field(d, "remediation_due")), (json!("@SUM(A1) stays text"), json!("2027-06-30")));
    assert!(saved[&scope[4]].is_null(), "an empty row stays unanswered");

    // Downloaded again: labels in the answer cells, formula-like text neutralised, the
    // cover's figures those of the score; uploaded unchanged, the answers stay as they are.
    let again = download(&app, &supplier, &assessment, "ja").await;
    let mut copy = BookCopy::read(&again.bytes)?;
    let items = copy.sheet("チェックシート");
    let (plan_col, row_d) = (items.column("対策計画"), items.row_of(d));
    assert_eq!(items.text_at((items.row_of(b), answer_col)), "一部実施している");
    assert_eq!(items.text_at((row_d, plan_col)), "=1+1 is how the plan starts", "kept exactly, as a string");
    assert!(zip_part(&again.bytes, "xl/styles.xml")?.contains("quotePrefix=\"1\""), "marked as typed text");
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(again.bytes.clone()))?;
    let cover = book.worksheet_range("表紙")?;
    let score = app.get(&format!("/api/v1/assessments/{assessment}/score"), Some(&buyer.access_token)).await;
    let figure = |label: &str| {
        cover.rows().find(|r| r.first() == Some(&Data::String(label.into()))).and_then(|r| r.get(1).cloned())
    };
    let overall = score.body["overall"].as_f64().ok_or("overall")?;
    assert!(matches!(figure("全体"), Some(Data::Float(f)) if (f - overall).abs() < 1e-9), "{:?}", figure("全体"));
    assert!(matches!(figure("Lv1"), Some(Data::Float(_))), "{:?}", figure("Lv1"));
    assert_eq!(figure("Lv3"), Some(Data::String("対象外".into())), "above the target");
    let achieved = score.body["achieved_level"].as_f64().ok_or("achieved")?;
    assert_eq!(figure("達成レベル"), Some(Data::Float(achieved)));
    let unchanged = upload(&app, &supplier, &assessment, copy.write()?, &[]).await;
    assert_eq!(unchanged.status, StatusCode::OK, "{}", unchanged.body);
    assert_eq!((unchanged.header("etag"), &unchanged.body["answers"]), ("\"2\"", &json!([])), "no new version");
    assert_eq!(answers(&app, &supplier, &assessment).await, saved, "not even saved again");

    // The buyer's copy is for reading: it downloads, it cannot upload.
    let buyers = download(&app, &buyer, &assessment, "en").await;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(buyers.bytes.clone()))?;
    let cover = book.worksheet_range("Cover")?;
    assert!(
        cover
            .used_cells()
            .any(|(_, _, v)| v == &Data::String("This copy is for reading: its answers cannot be changed.".into()))
    );
    upload(&app, &buyer, &assessment, buyers.bytes, &[]).await.assert_problem(403, "forbidden");
    Ok(())
}

/// The text of one part of the archive.
fn zip_part(bytes: &[u8], name: &str) -> Result<String, Box<dyn std::error::Error>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name(name)?, &mut text)?;
    Ok(text)
}

#[tokio::test]
async fn every_bad_cell_is_reported_by_address_and_item_and_nothing_is_saved() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, assessment) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &assessment).await;
    let blank = download(&app, &supplier, &assessment, "ja").await;
    let mut copy = BookCopy::read(&blank.bytes)?;
    let items = copy.sheet("チェックシート");
    let n = |i: usize| scope[i];
    let mut expected = vec![
        (items.put(n(0), "回答", text("たぶん")), "invalid_value", n(0)),
        (
            items.put(n(1), "回答", Put::Formula("HYPERLINK(\"http://evil.example\",\"実施している\")".into())),
            "formula_not_allowed",
            n(1),
        ),
        (items.put(n(2), "回答", text("対象外")), "required", n(2)),
        (items.put(n(3), "回答", text("Not implemented")), "", 0),
        (items.put(n(3), "対策期日", text("next week")), "invalid_value", n(3)),
        (items.put(n(4), "回答", text("実施している")), "", 0),
        (items.put(n(4), "備考", Put::Formula("1+1".into())), "formula_not_allowed", n(4)),
        (items.put(n(5), "回答", text("Implemented")), "", 0),
        (items.put(n(5), "対策計画", text("Nothing to do")), "not_allowed", n(5)),
        (items.put(n(6), "対象外の理由", text("An answer is missing")), "required", n(6)),
        (items.put(n(8), "回答", text("実施している")), "", 0),
        (items.put(n(8), "対策期日", Put::Date(2027, 3, 31)), "not_allowed", n(8)),
    ];
    // Not applicable without a reason is reported at the reason cell; a plan beside
    // `implemented` at the plan cell, a date alone at the date cell; a reason without an
    // answer at the answer cell.
    expected[2].0 = expected[2].0.replace(
        &cell(items.row_of(n(2)), items.column("回答")),
        &cell(items.row_of(n(2)), items.column("対象外の理由")),
    );
    expected[9].0 = format!("チェックシート!{}", cell(items.row_of(n(6)), items.column("回答")));
    items.put(n(7), "回答", text("実施している"));
    let reply = upload(&app, &supplier, &assessment, copy.write()?, &[]).await;
    reply.assert_problem(422, "validation_failed");
    let mut got: Vec<(String, String, String)> = reply.body["errors"]
        .as_array()
        .ok_or("errors")?
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or("").to_owned(),
                e["code"].as_str().unwrap_or("").to_owned(),
                e["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> =
        expected.iter().filter(|e| !e.1.is_empty()).map(|e| (e.0.clone(), e.1.to_owned())).collect();
    want.sort();
    assert_eq!(got.iter().map(|g| (g.0.clone(), g.1.clone())).collect::<Vec<_>>(), want, "{got:#?}");
    for (field, _, message) in &got {
        let no = expected.iter().find(|e| &e.0 == field).map(|e| e.2).unwrap_or_default();
        assert!(message.contains(&format!("No.{no}")), "{field}: {message}");
    }
    assert!(answers(&app, &supplier, &assessment).await.values().all(Value::is_null), "nothing saved");
    assert_eq!(version(&app, &supplier, &assessment).await, 1);
    Ok(())
}

#[tokio::test]
async fn a_workbook_of_another_assessment_or_an_older_version_is_refused() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, assessment) = app.invited_supplier(1).await;
    let (_, other_supplier, other) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &assessment).await;
    let blank = download(&app, &supplier, &assessment, "ja").await;
    let mut copy = BookCopy::read(&blank.bytes)?;
    copy.sheet("チェックシート").put(scope[0], "回答", text("実施している"));
    let filled = copy.write()?;

    let wrong = upload(&app, &other_supplier, &other, filled.clone(), &[]).await;
    wrong.assert_problem(422, "workbook_mismatch");
    assert!(wrong.body["detail"].as_str().unwrap_or("").contains(&assessment), "{}", wrong.body);

    let s = Some(supplier.access_token.as_str());
    let meanwhile = app
        .post(
            &format!("/api/v1/assessments/{assessment}/answers"),
            s,
            json!({ "answers": [{ "no": scope[1], "status": "implemented" }] }),
        )
        .await;
    assert_eq!(meanwhile.status, StatusCode::OK, "{}", meanwhile.body);
    let old = upload(&app, &supplier, &assessment, filled, &[]).await;
    old.assert_problem(409, "workbook_outdated");
    assert!(answers(&app, &supplier, &assessment).await[&scope[0]].is_null(), "nothing saved");

    // Downloaded again, it goes in; a stale If-Match beside it is still a 412.
    let fresh = download(&app, &supplier, &assessment, "ja").await;
    let mut copy = BookCopy::read(&fresh.bytes)?;
    copy.sheet("チェックシート").put(scope[0], "回答", text("実施している"));
    let stale = upload(&app, &supplier, &assessment, copy.write()?, &[("if-match", "\"1\"")]).await;
    stale.assert_problem(412, "precondition_failed");
    let ok = upload(&app, &supplier, &assessment, copy.write()?, &[("if-match", "\"2\"")]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let saved = answers(&app, &supplier, &assessment).await;
    assert_eq!(
        (saved[&scope[0]]["status"].clone(), saved[&scope[1]]["status"].clone()),
        (json!("implemented"), json!("implemented"))
    );

    // Submitted, the assessment takes no workbook.
    app.answer_all(&supplier, &assessment).await;
    let submitted = app.post(&format!("/api/v1/assessments/{assessment}/submit"), s, json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    upload(&app, &supplier, &assessment, copy.write()?, &[]).await.assert_problem(409, "assessment_locked");
    Ok(())
}

#[tokio::test]
async fn english_headers_in_another_column_order_are_read_by_name() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, assessment) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &assessment).await;
    let english = download(&app, &supplier, &assessment, "en").await;
    let mut copy = BookCopy::read(&english.bytes)?;
    let names: Vec<&str> = copy.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Cover", "Check sheet", "_kensa"]);
    let questions = app.get(&format!("/api/v1/assessments/{assessment}/questions"), Some(&supplier.access_token)).await;
    let first = &questions.body["data"][0];
    let items = copy.sheet("Check sheet");
    let row = items.row_of(scope[0]);
    assert_eq!(items.text_at((row, items.column("Condition"))), first["question_en"].as_str().unwrap_or_default());

    // The visible columns in reverse order (the hidden helper columns stay where they are).
    let visible = 14u16;
    items.cells = items
        .cells
        .drain()
        .map(|((r, c), v)| if c < visible { ((r, visible - 1 - c), v) } else { ((r, c), v) })
        .collect();
    items.put(scope[0], "Answer", text("Implemented"));
    items.put(scope[1], "Answer", text("Not applicable"));
    items.put(scope[1], "N/A reason", text("No such site"));
    let reply = upload(&app, &supplier, &assessment, copy.write()?, &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let saved = answers(&app, &supplier, &assessment).await;
    assert_eq!(saved[&scope[0]]["status"], "implemented");
    assert_eq!(
        (saved[&scope[1]]["status"].clone(), saved[&scope[1]]["reason"].clone()),
        (json!("not_applicable"), json!("No such site"))
    );

    // Without the Remark column an upload would erase remarks: refused, naming the header row.
    let fresh = download(&app, &supplier, &assessment, "en").await;
    let mut copy = BookCopy::read(&fresh.bytes)?;
    let items = copy.sheet("Check sheet");
    let remark = items.column("Remark");
    items.cells.retain(|(_, c), _| *c != remark);
    let reply = upload(&app, &supplier, &assessment, copy.write()?, &[]).await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "Check sheet!1:1", "{}", reply.body);
    assert!(reply.body["errors"][0]["message"].as_str().unwrap_or("").contains("Remark"), "{}", reply.body);
    Ok(())
}

/// A zip of one part that unpacks to `size` bytes of zeros.
fn zip_of_zeros(size: usize) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut out = Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("xl/worksheets/sheet1.xml", options)?;
    let chunk = vec![0u8; 1024 * 1024];
    for _ in 0..size / chunk.len() {
        zip.write_all(&chunk)?;
    }
    zip.finish()?;
    Ok(out.into_inner())
}

#[tokio::test]
async fn what_is_not_a_kensa_workbook_is_refused_before_it_is_read() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, assessment) = app.invited_supplier(1).await;
    let path = format!("/api/v1/assessments/{assessment}/workbook");
    let s = Some(supplier.access_token.as_str());
    upload(&app, &supplier, &assessment, b"not a zip at all".to_vec(), &[])
        .await
        .assert_problem(422, "workbook_unreadable");
    let bomb = zip_of_zeros(80 * 1024 * 1024)?;
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    let refused = upload(&app, &supplier, &assessment, bomb, &[]).await;
    refused.assert_problem(422, "workbook_unreadable");
    assert!(refused.body["detail"].as_str().unwrap_or("").contains("unpacks to more than"), "{}", refused.body);
    // Streamed (no Content-Length), as a large upload arrives: cut off past 4 MiB.
    let chunks = (0..5).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 1024 * 1024]));
    let big = app
        .client
        .put(app.url(&path))
        .bearer_auth(&supplier.access_token)
        .header("content-type", XLSX)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await?;
    TestApp::read(big).await.assert_problem(413, "payload_too_large");

    // Someone's own workbook, without the hidden sheet.
    let mut plain = Workbook::new();
    plain.add_worksheet().write_string(0, 0, "No.")?;
    let reply = upload(&app, &supplier, &assessment, plain.save_to_buffer()?, &[]).await;
    reply.assert_problem(422, "workbook_unreadable");
    assert!(reply.body["detail"].as_str().unwrap_or("").contains("not downloaded from Kensa"), "{}", reply.body);

    // One stray value at the last cell of the sheet is refused by its address, not
    // allocated as a range of 17 billion cells.
    let blank = download(&app, &supplier, &assessment, "ja").await;
    let mut copy = BookCopy::read(&blank.bytes)?;
    copy.sheet("チェックシート").cells.insert((1_048_575, 16_383), text("far away"));
    let reply = upload(&app, &supplier, &assessment, copy.write()?, &[]).await;
    reply.assert_problem(422, "workbook_unreadable");
    assert!(reply.body["detail"].as_str().unwrap_or("").contains("XFD1048576"), "{}", reply.body);
    assert_eq!(version(&app, &supplier, &assessment).await, 1, "nothing saved");
    // Last: a refusal before the body is read closes the connection.
    app.request(Method::PUT, &path, s, Some(json!({}))).await.assert_problem(415, "unsupported_media_type");
    Ok(())
}

/// The answer labels of the default scale (SPEC), as the workbook offers them.
const LABELS_JA: [&str; 4] = ["実施している", "一部実施している", "実施していない", "対象外"];
const LABELS_EN: [&str; 4] = ["Implemented", "Partially implemented", "Not implemented", "Not applicable"];

/// Python's openpyxl opens the downloaded workbook without a warning, finds its dropdown,
/// protection and hidden sheet, fills answers by header and saves; the upload reads its file.
#[tokio::test]
async fn a_workbook_filled_by_openpyxl_opens_cleanly_and_imports() -> TestResult {
    if !external_program("python3 with openpyxl (pip install openpyxl)", &["python3", "-c", "import openpyxl"])? {
        return Ok(());
    }
    let app = spawn_app().await;
    let (_, supplier, assessment) = app.invited_supplier(2).await;
    let scope = app.scope_of(&supplier, &assessment).await;
    let dir = tempfile::tempdir()?;
    let (input, output) = (dir.path().join("in.xlsx"), dir.path().join("out.xlsx"));
    for lang in ["ja", "en"] {
        let blank = download(&app, &supplier, &assessment, lang).await;
        std::fs::write(&input, &blank.bytes)?;
        let fills = json!({
            scope[0].to_string(): { "answer": if lang == "ja" { "実施している" } else { "Implemented" } },
            scope[1].to_string(): { "answer": "対象外", "reason": format!("openpyxl {lang}") },
        });
        let run = std::process::Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../tools/workbook/openpyxl_fill.py"))
            .args([input.as_os_str(), output.as_os_str()])
            .arg(fills.to_string())
            .output()?;
        assert!(
            run.status.success(),
            "{lang}: {}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        // The dropdown lists exactly the scale's labels, the workbook's language first, and the
        // score helpers look up every label: no header cell inside a range, none left out.
        let resolved: Value = serde_json::from_slice(&run.stdout)?;
        let (ja, en) = (LABELS_JA.map(Value::from), LABELS_EN.map(Value::from));
        let dropdown: Vec<Value> = if lang == "ja" {
            ja.iter().chain(&en).cloned().collect()
        } else {
            en.iter().chain(&ja).cloned().collect()
        };
        assert_eq!(resolved["dropdown"]["values"], Value::from(dropdown), "{lang}");
        assert_eq!(resolved["dropdown"]["below"], Value::Null, "{lang}");
        let lookup = resolved["lookup"]["values"].as_array().cloned().unwrap_or_default();
        assert_eq!(lookup.len(), 8, "{lang}: {lookup:?}");
        assert!(ja.iter().chain(&en).all(|label| lookup.contains(label)), "{lang}: {lookup:?}");
        assert_eq!(resolved["lookup"]["below"], Value::Null, "{lang}");
        let reply = upload(&app, &supplier, &assessment, std::fs::read(&output)?, &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{lang}: {}", reply.body);
        let saved = answers(&app, &supplier, &assessment).await;
        assert_eq!(saved[&scope[0]]["status"], "implemented");
        assert_eq!(saved[&scope[1]]["reason"], format!("openpyxl {lang}"));
    }
    Ok(())
}

#[tokio::test]
async fn the_assessment_page_downloads_and_uploads_the_workbook() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, assessment) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &assessment).await;
    let mut visitor = Visitor::signed_in(&app, &supplier.email, "ja").await;
    let page = visitor.get(&format!("/assessments/{assessment}")).await;
    assert!(page.html.contains("workbook-heading"), "the Excel panel");
    assert!(page.html.contains(&format!("/assessments/{assessment}/workbook?lang=en")));

    let response = visitor.request(Method::GET, &format!("/assessments/{assessment}/workbook?lang=ja")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let mut copy = BookCopy::read(&response.bytes().await?)?;
    let items = copy.sheet("チェックシート");
    let bad = items.put(scope[0], "回答", text("たぶん"));
    let refused = visitor.upload_workbook(&assessment, copy.write()?).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
    assert!(refused.html.contains(&bad) && refused.html.contains(&format!("No.{}", scope[0])), "{}", refused.html);

    copy.sheet("チェックシート").put(scope[0], "回答", text("実施している"));
    let saved = visitor.upload_workbook(&assessment, copy.write()?).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(saved.location(), format!("/assessments/{assessment}?done=workbook"));
    assert_eq!(answers(&app, &supplier, &assessment).await[&scope[0]]["status"], "implemented");
    Ok(())
}
