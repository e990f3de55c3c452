//! Mail texts. Each mail carries Japanese and English; the recipient's language comes first.

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
