//! The mails events make: reminders, the buyer's escalation digest, review outcomes and
//! remediation follow-ups. Same layout rule as [`super::templates`]: Kensa's own sentences
//! and link; user text only quoted on labelled lines; no user text in subjects.

use kensa_domain::notifications::event_mail::{EventMail, EventMailKind, ScoreLine};

use super::OutgoingMail;
use super::safe::{quote_en, quote_ja};

fn percent(score: &ScoreLine) -> String {
    score.overall.map_or_else(|| "-".to_owned(), |o| format!("{:.1} %", o * 100.0))
}

/// (subject ja, subject en, opening ja, opening en, action ja, action en)
fn wording(m: &EventMail) -> [String; 6] {
    let due = m.due_date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
    let days = m.days.unwrap_or_default();
    let (left_ja, left_en) = if days > 0 {
        (format!("あと {days} 日です"), format!("is due in {days} day(s), on {due}"))
    } else {
        ("本日です".to_owned(), format!("is due today, {due}"))
    };
    let s = |a: &str| a.to_owned();
    match m.kind {
        EventMailKind::ReminderBefore => [
            format!("Kensa: 回答期限が近づいています（期限 {due}）"),
            format!("Kensa: assessment due {due}"),
            format!("Kensa からのリマインダーです。セキュリティ自己評価の回答期限は{left_ja}。"),
            format!("This is a reminder from Kensa. The security self-assessment below {left_en}."),
            s("次のリンクから回答を続けてください"),
            s("Continue answering here"),
        ],
        EventMailKind::ReminderOverdue => [
            format!("Kensa: 回答期限を過ぎています（期限 {due}）"),
            format!("Kensa: assessment overdue since {due}"),
            format!("Kensa からのお知らせです。セキュリティ自己評価の回答期限を {} 日過ぎています。", -days),
            format!("This is a message from Kensa. The security self-assessment below is {} day(s) overdue.", -days),
            s("至急、次のリンクから回答してください"),
            s("Please complete it now"),
        ],
        EventMailKind::ReminderChanges => [
            format!("Kensa: 修正依頼への対応をお願いします（期限 {due}）"),
            format!("Kensa: changes requested, still open (due {due})"),
            s("Kensa からのリマインダーです。依頼元から修正依頼が届いたままになっています。"),
            s("This is a reminder from Kensa. The customer asked for changes that are still open."),
            s("次のリンクから修正して再提出してください"),
            s("Make the changes and submit again here"),
        ],
        EventMailKind::Submitted => [
            s("Kensa: 取引先が自己評価を提出しました"),
            s("Kensa: a supplier submitted its assessment"),
            s("Kensa からのお知らせです。取引先がセキュリティ自己評価を提出しました。レビューしてください。"),
            s("This is a message from Kensa. A supplier submitted its security self-assessment for your review."),
            s("次のリンクからレビューしてください"),
            s("Review it here"),
        ],
        EventMailKind::ChangesRequested => [
            s("Kensa: 自己評価の修正依頼が届きました"),
            s("Kensa: the customer asked for changes"),
            s("Kensa からのお知らせです。依頼元が、提出された自己評価の修正を依頼しました。"),
            s("This is a message from Kensa. The customer reviewed your submission and asked for changes."),
            s("次のリンクから修正して再提出してください"),
            s("Make the changes and submit again here"),
        ],
        EventMailKind::Accepted => [
            s("Kensa: 自己評価が承認されました"),
            s("Kensa: your assessment was accepted"),
            s("Kensa からのお知らせです。依頼元が、提出された自己評価を承認しました。"),
            s("This is a message from Kensa. The customer accepted your security self-assessment."),
            s("結果は次のリンクで確認できます"),
            s("See the result here"),
        ],
        EventMailKind::Cancelled => [
            s("Kensa: 自己評価の依頼が取り消されました"),
            s("Kensa: an assessment request was cancelled"),
            s("Kensa からのお知らせです。依頼元が、次の自己評価の依頼を取り消しました。回答は不要です。"),
            s("This is a message from Kensa. The customer cancelled the assessment below; no answer is needed."),
            s("記録は次のリンクで確認できます"),
            s("The record stays available here"),
        ],
        EventMailKind::RemediationDue => [
            format!("Kensa: 改善計画の期日（{due}）を過ぎました"),
            format!("Kensa: remediation date {due} has passed"),
            s(
                "Kensa からのお知らせです。承認済みの自己評価で計画された改善の期日を過ぎました。進捗を記録してください（完了、新しい期日、またはメモ）。",
            ),
            s(
                "This is a message from Kensa. Planned remediation dates of an accepted assessment have passed. Record your progress (done, a new date, or a note).",
            ),
            s("次のリンクから進捗を記録してください"),
            s("Record progress here"),
        ],
        EventMailKind::EscalationDigest => [
            format!("Kensa: 期限超過の取引先 {} 社", m.digest.len()),
            format!("Kensa: {} supplier(s) overdue past your escalation threshold", m.digest.len()),
            s("Kensa からのお知らせです。次の取引先の自己評価が、エスカレーションの基準日数を超えて未回答です。"),
            s("This is a message from Kensa. These suppliers are overdue past your escalation threshold."),
            s("一覧は次のリンクで確認できます"),
            s("See them here"),
        ],
    }
}

