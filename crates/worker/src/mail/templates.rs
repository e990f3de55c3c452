//! Mail texts. Each mail carries Japanese and English; the recipient's language comes first.

use kensa_domain::assessments::invitations::AssessmentMail;
use kensa_domain::auth::notice::LoginNotice;
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

/// Repeated failed sign-ins to the recipient's account. Says what happened and what to do;
/// it carries no link that signs anyone in.
pub fn login_failures(n: &LoginNotice) -> OutgoingMail {
    let at = n.at.format("%Y-%m-%d %H:%M UTC");
    let ja = format!(
        "Kensa のアカウント（{to}）に対して、サインインの失敗が繰り返されています（{failures} 回、最後は {at}、接続元 {address}）。\n\n\
         ご自身の操作であれば対応は不要です。心当たりがない場合、第三者がパスワードを推測している可能性があります。\n\
         アカウントはロックされていません。試行は接続元ごとに遅延されます。\n\
         パスワードが推測されにくいものか確認し、必要なら変更してください: {url}\n",
        to = n.to,
        failures = n.failures,
        address = n.address,
        url = n.sign_in_url,
    );
    let en = format!(
        "Your Kensa account ({to}) has seen repeated failed sign-ins ({failures}, the last at {at} from {address}).\n\n\
         If that was you, nothing needs doing. If not, someone may be guessing your password.\n\
         Your account is not locked: attempts are slowed down per client address.\n\
         Make sure your password is not guessable, and change it if in doubt: {url}\n",
        to = n.to,
        failures = n.failures,
        address = n.address,
        url = n.sign_in_url,
    );
    let (subject, body) = if n.locale == "en" {
        ("Failed sign-ins to your Kensa account / サインイン失敗のお知らせ".to_owned(), format!("{en}\n----\n\n{ja}"))
    } else {
        (
            "【Kensa】サインイン失敗のお知らせ / Failed sign-ins to your account".to_owned(),
            format!("{ja}\n----\n\n{en}"),
        )
    };
    OutgoingMail { to: n.to.clone(), subject, body }
}
