//! Mail texts. Each mail carries Japanese and English; the recipient's language comes first.
//!
//! Layout rule: every sentence, instruction and link is Kensa's own. Whatever a user typed
//! (organization, user, supplier, template names) appears only as a quoted value on its own
//! labelled line ([`Compose::field`]), after Kensa's opening line, defanged so that it never
//! becomes a link, and subjects carry no user text at all (see [`super::safe`]). Each
//! function writes its content once with [`Compose`], which renders the text and HTML parts.

use chrono::{DateTime, Utc};
use kensa_domain::audit::checkpoint::CheckpointNotice;
use kensa_domain::notifications::account::{AccountLinkMail, PasswordChanged};
use kensa_domain::notifications::assessment::AssessmentMail;
use kensa_domain::notifications::login_failure::{LoginNotice, NewSignInNotice};
use kensa_domain::notifications::sharing::{ShareReceivedMail, ShareRequestMail};
use kensa_domain::notifications::supplier_claim::ClaimMail;
use kensa_domain::notifications::user_invitation::InvitationDelivery;
use kensa_domain::portability::erasure::ErasureNotice;
use kensa_domain::shares::ShareScope;
use kensa_domain::tenant::Role;

use super::OutgoingMail;
use super::compose::Compose;

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

pub fn user_invitation(d: &InvitationDelivery) -> OutgoingMail {
    let expires = utc(d.expires_at);
    let subject = if d.locale == "en" {
        "Kensa: invitation to join an organization / 組織への招待"
    } else {
        "Kensa: 組織への招待 / Invitation to join an organization"
    };
    Compose::new(&d.locale)
        .para(
            format!("Kensa からのお知らせです。Kensa の組織へ{}として招待されました。", role_ja(d.role)),
            format!(
                "This is a message from Kensa. A member of an organization on Kensa invited you to join it as {}.",
                d.role
            ),
        )
        .field("組織名", "Organization", &d.organization_name)
        .field("招待した人", "Invited by", &d.inviter_name)
        .link(
            format!("次のリンクから参加してください（{expires} まで有効、1 回のみ使用可）"),
            format!("Accept with this link (valid until {expires}, single use)"),
            &d.link,
        )
        .para("心当たりがない場合は、このメールを破棄してください。", "If you did not expect this, ignore this mail.")
        .mail(&d.to, subject, Some(&d.organization_name))
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
    let subject = if m.locale == "en" {
        format!("Kensa: security self-assessment request, due {due} / セキュリティ自己評価のご依頼")
    } else {
        format!("Kensa: セキュリティ自己評価のご依頼（期限 {due}）/ Security self-assessment request, due {due}")
    };
    Compose::new(&m.locale)
        .para(
            "Kensa からのお知らせです。取引先から、サイバーセキュリティ自己評価の回答依頼が届いています。",
            "This is a message from Kensa. A customer asks you to complete a cybersecurity self-assessment.",
        )
        .field("依頼元", "Requested by", &m.buyer_name)
        .field("宛先の取引先", "Supplier", &m.supplier_name)
        .field("チェックシート", "Checklist", &m.template_name)
        .fact(
            "対象レベル",
            "Target level",
            &format!("レベル {} まで", m.target_level),
            &format!("up to level {}", m.target_level),
        )
        .fact("回答期限", "Due date", &due, &due)
        .link(ja_action, en_action, &m.link)
        .para(
            "取引先が自社の顧客にサプライチェーンの集計（回答した取引先の数、達成レベルの分布、カテゴリ別の達成率）を\
             転送するとき、この回答を含めてよいかは貴社が決めます（既定は「含めない」）。上のリンクから開く評価の画面で\
             「含めない」「匿名で含める」「社名と達成レベルを添えて含める」を選べ、いつでも変更できます。",
            "Your customer may forward a supply chain figure (how many of its suppliers answered, their achieved \
             levels, category achievements) to its own customers. Whether your answers count in it is your decision \
             (by default they do not): choose not at all, anonymously or with your name and achieved level on the \
             assessment's page behind the link above, and change it at any time.",
        )
        .mail(&m.to, subject, Some(&m.buyer_name))
}

