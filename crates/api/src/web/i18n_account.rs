//! The account pages' words (the sign-in's second step, two-factor enrolment, sign-ins,
//! forgotten password, reset, address verification) in Japanese and English.

use super::i18n::Lang;

crate::web::i18n::texts!(AccountTexts, ACCOUNT_JA, ACCOUNT_EN {
    mfa_title: "二要素認証", "Two-factor authentication";
    mfa_code: "確認コード", "Verification code";
    mfa_code_hint: "認証アプリに表示される6桁のコード。アプリが使えない場合はリカバリーコードを入力してください。", "The 6-digit code your authenticator app shows. Without the app, enter one of your recovery codes.";
    mfa_verify: "確認", "Verify";
    mfa_invalid_code: "コードが正しくありません。最新のコードを入力してください。", "The code is not valid. Enter the current code.";
    mfa_ticket_dead: "確認の有効期限が切れたか、誤ったコードが多すぎました。もう一度サインインしてください。", "The verification expired or took too many wrong codes. Sign in again.";
    mfa_enrol_title: "二要素認証を設定する", "Set up two-factor authentication";
    mfa_enrol_required: "組織のポリシーにより、二要素認証の設定が必要です。", "Your organization requires two-factor authentication.";
    mfa_enrol_steps: "認証アプリ（Google Authenticator、Microsoft Authenticator など）で QR コードを読み取り、表示された6桁のコードを入力してください。", "Scan the QR code with an authenticator app (Google Authenticator, Microsoft Authenticator, …) and enter the 6-digit code it shows.";
    mfa_secret: "QR コードを読み取れない場合のキー", "Key, if you cannot scan the QR code";
    mfa_qr_label: "認証アプリ用の QR コード", "QR code for the authenticator app";
    mfa_enable: "有効にする", "Turn on";
    recovery_title: "リカバリーコード", "Recovery codes";
    recovery_intro: "認証アプリが使えなくなったときに、それぞれ1回だけ使えます。今すぐ安全な場所に保管してください。再表示はできません。", "Each works once when your authenticator app is not at hand. Store them somewhere safe now: they are not shown again.";
    continue_label: "続ける", "Continue";
    account_title: "アカウントのセキュリティ", "Account security";
    mfa_on: "二要素認証は有効です。", "Two-factor authentication is on.";
    mfa_off: "二要素認証は無効です。パスワードが漏れても不正にサインインされないよう、有効にしてください。", "Two-factor authentication is off. Turn it on so that a leaked password alone cannot sign anyone in.";
    mfa_set_up: "二要素認証を設定する", "Set up two-factor authentication";
    mfa_disable: "二要素認証を無効にする", "Turn off two-factor authentication";
    mfa_turned_off: "二要素認証を無効にしました。", "Two-factor authentication is off.";
    recovery_left: "残りのリカバリーコード", "Recovery codes left";
    sessions_title: "サインイン中の端末", "Where you are signed in";
    device: "端末", "Device";
    address: "接続元", "Address";
    signed_in_at: "サインイン日時", "Signed in";
    last_used: "最終利用", "Last used";
    end: "終了", "End";
    this_device: "この端末", "this device";
    end_others: "他のすべての端末でサインアウト", "Sign out everywhere else";
    sessions_ended: "サインインを終了しました。", "Signed out there.";
    data_title: "あなたのデータ", "Your data";
    data_lead: "このアカウントの記録（プロフィール、サインイン履歴、あなたの回答・コメント・操作履歴）を ZIP ファイルで取り出せます。準備ができたら、ここからダウンロードしてください（7日間保管、リンクは1回限り）。", "Take the records that name you (your profile, sign-ins, the answers, comments and actions you made) as a ZIP file. Once it is ready, download it here (kept 7 days; each link works once).";
    data_export: "データの書き出しを依頼する", "Prepare an archive of my data";
    data_export_started: "書き出しを依頼しました。準備ができるとダウンロードできます。", "The archive is being prepared; it can be downloaded here once ready.";
    data_requested: "依頼日時", "Requested";
    data_status: "状態", "Status";
    data_download: "ダウンロード", "Download";
    data_preparing: "準備中", "Being prepared";
    data_ready: "準備完了", "Ready";
    data_failed: "失敗（再試行中）", "Failed (being retried)";
    data_expired: "期限切れ", "Expired";
    data_unavailable: "いまは書き出せません。組織の消去が進行中です。", "No archive can be prepared now: the organization is being erased.";
    erase_title: "アカウントの消去", "Erase my account";
    erase_lead: "アカウント、サインイン履歴、セッションを消去し、組織の記録（回答・コメント・監査ログ）からあなたの氏名・アドレスを伏せます。猶予期間が過ぎるまでは取り消せます。元に戻せません。", "Erases your account, sign-ins and sessions, and replaces your name and address in the organization's records (answers, comments, audit trail). You can cancel until the grace period ends; after that it cannot be undone.";
    erase_password: "パスワード（確認のため）", "Your password (to confirm)";
    erase_button: "アカウントの消去を依頼する", "Erase my account";
    erase_scheduled: "このアカウントは次の日時に消去されます:", "This account will be erased at:";
    erase_cancel: "消去を取り消す", "Cancel the erasure";
    erase_done: "アカウントの消去を予定しました。猶予期間中は取り消せます。", "Your account's erasure is scheduled; you can cancel it during the grace period.";
    erase_cancelled: "アカウントの消去を取り消しました。", "The erasure of your account was cancelled.";
    erase_wrong_password: "パスワードが正しくありません。", "The password is not correct.";
    erase_last_owner: "組織の最後のオーナーは消去できません。先に別のユーザーをオーナーにしてください。", "The organization's last owner cannot be erased: make another user owner first.";
    org_data_title: "組織のデータ", "The organization's data";
    retention_years: "証跡ファイルの保管年数（承認後）", "Keep evidence files (years after acceptance)";
    retention_hint: "0〜30。0 は無期限。過ぎた証跡ファイルはワーカーが削除します（回答とスコアは残ります）。", "0 to 30; 0 keeps them for good. The worker deletes older ones (answers and scores stay).";
    org_export_title: "組織のデータの書き出し", "Export the organization's data";
    org_export_lead: "組織が保有・関与したすべての記録と証跡ファイルを ZIP ファイルで取り出せます（7日間保管、リンクは1回限り）。", "Take every record the organization owns or took part in, with the evidence files, as one ZIP file (kept 7 days; each link works once).";
    org_export_button: "書き出しを依頼する", "Prepare the archive";
    org_erase_title: "組織の消去", "Erase the organization";
    org_erase_lead: "猶予期間の後、組織のユーザー、回答、証跡ファイル、監査ログなどすべてのデータを消去します。全員にメールで知らせ、期間中はどのオーナーでも取り消せます。バイヤーに提出済みの回答は、担当者の氏名とアドレスを伏せてバイヤーに残ります。", "After the grace period, erases the organization's users, answers, evidence files, audit trail and all other data. Everyone is mailed, and any owner can cancel until then. Answers submitted to buyers stay with them, with your people's names and addresses replaced.";
    org_erase_button: "組織の消去を依頼する", "Erase the organization";
    org_erase_scheduled: "組織は次の日時に消去されます:", "The organization will be erased at:";
    policy_title: "アカウントのセキュリティポリシー", "Account security policy";
    policy_mfa_everyone: "全員に二要素認証を必須にする", "Require two-factor authentication of everyone";
    policy_mfa_admins: "オーナーと管理者に二要素認証を必須にする", "Require two-factor authentication of owners and admins";
    policy_idle: "無操作でサインアウトするまで（分）", "Sign out after inactivity (minutes)";
    policy_idle_hint: "30〜10080（既定 480 = 8時間）。", "30 to 10080 (default 480 = 8 hours).";
    policy_lifetime: "サインインの有効期間（日）", "Sign-in lifetime (days)";
    policy_lifetime_hint: "1〜30（既定 30）。この期間が過ぎると、使用中でも再度サインインが必要です。", "1 to 30 (default 30): after it, even a sign-in in use must sign in again.";
    keys_title: "API キー", "API keys";
    keys_lead: "連携システム用のキーです。個人のパスワードの代わりに使い、Authorization: Bearer ヘッダーで送ります。", "Keys for integrations, instead of a person's password: sent as Authorization: Bearer.";
    key_name: "名前", "Name";
    key_scope: "権限", "Scope";
    key_prefix: "キーの先頭", "Key starts with";
    key_create: "キーを作成する", "Create a key";
    key_revoke: "無効にする", "Revoke";
    key_revoked: "無効", "Revoked";
    key_shown_once: "キーを作成しました。このキーは今だけ表示されます。今すぐ保管してください。", "The key was created. It is shown this once: store it now.";
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
