//! The mails events make: reminders, the buyer's escalation digest, review outcomes and
//! remediation follow-ups, written with [`Compose`] like [`super::templates`]: Kensa's own
//! sentences and link; user text only quoted on labelled lines; no user text in subjects.

use kensa_domain::notifications::event_mail::{EventMail, EventMailKind, ScoreLine};

use super::OutgoingMail;
use super::compose::Compose;

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

/// The labelled lines: the assessment, its score, the reviewer's comments, the items to
/// update, or the digest's suppliers.
fn body(m: &EventMail, mut c: Compose) -> Compose {
    if m.kind != EventMailKind::EscalationDigest {
        c = c
            .field("依頼元", "Requested by", &m.buyer_name)
            .field("取引先", "Supplier", &m.supplier_name)
            .field("チェックシート", "Checklist", &m.template_name)
            .fact(
                "対象レベル",
                "Target level",
                &format!("レベル {} まで", m.target_level),
                &format!("up to level {}", m.target_level),
            );
        if let Some(due) = m.due_date {
            let due = due.format("%Y-%m-%d").to_string();
            c = if m.kind == EventMailKind::RemediationDue {
                c.fact("改善期日", "Remediation date", &due, &due)
            } else {
                c.fact("回答期限", "Due date", &due, &due)
            };
        }
        if let Some((answered, total)) = m.progress {
            c = c.fact(
                "回答状況",
                "Progress",
                &format!("{answered} / {total} 項目"),
                &format!("{answered} of {total} items answered"),
            );
        }
    }
    if let Some(name) = &m.submitted_by {
        c = c.field("提出した人", "Submitted by", name);
    }
    if let Some(score) = &m.score {
        let achieved_ja = format!("{} / 対象 {}", score.achieved_level, score.target_level);
        let achieved_en = format!("{} of target {}", score.achieved_level, score.target_level);
        c = c.fact("達成率", "Achievement", &percent(score), &percent(score)).fact(
            "達成レベル",
            "Achieved level",
            &achieved_ja,
            &achieved_en,
        );
    }
    for (no, text) in &m.comments {
        c = match no {
            Some(no) => c.field(&format!("レビューのコメント No.{no}"), &format!("Reviewer's comment No.{no}"), text),
            None => c.field("レビューのコメント（全体）", "Reviewer's comment (overall)", text),
        };
    }
    if !m.items.is_empty() {
        let nos = m.items.iter().map(|(no, _)| format!("No.{no}")).collect::<Vec<_>>().join(", ");
        c = c.fact("対象の項目", "Items", &nos, &nos);
    }
    if !m.digest.is_empty() {
        c = c.field("組織", "Organization", &m.buyer_name);
        for line in &m.digest {
            let due = line.due_date.format("%Y-%m-%d");
            c = c.field("取引先", "Supplier", &line.supplier_name).fact(
                "状況",
                "Status",
                &format!("期限 {due}（{} 日超過）、回答 {} / {}", line.days_overdue, line.answered, line.total),
                &format!(
                    "due {due} ({} day(s) overdue), {} of {} answered",
                    line.days_overdue, line.answered, line.total
                ),
            );
        }
        if m.digest_more > 0 {
            let more = m.digest_more;
            c = c.fact("ほか", "And", &format!("{more} 社（一覧はリンク先）"), &format!("{more} more (see the list)"));
        }
    }
    c
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
    let locale = m.locale.as_str();
    let subject =
        if locale == "en" { format!("{subject_en} / {subject_ja}") } else { format!("{subject_ja} / {subject_en}") };
    // Mails about the buyer's own work name no one else to ask; the supplier asks the buyer.
    let contact = match m.kind {
        EventMailKind::Submitted | EventMailKind::EscalationDigest => None,
        _ => Some(m.buyer_name.as_str()),
    };
    body(m, Compose::new(locale).para(open_ja, open_en))
        .link(format!("{action_ja}{expiry_ja}"), format!("{action_en}{expiry_en}"), &m.link)
        .mail(&m.to, subject, contact)
}