/// To the buyer's owners and admins: someone who is not the invited contact accepted an
/// invitation, and waits for their decision.
pub fn supplier_claim(m: &ClaimMail) -> OutgoingMail {
    let c = &m.claim;
    let at = utc(c.created_at);
    let subject = if m.locale == "en" {
        "Kensa: a supplier invitation needs your confirmation / 招待リンクの確認のお願い"
    } else {
        "Kensa: 招待リンクの確認のお願い / A supplier invitation needs your confirmation"
    };
    Compose::new(&m.locale)
        .para(
            "Kensa からのお知らせです。取引先への招待リンクが、招待先とは別のアドレスの人によって受諾されました。\n\
             転送されたリンクの可能性があるため、まだ取引先には紐付けていません。承認するか拒否してください。",
            "This is a message from Kensa. A supplier invitation was accepted by someone whose address is not the invited contact's.\n\
             The link may have been forwarded, so the supplier has not been linked yet. Approve or reject the claim.",
        )
        .field("取引先", "Supplier", &c.supplier_name)
        .field("招待先のアドレス", "Invited address", &c.invited_email)
        .field("受諾した人", "Claimed by", &c.claimant_name)
        .field("受諾した人のアドレス", "Claimant's address", &c.claimant_email)
        .field("受諾した組織", "Claimant's organization", &c.claimant_organization_name)
        .fact("受諾日時", "Claimed at", &at, &at)
        .link("次の Kensa のページで確認してください", "Review it in Kensa", &m.link)
        // About the recipient's own organization: Kensa's footer for their account.
        .mail(&m.to, subject, None)
}

/// A buyer asks the recipient's organization to share its answers to a checklist.
pub fn share_request(m: &ShareRequestMail) -> OutgoingMail {
    let subject = if m.locale == "en" {
        "Kensa: a customer asks you to share your answers / 回答共有の依頼"
    } else {
        "Kensa: 回答共有の依頼 / A customer asks you to share your answers"
    };
    let mut mail = Compose::new(&m.locale)
        .para(
            "Kensa からのお知らせです。取引先から、チェックシートの回答を共有するよう依頼がありました。\n\
             回答済みの評価または回答ライブラリを共有するか、依頼を辞退してください。共有の範囲・期限・条件はあなたが決めます。",
            "This is a message from Kensa. A customer asks your organization to share its answers to a check sheet.\n\
             Share a submitted assessment or your answer library, or decline. You choose the scope, expiry and terms.",
        )
        .field("依頼元", "Asked by", &m.requester_name)
        .field("チェックシート", "Check sheet", &m.template_name);
    if let Some(message) = &m.message {
        mail = mail.field("依頼元からのメッセージ", "Their message", message);
    }
    mail.link("依頼の一覧（Kensa API）", "The requests (Kensa API)", &m.link).mail(
        &m.to,
        subject,
        Some(&m.requester_name),
    )
}

/// A supplier shared its answers with the recipient's organization.
pub fn share_received(m: &ShareReceivedMail) -> OutgoingMail {
    let subject = if m.locale == "en" {
        "Kensa: a supplier shared its answers with you / 回答が共有されました"
    } else {
        "Kensa: 回答が共有されました / A supplier shared its answers with you"
    };
    let (scope_ja, scope_en) = match m.scope {
        ShareScope::Scores => ("スコアのみ", "scores only"),
        ShareScope::Answers => ("スコアと回答", "scores and answers"),
        ShareScope::AnswersAndEvidence => ("スコア・回答・証跡ファイル", "scores, answers and evidence files"),
    };
    let expires = utc(m.expires_at);
    let (given_ja, given_en) = match m.submitted_at {
        Some(at) => (format!("{} に提出された回答", utc(at)), format!("the answers submitted on {}", utc(at))),
        None => (
            "回答ライブラリ（最新の回答に追従）".to_owned(),
            "the answer library (follows its latest answers)".to_owned(),
        ),
    };
    let mut mail = Compose::new(&m.locale)
        .para(
            "Kensa からのお知らせです。取引先が、チェックシートの回答をあなたの組織と共有しました。",
            "This is a message from Kensa. A supplier shared its answers to a check sheet with your organization.",
        )
        .field("共有元", "Shared by", &m.owner_name)
        .field("チェックシート", "Check sheet", &m.template_name)
        .fact("共有された内容", "What is shared", &given_ja, &given_en)
        .fact("範囲", "Scope", scope_ja, scope_en)
        .fact("有効期限", "Until", &expires, &expires);
    if m.has_terms {
        mail = mail.para(
            "閲覧の前に、共有元が定めた条件への同意が必要です。閲覧とダウンロードは共有元の監査ログに記録されます。",
            "Its terms must be accepted before reading. Every read and download is recorded in the supplier's audit trail.",
        );
    } else {
        mail = mail.para(
            "閲覧とダウンロードは共有元の監査ログに記録されます。",
            "Every read and download is recorded in the supplier's audit trail.",
        );
    }
    mail.link("共有された回答（Kensa API）", "The shared answers (Kensa API)", &m.link).mail(
        &m.to,
        subject,
        Some(&m.owner_name),
    )
}

