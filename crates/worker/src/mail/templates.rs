//! Mail texts. Each mail carries Japanese and English; the recipient's language comes first.

use kensa_domain::assessments::invitations::AssessmentMail;
use kensa_domain::tenant::Role;
use kensa_domain::users::InvitationDelivery;

use super::OutgoingMail;

fn role_ja(role: Role) -> &'static str {
    match role {
        Role::Owner => "オーナー",
        Role::Admin => "管理者",
        Role::Reviewer => "レビュアー",
        Role::Respondent => "回答者",
        Role::Viewer => "閲覧者",
    }
}

pub fn user_invitation(d: &InvitationDelivery) -> OutgoingMail {
    let expires = d.expires_at.format("%Y-%m-%d %H:%M UTC");
    let ja = format!(
        "{inviter} さんから、Kensa の組織「{org}」に{role}として招待されました。\n\n\
         次のリンクから参加してください（{expires} まで有効、1 回のみ使用可）:\n{link}\n",
        inviter = d.inviter_name,
        org = d.organization_name,
        role = role_ja(d.role),
        link = d.link,
    );
    let en = format!(
        "{inviter} invited you to join the organization \"{org}\" on Kensa as {role}.\n\n\
         Accept with this link (valid until {expires}, single use):\n{link}\n",
        inviter = d.inviter_name,
        org = d.organization_name,
        role = d.role,
        link = d.link,
    );
    let (subject, body) = if d.locale == "en" {
        (format!("Invitation to {} on Kensa / Kensa への招待", d.organization_name), format!("{en}\n----\n\n{ja}"))
    } else {
        (format!("Kensa「{}」への招待 / Invitation to Kensa", d.organization_name), format!("{ja}\n----\n\n{en}"))
    };
    OutgoingMail { to: d.to.clone(), subject, body }
}

/// An invitation to answer (with its single-use link) or, for a supplier already in Kensa,
/// a notice of a new assessment.
pub fn assessment(m: &AssessmentMail) -> OutgoingMail {
    let due = m.due_date.format("%Y-%m-%d");
    let (ja_action, en_action) = if m.invitation {
        (
            "次のリンクから回答を開始してください（30 日間有効、1 回のみ使用可）",
            "Start answering with this link (valid for 30 days, single use)",
        )
    } else {
        ("Kensa にサインインして回答してください", "Sign in to Kensa to answer")
    };
    let ja = format!(
        "{supplier} 御中\n\n{buyer} から、サイバーセキュリティ自己評価「{template}」（レベル {level} まで）の回答依頼が届いています。\n\
         回答期限: {due}\n\n{ja_action}:\n{link}\n",
        supplier = m.supplier_name,
        buyer = m.buyer_name,
        template = m.template_name,
        level = m.target_level,
        link = m.link,
    );
    let en = format!(
        "Dear {supplier},\n\n{buyer} asks you to complete the cybersecurity self-assessment \"{template}\" (up to level {level}).\n\
         Due date: {due}\n\n{en_action}:\n{link}\n",
        supplier = m.supplier_name,
        buyer = m.buyer_name,
        template = m.template_name,
        level = m.target_level,
        link = m.link,
    );
    let (subject, body) = if m.locale == "en" {
        (
            format!("{}: security assessment due {due} / セキュリティ評価のご依頼", m.buyer_name),
            format!("{en}\n----\n\n{ja}"),
        )
    } else {
        (
            format!("【{}】セキュリティ評価のご依頼（期限 {due}）/ Security assessment request", m.buyer_name),
            format!("{ja}\n----\n\n{en}"),
        )
    };
    OutgoingMail { to: m.to.clone(), subject, body }
}
