//! Mail texts. Each mail carries Japanese and English; the recipient's language comes first.
//!
//! Layout rule: every sentence, instruction and link is Kensa's own. Whatever a user typed
//! (organization, user, supplier, template names) appears only as a quoted value on its own
//! labelled line, after Kensa's opening line, defanged so that it never becomes a link, and
//! subjects carry no user text at all (see [`super::safe`]).

use chrono::{DateTime, Utc};
use kensa_domain::notifications::assessment::AssessmentMail;
use kensa_domain::notifications::login_failure::LoginNotice;
use kensa_domain::notifications::supplier_claim::ClaimMail;
use kensa_domain::notifications::user_invitation::InvitationDelivery;
use kensa_domain::tenant::Role;

use super::OutgoingMail;
use super::safe::{quote_en, quote_ja};

fn role_ja(role: Role) -> &'static str {
    match role {
        Role::Owner => "オーナー",
        Role::Admin => "管理者",
        Role::Reviewer => "レビュアー",
        Role::Respondent => "回答者",
        Role::Viewer => "閲覧者",
    }
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub(super) const NOTE_JA: &str = "「」内は Kensa の利用者が入力した名称で、Kensa が内容を確認したものではありません。\n\
                       Kensa からのリンクは上記の 1 つだけです。Kensa がメールでパスワードを尋ねることはありません。";
pub(super) const NOTE_EN: &str = "Values in quotes were typed by Kensa users; Kensa has not checked them.\n\
                       The link above is the only one Kensa sends. Kensa never asks for your password by mail.";

/// The recipient's language first, the other after a separator.
pub(super) fn bilingual(locale: &str, ja: String, en: String) -> String {
    if locale == "en" { format!("{en}\n----\n\n{ja}") } else { format!("{ja}\n----\n\n{en}") }
}

pub fn user_invitation(d: &InvitationDelivery) -> OutgoingMail {
    let expires = utc(d.expires_at);
    let ja = format!(
        "Kensa からのお知らせです。Kensa の組織へ{role}として招待されました。\n\n\
         組織名: {org}\n招待した人: {inviter}\n\n\
         次のリンクから参加してください（{expires} まで有効、1 回のみ使用可）:\n{link}\n\n\
         心当たりがない場合は、このメールを破棄してください。\n{NOTE_JA}\n",
        role = role_ja(d.role),
        org = quote_ja(&d.organization_name),
        inviter = quote_ja(&d.inviter_name),
        link = d.link,
    );
    let en = format!(
        "This is a message from Kensa. A member of an organization on Kensa invited you to join it as {role}.\n\n\
         Organization: {org}\nInvited by: {inviter}\n\n\
         Accept with this link (valid until {expires}, single use):\n{link}\n\n\
         If you did not expect this, ignore this mail.\n{NOTE_EN}\n",
        role = d.role,
        org = quote_en(&d.organization_name),
        inviter = quote_en(&d.inviter_name),
        link = d.link,
    );
    let subject = if d.locale == "en" {
        "Kensa: invitation to join an organization / 組織への招待"
    } else {
        "Kensa: 組織への招待 / Invitation to join an organization"
    };
    OutgoingMail { to: d.to.clone(), subject: subject.to_owned(), body: bilingual(&d.locale, ja, en) }
}