fn fields_ja(m: &EventMail) -> String {
    let mut out = String::new();
    if m.kind != EventMailKind::EscalationDigest {
        out.push_str(&format!(
            "依頼元: {}\n取引先: {}\nチェックシート: {}\n対象レベル: レベル {} まで\n",
            quote_ja(&m.buyer_name),
            quote_ja(&m.supplier_name),
            quote_ja(&m.template_name),
            m.target_level
        ));
        if let Some(due) = m.due_date {
            let label = if m.kind == EventMailKind::RemediationDue { "改善期日" } else { "回答期限" };
            out.push_str(&format!("{label}: {}\n", due.format("%Y-%m-%d")));
        }
        if let Some((answered, total)) = m.progress {
            out.push_str(&format!("回答状況: {answered} / {total} 項目\n"));
        }
    }
    if let Some(score) = &m.score {
        out.push_str(&format!(
            "達成率: {}\n達成レベル: {} / 対象 {}\n",
            percent(score),
            score.achieved_level,
            score.target_level
        ));
    }
    if !m.comments.is_empty() {
        out.push_str("\nレビューのコメント:\n");
        for (no, text) in &m.comments {
            match no {
                Some(no) => out.push_str(&format!("- No.{no}: {}\n", quote_ja(text))),
                None => out.push_str(&format!("- 全体: {}\n", quote_ja(text))),
            }
        }
    }
    if !m.items.is_empty() {
        let nos: Vec<String> = m.items.iter().map(|(no, _)| format!("No.{no}")).collect();
        out.push_str(&format!("\n対象の項目: {}\n", nos.join(", ")));
    }
    if !m.digest.is_empty() {
        out.push_str(&format!("依頼元: {}\n\n", quote_ja(&m.buyer_name)));
        for line in &m.digest {
            out.push_str(&format!(
                "- {}: 期限 {}（{} 日超過）、回答 {} / {}\n",
                quote_ja(&line.supplier_name),
                line.due_date.format("%Y-%m-%d"),
                line.days_overdue,
                line.answered,
                line.total
            ));
        }
    }
    out
}

fn fields_en(m: &EventMail) -> String {
    let mut out = String::new();
    if m.kind != EventMailKind::EscalationDigest {
        out.push_str(&format!(
            "Requested by: {}\nSupplier: {}\nChecklist: {}\nTarget level: up to level {}\n",
            quote_en(&m.buyer_name),
            quote_en(&m.supplier_name),
            quote_en(&m.template_name),
            m.target_level
        ));
        if let Some(due) = m.due_date {
            let label = if m.kind == EventMailKind::RemediationDue { "Remediation date" } else { "Due date" };
            out.push_str(&format!("{label}: {}\n", due.format("%Y-%m-%d")));
        }
        if let Some((answered, total)) = m.progress {
            out.push_str(&format!("Progress: {answered} of {total} items answered\n"));
        }
    }
    if let Some(score) = &m.score {
        out.push_str(&format!(
            "Achievement: {}\nAchieved level: {} of target {}\n",
            percent(score),
            score.achieved_level,
            score.target_level
        ));
    }
    if !m.comments.is_empty() {
        out.push_str("\nReviewer's comments:\n");
        for (no, text) in &m.comments {
            match no {
                Some(no) => out.push_str(&format!("- No.{no}: {}\n", quote_en(text))),
                None => out.push_str(&format!("- Overall: {}\n", quote_en(text))),
            }
        }
    }
    if !m.items.is_empty() {
        let nos: Vec<String> = m.items.iter().map(|(no, _)| format!("No.{no}")).collect();
        out.push_str(&format!("\nItems: {}\n", nos.join(", ")));
    }
    if !m.digest.is_empty() {
        out.push_str(&format!("Organization: {}\n\n", quote_en(&m.buyer_name)));
        for line in &m.digest {
            out.push_str(&format!(
                "- {}: due {} ({} day(s) overdue), {} of {} answered\n",
                quote_en(&line.supplier_name),
                line.due_date.format("%Y-%m-%d"),
                line.days_overdue,
                line.answered,
                line.total
            ));
        }
    }
    out
}

pub fn event(m: &EventMail) -> OutgoingMail {
    let [subject_ja, subject_en, open_ja, open_en, action_ja, action_en] = wording(m);
    let (expiry_ja, expiry_en) = match m.link_expires_at {
        Some(at) => {
            let at = at.format("%Y-%m-%d %H:%M UTC");
            (format!("（{at} まで有効、1 回のみ使用可）"), format!(" (valid until {at}, single use)"))
        }
        None => (String::new(), String::new()),
    };
    let ja = format!(
        "{open_ja}\n\n{}\n{action_ja}{expiry_ja}:\n{link}\n\n{}\n",
        fields_ja(m),
        super::templates::NOTE_JA,
        link = m.link
    );
    let en = format!(
        "{open_en}\n\n{}\n{action_en}{expiry_en}:\n{link}\n\n{}\n",
        fields_en(m),
        super::templates::NOTE_EN,
        link = m.link
    );
    let locale = m.locale.as_str();
    let subject =
        if locale == "en" { format!("{subject_en} / {subject_ja}") } else { format!("{subject_ja} / {subject_en}") };
    OutgoingMail { to: m.to.clone(), subject, body: super::templates::bilingual(locale, ja, en) }
}