/// Repeated failed sign-ins to the recipient's account. Says what happened and what to do;
/// it carries no link that signs anyone in.
pub fn login_failures(n: &LoginNotice) -> OutgoingMail {
    let at = utc(n.at);
    let failures = n.failures.to_string();
    let subject = if n.locale == "en" {
        "Failed sign-ins to your Kensa account / サインイン失敗のお知らせ"
    } else {
        "【Kensa】サインイン失敗のお知らせ / Failed sign-ins to your account"
    };
    Compose::new(&n.locale)
        .para(
            "Kensa のあなたのアカウントに対して、サインインの失敗が繰り返されています。",
            "Your Kensa account has seen repeated failed sign-ins.",
        )
        .fact("アカウント", "Account", &n.to, &n.to)
        .fact("失敗の回数", "Failed sign-ins", &format!("{failures} 回"), &failures)
        .fact("最後の失敗", "Last failure", &at, &at)
        .fact("接続元", "From address", &n.address, &n.address)
        .para(
            "ご自身の操作であれば対応は不要です。心当たりがない場合、第三者がパスワードを推測している可能性があります。\n\
             アカウントはロックされていません。試行は接続元ごとに遅延されます。",
            "If that was you, nothing needs doing. If not, someone may be guessing your password.\n\
             Your account is not locked: attempts are slowed down per client address.",
        )
        .link(
            "パスワードが推測されにくいものか確認し、必要なら変更してください",
            "Make sure your password is not guessable, and change it if in doubt",
            &n.sign_in_url,
        )
        .mail(&n.to, subject, None)
}

/// A sign-in from an address the account never used. Says where to end it if it was not
/// the recipient; it carries no link that signs anyone in.
pub fn new_sign_in(n: &NewSignInNotice) -> OutgoingMail {
    let at = utc(n.at);
    let subject = if n.locale == "en" {
        "New sign-in to your Kensa account / 新しい接続元からのサインイン"
    } else {
        "【Kensa】新しい接続元からのサインイン / New sign-in to your account"
    };
    Compose::new(&n.locale)
        .para(
            "Kensa のあなたのアカウントに、これまで使われていない接続元からサインインがありました。",
            "Your Kensa account was signed in to from an address it has not used before.",
        )
        .fact("アカウント", "Account", &n.to, &n.to)
        .fact("日時", "At", &at, &at)
        .fact("接続元", "From address", &n.address, &n.address)
        .fact("端末", "Device", &n.device, &n.device)
        .para(
            "ご自身の操作であれば対応は不要です。心当たりがない場合は、アカウント画面でそのサインインを終了し、パスワードを変更して、二要素認証を有効にしてください。",
            "If that was you, nothing needs doing. If not, end that sign-in on your account page, change your password and turn on two-factor authentication.",
        )
        .link("サインインの一覧を確認する", "Review your sign-ins", &n.sessions_url)
        .mail(&n.to, subject, None)
}

/// "Verify your address": the link sent at sign-up (or when the user asks again).
pub fn verify_email(m: &AccountLinkMail) -> OutgoingMail {
    let expires = utc(m.expires_at);
    let subject = if m.locale == "en" {
        "Kensa: verify your email address / メールアドレスの確認"
    } else {
        "【Kensa】メールアドレスの確認 / Verify your email address"
    };
    Compose::new(&m.locale)
        .para(
            "Kensa へのご登録ありがとうございます。このアドレスがあなたのものであることを確認させてください。\n\
             確認が済むまで、取引先へのチェックシート送付や招待はできません。",
            "Thank you for signing up to Kensa. Please confirm that this address is yours.\n\
             Until you do, your organization cannot send check sheets or invitations.",
        )
        .fact("アカウント", "Account", &m.to, &m.to)
        .link(
            format!("次のリンクを開いて確認してください（{expires} まで有効、1 回のみ使用可）"),
            format!("Open this link to verify it (valid until {expires}, single use)"),
            &m.link,
        )
        .para("心当たりがない場合は、このメールを破棄してください。", "If you did not sign up, ignore this mail.")
        .mail(&m.to, subject, None)
}