/// An invitation to answer (with its single-use link) or, for a supplier already in Kensa,
/// a notice of a new assessment.
pub fn assessment(m: &AssessmentMail) -> OutgoingMail {
    let due = m.due_date.format("%Y-%m-%d").to_string();
    let (ja_action, en_action) = match (m.invitation, m.expires_at) {
        (true, Some(expires)) => (
            format!("次のリンクから回答を開始してください（{} まで有効、1 回のみ使用可）", utc(expires)),
            format!("Start answering with this link (valid until {}, single use)", utc(expires)),
        ),
        (true, None) => (
            "次のリンクから回答を開始してください（1 回のみ使用可）".to_owned(),
            "Start answering with this link (single use)".to_owned(),
        ),
        (false, _) => ("Kensa にサインインして回答してください".to_owned(), "Sign in to Kensa to answer".to_owned()),
    };
    let ja = format!(
        "Kensa からのお知らせです。取引先から、サイバーセキュリティ自己評価の回答依頼が届いています。\n\n\
         依頼元: {buyer}\n宛先の取引先: {supplier}\nチェックシート: {template}\n\
         対象レベル: レベル {level} まで\n回答期限: {due}\n\n{ja_action}:\n{link}\n\n{NOTE_JA}\n",
        buyer = quote_ja(&m.buyer_name),
        supplier = quote_ja(&m.supplier_name),
        template = quote_ja(&m.template_name),
        level = m.target_level,
        link = m.link,
    );
    let en = format!(
        "This is a message from Kensa. A customer asks you to complete a cybersecurity self-assessment.\n\n\
         Requested by: {buyer}\nSupplier: {supplier}\nChecklist: {template}\n\
         Target level: up to level {level}\nDue date: {due}\n\n{en_action}:\n{link}\n\n{NOTE_EN}\n",
        buyer = quote_en(&m.buyer_name),
        supplier = quote_en(&m.supplier_name),
        template = quote_en(&m.template_name),
        level = m.target_level,
        link = m.link,
    );
    let subject = if m.locale == "en" {
        format!("Kensa: security self-assessment request, due {due} / セキュリティ自己評価のご依頼")
    } else {
        format!("Kensa: セキュリティ自己評価のご依頼（期限 {due}）/ Security self-assessment request, due {due}")
    };
    OutgoingMail { to: m.to.clone(), subject, body: bilingual(&m.locale, ja, en) }
}

/// To the buyer's owners and admins: someone who is not the invited contact accepted an
/// invitation, and waits for their decision.
pub fn supplier_claim(m: &ClaimMail) -> OutgoingMail {
    let c = &m.claim;
    let at = utc(c.created_at);
    let ja = format!(
        "Kensa からのお知らせです。取引先への招待リンクが、招待先とは別のアドレスの人によって受諾されました。\n\
         転送されたリンクの可能性があるため、まだ取引先には紐付けていません。承認するか拒否してください。\n\n\
         取引先: {supplier}\n招待先のアドレス: {invited}\n受諾した人: {name}\n受諾した人のアドレス: {email}\n\
         受諾した組織: {org}\n受諾日時: {at}\n\n次の Kensa のページで確認してください:\n{link}\n\n{NOTE_JA}\n",
        supplier = quote_ja(&c.supplier_name),
        invited = quote_ja(&c.invited_email),
        name = quote_ja(&c.claimant_name),
        email = quote_ja(&c.claimant_email),
        org = quote_ja(&c.claimant_organization_name),
        link = m.link,
    );
    let en = format!(
        "This is a message from Kensa. A supplier invitation was accepted by someone whose address is not the invited contact's.\n\
         The link may have been forwarded, so the supplier has not been linked yet. Approve or reject the claim.\n\n\
         Supplier: {supplier}\nInvited address: {invited}\nClaimed by: {name}\nClaimant's address: {email}\n\
         Claimant's organization: {org}\nClaimed at: {at}\n\nReview it in Kensa:\n{link}\n\n{NOTE_EN}\n",
        supplier = quote_en(&c.supplier_name),
        invited = quote_en(&c.invited_email),
        name = quote_en(&c.claimant_name),
        email = quote_en(&c.claimant_email),
        org = quote_en(&c.claimant_organization_name),
        link = m.link,
    );
    let subject = if m.locale == "en" {
        "Kensa: a supplier invitation needs your confirmation / 招待リンクの確認のお願い"
    } else {
        "Kensa: 招待リンクの確認のお願い / A supplier invitation needs your confirmation"
    };
    OutgoingMail { to: m.to.clone(), subject: subject.to_owned(), body: bilingual(&m.locale, ja, en) }
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
    let subject = if n.locale == "en" {
        "Failed sign-ins to your Kensa account / サインイン失敗のお知らせ"
    } else {
        "【Kensa】サインイン失敗のお知らせ / Failed sign-ins to your account"
    };
    OutgoingMail { to: n.to.clone(), subject: subject.to_owned(), body: bilingual(&n.locale, ja, en) }
}
