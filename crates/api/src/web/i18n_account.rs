//! The words of the account pages (forgotten password, reset, address verification) in
//! Japanese and English.

use super::i18n::Lang;

crate::web::i18n::texts!(AccountTexts, ACCOUNT_JA, ACCOUNT_EN {
    forgot_link: "パスワードをお忘れですか？", "Forgot your password?";
    forgot_title: "パスワードの再設定", "Reset your password";
    forgot_lead: "アカウントのメールアドレスを入力してください。再設定用のリンク（30分間有効、1回のみ使用可）をお送りします。", "Enter your account's email address: we mail you a link to set a new password (valid for 30 minutes, single use).";
    forgot_button: "再設定リンクを送る", "Send the link";
    forgot_sent: "このアドレスのアカウントがあれば、パスワード再設定のリンクを送りました。メールを確認してください。届かない場合は、アドレスを確認してもう一度お試しください。", "If an account uses this address, a link to reset its password is on its way. Check your mail; if nothing arrives, check the address and try again.";
    reset_title: "新しいパスワードの設定", "Set a new password";
    reset_lead: "新しいパスワードを入力してください。設定すると、すべての端末でサインアウトします。", "Choose a new password. Setting it signs you out everywhere.";
    new_password: "新しいパスワード", "New password";
    reset_button: "パスワードを設定する", "Set the password";
    reset_done_title: "パスワードを変更しました", "Your password was changed";
    reset_done_body: "すべての端末でサインアウトしました。新しいパスワードでサインインしてください。", "Every session was signed out. Sign in with your new password.";
    verify_title: "メールアドレスの確認", "Verify your email address";
    verify_lead: "次のボタンを押して、このメールアドレスがあなたのものであることを確認してください。", "Press the button to confirm that this email address is yours.";
    verify_button: "メールアドレスを確認する", "Verify my address";
    verify_done_title: "メールアドレスを確認しました", "Your address is verified";
    verify_done_body: "ありがとうございます。組織のオーナーのアドレスが確認されると、チェックシートの送付や招待ができるようになります。", "Thank you. Once an organization's owner is verified, it can send check sheets and invitations.";
    link_invalid_title: "このリンクは使えません", "This link does not work";
    link_invalid_body: "リンクが正しくないか、すでに使われたか、期限が切れています。新しいリンクを依頼してください。", "The link is incomplete, used already or expired. Ask for a new one.";
    unverified_title: "メールアドレスの確認が必要です", "Verify your email address first";
    unverified_body: "組織のオーナーがメールアドレスを確認するまで、チェックシートの送付や招待はできません。登録時に送られたメールのリンクを開いてください。", "Your organization cannot send check sheets or invitations until its owner verifies their email address: open the link mailed at sign-up.";
    unverified_banner: "メールアドレスが未確認です。確認するまで、チェックシートの送付や招待はできません。", "Your email address is not verified yet; until it is, your organization cannot send check sheets or invitations.";
});

impl Lang {
    pub fn account(self) -> &'static AccountTexts {
        match self {
            Lang::Ja => &ACCOUNT_JA,
            Lang::En => &ACCOUNT_EN,
        }
    }
}