/// "Reset your password": the link asked for on the sign-in page.
pub fn password_reset(m: &AccountLinkMail) -> OutgoingMail {
    let expires = utc(m.expires_at);
    let subject = if m.locale == "en" {
        "Kensa: reset your password / パスワードの再設定"
    } else {
        "【Kensa】パスワードの再設定 / Reset your password"
    };
    Compose::new(&m.locale)
        .para(
            "Kensa のあなたのアカウントについて、パスワードの再設定が依頼されました。",
            "Someone asked to reset the password of your Kensa account.",
        )
        .fact("アカウント", "Account", &m.to, &m.to)
        .link(
            format!("次のリンクから新しいパスワードを設定してください（{expires} まで有効、1 回のみ使用可）"),
            format!("Set a new password with this link (valid until {expires}, single use)"),
            &m.link,
        )
        .para(
            "ご自身で依頼していない場合は、このメールを破棄してください。パスワードは変更されません。",
            "If you did not ask for this, ignore this mail: your password stays as it is.",
        )
        .mail(&m.to, subject, None)
}

/// "Your password was changed", with when and from where, and what to do if it was not
/// the recipient. It carries no link that signs anyone in.
pub fn password_changed(n: &PasswordChanged) -> OutgoingMail {
    let at = utc(n.at);
    let subject = if n.locale == "en" {
        "Kensa: your password was changed / パスワード変更のお知らせ"
    } else {
        "【Kensa】パスワード変更のお知らせ / Your password was changed"
    };
    Compose::new(&n.locale)
        .para(
            "Kensa のあなたのアカウントのパスワードが、再設定リンクによって変更されました。\n\
             すべての端末でサインアウトしました。新しいパスワードでサインインしてください。",
            "The password of your Kensa account was changed with a reset link.\n\
             Every session was signed out: sign in with the new password.",
        )
        .fact("アカウント", "Account", &n.to, &n.to)
        .fact("変更日時", "Changed at", &at, &at)
        .fact("接続元", "From address", &n.address, &n.address)
        .link(
            "ご自身の操作でない場合は、すぐに次のページからパスワードを再設定し、管理者に連絡してください",
            "If this was not you, reset your password at once on this page and tell your administrator",
            &n.reset_url,
        )
        .mail(&n.to, subject, None)
}

pub fn audit_checkpoint(n: &CheckpointNotice) -> OutgoingMail {
    let at = utc(n.at);
    let seq = n.seq.to_string();
    let subject = if n.locale == "en" {
        "Kensa: today's audit trail checkpoint / 監査ログのチェックポイント"
    } else {
        "【Kensa】監査ログのチェックポイント / Today's audit trail checkpoint"
    };
    Compose::new(&n.locale)
        .para(
            "Kensa からのお知らせです。組織の監査ログ（ハッシュチェーン）の現在の先頭を記録しました。\n\
             このメールを保管してください。監査ログがこの時点以前に書き換えられていれば、\n\
             下の番号とハッシュがチェーンと一致しなくなります。",
            "This is a message from Kensa. We recorded the current head of your organization's audit trail\n\
             (a hash chain). Keep this mail: if the trail up to this point is ever rewritten, the number and\n\
             hash below no longer match the chain.",
        )
        .field("組織名", "Organization", &n.organization)
        .fact("記録日時", "Recorded at", &at, &at)
        .fact("イベント番号", "Event number", &seq, &seq)
        .fact("ハッシュ (SHA-256)", "Hash (SHA-256)", &n.hash, &n.hash)
        .link(
            "オーナーまたは管理者としてサインインした API クライアントで、次のアドレスから照合できます",
            "An owner or admin can check it against the chain with an API client signed in at this address",
            &n.verify_url,
        )
        // Kensa's own security mail, not one sent at the organization's request: no footer
        // naming it as the sender.
        .mail(&n.to, subject, None)
}

pub fn organization_erasure(n: &ErasureNotice) -> OutgoingMail {
    if let Some(person) = &n.person {
        return person_erasure(n, person);
    }
    let at = utc(n.erase_at);
    let subject = match (n.cancelled, n.locale == "en") {
        (false, true) => "Kensa: your organization will be erased / 組織の消去が予定されました",
        (false, false) => "【Kensa】組織の消去が予定されました / Your organization will be erased",
        (true, true) => "Kensa: the erasure of your organization was cancelled / 組織の消去が取り消されました",
        (true, false) => "【Kensa】組織の消去が取り消されました / The erasure of your organization was cancelled",
    };
    let compose = if n.cancelled {
        Compose::new(&n.locale).para(
            "Kensa からのお知らせです。組織の消去はオーナーによって取り消されました。\n\
             データはこれまでどおり残ります。",
            "This is a message from Kensa. An owner cancelled the erasure of your organization.\n\
             Its data stays as it was.",
        )
    } else {
        Compose::new(&n.locale).para(
            "Kensa からのお知らせです。オーナーが組織の消去を依頼しました。下記の日時に、\n\
             組織のユーザー、回答、証跡ファイル、監査ログなどすべてのデータが消去され、元に戻せません。\n\
             取引先のバイヤーに提出済みの回答は、担当者の氏名とアドレスを伏せてバイヤーの手元に残ります。\n\
             それまではどのオーナーでも取り消せます。必要なデータは先にエクスポートしてください。",
            "This is a message from Kensa. An owner asked for your organization to be erased. At the time\n\
             below its users, answers, evidence files, audit trail and all other data are erased for good.\n\
             Answers it submitted to buyers stay with them, with the names and addresses of its people replaced.\n\
             Until then any owner can cancel it. Export what you need to keep first.",
        )
    };
    let compose = compose.field("組織名", "Organization", &n.organization);
    let compose = if n.cancelled { compose } else { compose.fact("消去日時", "Erased at", &at, &at) };
    compose
        .link(
            "オーナーは次のアドレスで状況を確認し、DELETE で取り消せます",
            "Owners see it, and cancel it with DELETE, at this address",
            &n.settings_url,
        )
        // Kensa's own notice about the account, not mail the organization sends: no footer.
        .mail(&n.to, subject, None)
}

/// The mail about one person's erasure, to them and to the owners.
fn person_erasure(n: &ErasureNotice, person: &str) -> OutgoingMail {
    let at = utc(n.erase_at);
    let subject = match (n.cancelled, n.locale == "en") {
        (false, true) => "Kensa: a person's data will be erased / 個人データの消去が予定されました",
        (false, false) => "【Kensa】個人データの消去が予定されました / A person's data will be erased",
        (true, true) => "Kensa: the erasure of a person's data was cancelled / 個人データの消去が取り消されました",
        (true, false) => "【Kensa】個人データの消去が取り消されました / The erasure of a person's data was cancelled",
    };
    let compose = if n.cancelled {
        Compose::new(&n.locale).para(
            "Kensa からのお知らせです。下記の方の個人データの消去は取り消されました。\n\
             アカウントとデータはこれまでどおり残ります。",
            "This is a message from Kensa. The erasure of the person below was cancelled.\n\
             Their account and data stay as they were.",
        )
    } else {
        Compose::new(&n.locale).para(
            "Kensa からのお知らせです。下記の方の個人データの消去が依頼されました。下記の日時に、\n\
             アカウント、セッション、サインイン履歴が消去され、回答・コメント・監査ログなど組織の記録からは\n\
             氏名・アドレス・ID が伏せられます。元に戻せません。それまでは本人かオーナーが取り消せます。",
            "This is a message from Kensa. Someone asked for the personal data of the person below to be\n\
             erased. At the time below their account, sessions and sign-ins are erased, and their name,\n\
             address and id are replaced in the organization's records (answers, comments, audit trail).\n\
             It cannot be undone. Until then they or any owner can cancel it.",
        )
    };
    let compose = compose.field("組織名", "Organization", &n.organization).field("対象者", "Person", person);
    let compose = if n.cancelled { compose } else { compose.fact("消去日時", "Erased at", &at, &at) };
    compose
        .link(
            "本人とオーナーは次のアドレスで状況を確認し、DELETE で取り消せます",
            "They and the owners see it, and cancel it with DELETE, at this address",
            &n.settings_url,
        )
        // Kensa's own notice about an account, not mail the organization sends: no footer.
        .mail(&n.to, subject, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(locale: &str) -> LoginNotice {
        LoginNotice {
            to: "sato@example.com".into(),
            name: "Sato".into(),
            locale: locale.into(),
            failures: 12,
            address: "192.0.2.1".into(),
            at: DateTime::<Utc>::default(),
            sign_in_url: "http://kensa.test/login".into(),
        }
    }

    #[test]
    fn a_mail_about_the_recipients_own_account_names_no_organization_in_its_footer() {
        let mail = login_failures(&notice("en"));
        let text = mail.text();
        assert!(text.starts_with("Your Kensa account has seen repeated failed sign-ins."), "{text}");
        assert!(text.contains("From address: 192.0.2.1\n") && text.contains("失敗の回数: 12 回\n"), "{text}");
        assert!(text.contains("your own Kensa account") && text.contains("ご自身のアカウント"), "{text}");
        assert!(!text.contains("Contact:") && mail.contact.is_none(), "{text}");
        let html = mail.html();
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{html}");
        assert_eq!(html.matches("<a href=\"http://kensa.test/login\"").count(), 2, "{html}");
    }
}
