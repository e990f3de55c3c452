//! The pages' words in Japanese and English. Each text is written once per language, side
//! by side; a text missing in either language does not compile.

use kensa_domain::assessments::model::Status;
use kensa_domain::tenant::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Ja => "日本語",
            Lang::En => "English",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }

    /// Of a pair of labels (a scale entry's), the one in this language.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }

    pub fn status(self, status: Status) -> &'static str {
        let t = self.texts();
        match status {
            Status::Sent => t.status_sent,
            Status::InProgress => t.status_in_progress,
            Status::Submitted => t.status_submitted,
            Status::ChangesRequested => t.status_changes_requested,
            Status::Accepted => t.status_accepted,
            Status::Cancelled => t.status_cancelled,
        }
    }

    pub fn role(self, role: Role) -> &'static str {
        let t = self.texts();
        match role {
            Role::Owner => t.role_owner,
            Role::Admin => t.role_admin,
            Role::Reviewer => t.role_reviewer,
            Role::Respondent => t.role_respondent,
            Role::Viewer => t.role_viewer,
        }
    }
}

/// `texts!(Name, JA_CONST, EN_CONST { key: "日本語", "English"; … })` defines a struct of
/// texts and its two instances. Each area of pages keeps its own group in its own file.
macro_rules! texts {
    ($name:ident, $ja_name:ident, $en_name:ident { $($key:ident: $ja:literal, $en:literal;)* }) => {
        pub struct $name { $(pub $key: &'static str,)* }
        pub const $ja_name: $name = $name { $($key: $ja,)* };
        pub const $en_name: $name = $name { $($key: $en,)* };
    };
}
pub(crate) use texts;

texts!(Texts, JA, EN {
    product: "Kensa", "Kensa";
    skip_to_content: "本文へ移動", "Skip to content";
    nav_assessments: "アセスメント", "Assessments";
    nav_suppliers: "取引先", "Suppliers";
    nav_campaigns: "キャンペーン", "Campaigns";
    nav_comparison: "比較", "Comparison";
    nav_settings: "設定", "Settings";
    nav_main: "メインメニュー", "Main menu";
    language: "言語", "Language";
    sign_in: "サインイン", "Sign in";
    sign_out: "サインアウト", "Sign out";
    signed_in_as: "サインイン中", "Signed in as";
    email: "メールアドレス", "Email address";
    password: "パスワード", "Password";
    password_hint: "12文字以上。2種類以上の文字を含め、推測されやすい語は避けてください。", "At least 12 characters, of two kinds or more; avoid common or sequential words.";
    your_name: "氏名", "Your name";
    organization_name: "組織名", "Organization name";
    sign_in_title: "Kensa にサインイン", "Sign in to Kensa";
    sign_in_failed: "メールアドレスまたはパスワードが違います。", "The email address or password is incorrect.";
    too_many_attempts: "試行回数が多すぎます。しばらく待ってから再度お試しください。", "Too many attempts. Wait a moment and try again.";
    form_errors: "入力内容を確認してください。", "Please check the form.";
    save: "保存", "Save";
    japanese_original: "日本語の原文", "Japanese original";
    saved: "保存しました", "Saved";
    not_saved: "保存されませんでした。入力内容は残っています。ページを再読み込みするか、サインインし直してください。", "Not saved. What you typed is still here; reload the page or sign in again.";
    cancel: "キャンセル", "Cancel";
    back: "戻る", "Back";
    yes: "はい", "Yes";
    no: "いいえ", "No";
    none: "なし", "None";
    // Invitations
    invitation_title: "チェックシートの回答依頼", "Request to answer a check sheet";
    invitation_lead: "次の依頼が届いています。", "You have been asked to answer:";
    invitation_from: "依頼元", "From";
    invitation_for: "回答する組織", "For";
    checklist: "チェックシート", "Check sheet";
    target_level: "対象レベル", "Target level";
    due_date: "回答期限", "Due date";
    link_expires: "リンクの有効期限", "Link expires";
    create_account: "アカウントを作成して回答する", "Create an account and answer";
    create_account_lead: "新しい組織とアカウントを作成します。", "This creates your organization and your account.";
    have_account: "すでにアカウントをお持ちですか？", "Already have an account?";
    link_existing: "自分の組織でこの依頼を受ける", "Answer as my organization";
    link_existing_lead: "サインイン中の組織（オーナーまたは管理者）でこの依頼に回答します。", "Your organization (you are an owner or admin) answers this request.";
    sign_in_to_link: "サインインして組織にリンク", "Sign in to link your organization";
    claim_pending_title: "依頼元の確認待ち", "Waiting for the buyer to confirm";
    claim_pending_body: "招待された連絡先と異なるメールアドレスのため、依頼元の管理者が確認するまでリンクされません。確認されるとメールでお知らせします。", "Your address is not the invited contact's, so the buyer's administrators confirm the link first. You will get a mail when they do.";
    link_used_title: "このリンクは使用済みです", "This link has already been used";
    link_used_body: "すでに受け付けられています。サインインしてアセスメントを開いてください。", "It was accepted already. Sign in to open the assessment.";
    link_revoked_title: "このリンクは取り消されました", "This link was revoked";
    link_revoked_body: "依頼元が新しいリンクを送ったか、依頼を取り消しました。依頼元に連絡してください。", "The sender sent a newer link or withdrew the request. Contact the sender.";
    link_expired_title: "このリンクは期限切れです", "This link has expired";
    link_expired_body: "依頼元に新しいリンクを送るよう依頼してください。", "Ask the sender for a new link.";
    link_unknown_title: "リンクが見つかりません", "Link not found";
    link_unknown_body: "URL が正しいか確認してください。", "Check that the address is complete.";
    // Join
    join_title: "組織への招待", "Invitation to join";
    join_lead: "次の組織に招待されています。", "You have been invited to join:";
    role: "役割", "Role";
    join_button: "アカウントを作成して参加", "Create my account and join";
    join_signed_in: "別のアカウントでサインイン中です。参加すると、このブラウザは新しいアカウントでサインインします。", "You are signed in with another account; joining signs this browser in with the new one.";
    // Assessments list
    assessments_title: "アセスメント", "Assessments";
    assessments_to_answer: "回答するアセスメント", "Assessments to answer";
    assessments_sent: "依頼したアセスメント", "Assessments you sent";
    no_assessments: "アセスメントはありません。", "No assessments.";
    buyer: "依頼元", "Buyer";
    supplier: "取引先", "Supplier";
    status: "状態", "Status";
    progress: "進捗", "Progress";
    overdue: "期限超過", "Overdue";
    open: "開く", "Open";
    more: "さらに表示", "More";
    status_sent: "未着手", "Sent";
    status_in_progress: "回答中", "In progress";
    status_submitted: "提出済み", "Submitted";
    status_changes_requested: "修正依頼", "Changes requested";
    status_accepted: "承認済み", "Accepted";
    status_cancelled: "取消", "Cancelled";
    // Assessment page
    filter: "絞り込み", "Filter";
    all_levels: "すべてのレベル", "All levels";
    unanswered_only: "未回答のみ", "Unanswered only";
    apply: "適用", "Apply";
    level: "レベル", "Level";
    category: "カテゴリ", "Category";
    purpose: "目的", "Purpose";
    requirement: "要求事項", "Requirement";
    criteria: "達成基準", "Criteria";
    scope_label: "対象", "Scope";
    frequency: "頻度", "Frequency";
    answer: "回答", "Answer";
    not_answered: "未回答", "Not answered";
    reason: "該当しない理由", "Reason it does not apply";
    remediation_plan: "改善計画", "Remediation plan";
    remediation_due: "改善予定日", "Remediation date";
    remark: "備考", "Remark";
    carried_over: "前回の回答を引き継ぎました。確認して保存してください。", "Carried over from the last review: check it and save.";
    last_changed_by: "最終更新", "Last changed";
    conflict_title: "この項目は他の人が変更しました", "Someone else changed this item";
    conflict_body: "あなたの入力は残っています。現在の内容を確認し、必要なら再度保存してください。", "What you typed is kept below. Check the current answer and save again if yours should win.";
    conflict_now: "現在の回答", "The answer now";
    evidence: "エビデンス", "Evidence";
    upload: "アップロード", "Upload";
    file: "ファイル", "File";
    delete: "削除", "Delete";
    no_evidence: "エビデンスはありません。", "No evidence.";
    comments: "コメント", "Comments";
    comment: "コメント", "Comment";
    add_comment: "コメントを追加", "Add comment";
    internal_note: "社内メモ（取引先には表示されません）", "Internal note (the supplier does not see it)";
    internal: "社内", "Internal";
    no_comments: "コメントはありません。", "No comments.";
    submit_title: "提出", "Submit";
    submit_button: "回答を提出する", "Submit the answers";
    submit_lead: "提出すると、依頼元が確認するまで回答は変更できません。", "Once submitted, the answers cannot change until the buyer has reviewed them.";
    unanswered_items: "未回答の項目", "Unanswered items";
    submitted_ok: "提出しました。依頼元の確認をお待ちください。", "Submitted. The buyer will review your answers.";
    read_only: "この回答は提出済みまたは承認済みのため、閲覧のみです。", "These answers are submitted or accepted: read only.";
    changes_requested_banner: "依頼元から修正依頼がありました。ハイライトされた項目とコメントを確認してください。", "The buyer asked for changes: see the highlighted items and comments.";
    concerned: "修正依頼の対象", "Changes requested here";
    review_title: "レビュー", "Review";
    prefill_title: "回答ライブラリから記入", "Fill in from your answer library";
    prefill_lead: "これまでに提出した回答で記入する項目:", "Items your earlier answers would fill in:";
    prefill_new: "この依頼元には初めて回答する項目", "Never answered to this buyer";
    prefill_unchanged: "前回この依頼元に回答した内容と同じ", "As last answered to this buyer";
    prefill_changed: "前回この依頼元に回答した内容から変更あり", "Changed since last answered to this buyer";
    prefill_hint: "空欄の項目と、前回のレビューから引き継いだ未確認の回答のうちライブラリと異なるものを記入します。記入した回答は確認待ちになります。確認済みの回答はそのままです。", "Fills in the blank items and the answers carried over from the last review (not yet confirmed) that differ from the library. Filled-in answers wait for your confirmation; confirmed answers stay as they are.";
    prefill_button: "ライブラリから記入する", "Fill in from the library";
    prefilled_ok: "ライブラリから記入しました。各項目を確認してください。", "Filled in from the library: confirm each item.";
    cited_by: "参照（参考）", "Cited by (indicative)";
    workbook_title: "Excelで回答する", "Answer in Excel";
    workbook_lead_answer: "チェックシートをExcelファイルでダウンロードし、オフラインで記入してアップロードできます。アップロードは全項目を検証し、問題があればセルごとに示して何も保存しません。ダウンロード後にここで回答を変更した場合は、もう一度ダウンロードしてください。", "Download the check sheet as an Excel workbook, fill it in offline and upload it. The upload checks every cell; with any problem nothing is saved and each one is shown by its cell. If answers change here after the download, download it again.";
    workbook_lead_read: "チェックシートを閲覧用のExcelファイルでダウンロードできます。", "Download the check sheet as a read-only Excel workbook.";
    workbook_download_ja: "ダウンロード（日本語）", "Download (Japanese)";
    workbook_download_en: "ダウンロード（英語）", "Download (English)";
    workbook_file: "記入したExcelファイル (.xlsx)", "Filled workbook (.xlsx)";
    workbook_upload: "アップロード", "Upload";
    workbook_saved: "Excelファイルの回答を保存しました。", "Saved the answers of the workbook.";
    workbook_refused_title: "Excelファイルを取り込めませんでした", "The workbook was not imported";
    workbook_refused_lead: "次の問題を直してからもう一度アップロードしてください。回答は保存されていません。", "Fix these problems and upload it again. No answer was saved.";
    workbook_cell: "セル", "Cell";
    workbook_problem: "問題", "Problem";
    workbook_back: "チェックシートに戻る", "Back to the check sheet";
    consent_title: "サプライチェーン集計への参加", "Counting in the supply chain figure";
    consent_lead: "依頼元が自社の顧客にサプライチェーンの集計（回答した取引先の数、達成レベルの分布、カテゴリ別の達成率）を転送するとき、この回答を含めてよいかを選んでください。いつでも変更できます。", "When this buyer forwards a supply chain figure (how many of its suppliers answered, their achieved levels, category achievements) to its own customers, may these answers count in it? You can change this at any time.";
    consent_question: "この回答を依頼元の集計に含めてよいですか", "May this buyer count these answers in its figure?";
    consent_none: "含めない", "Do not count them";
    consent_anonymous: "匿名で含める", "Count them anonymously";
    consent_named: "社名と達成レベルを添えて含める", "Count them with our name and achieved level";
    consent_saved: "集計への参加の設定を保存しました。", "Saved your choice for the supply chain figure.";
    accept: "承認する", "Accept";
    request_changes: "修正を依頼する", "Request changes";
    review_comment: "取引先へのコメント", "Comment to the supplier";
    review_item_comment: "この項目について取引先へのコメント（修正依頼に添えます）", "Comment to the supplier on this item (sent with the review)";
    review_item_hint: "項目ごとのコメントは各項目の下に記入できます。", "Comments on single items can be written under each item.";
    changed_meanwhile: "この間に回答が変更されました。内容を確認してから再度提出してください。", "The answers changed in the meantime: check them and submit again.";
    review_items: "対象項目の番号（カンマ区切り）", "Item numbers concerned (comma-separated)";
    accepted_ok: "承認しました。", "Accepted.";
    changes_requested_ok: "修正を依頼しました。", "Changes requested.";
    download: "ダウンロード", "Download";
    answered_of: "回答済み", "answered";
    jump_to: "移動", "Jump to";
    // Supplier claims
    claims_title: "取引先リンクの確認", "Supplier link requests";
    claims_lead: "招待した連絡先と異なるアドレスから回答依頼が受け付けられました。リンクを承認するか拒否してください。", "These invitations were accepted from an address other than the invited contact's. Approve or reject each link.";
    claims_none: "確認待ちのリクエストはありません。", "No requests are waiting.";
    claim_invited: "招待した連絡先", "Invited contact";
    claim_by: "受け付けた人", "Accepted by";
    claim_received: "受付日時", "Received";
    claim_decide: "この組織を取引先の回答者としてリンクしますか？", "Should this organization answer for the supplier?";
    claim_approve: "承認してリンクする", "Approve the link";
    claim_reject: "拒否する", "Reject";
    claim_pending: "確認待ち", "Pending";
    claim_approved: "承認済み", "Approved";
    claim_rejected: "拒否", "Rejected";
    claim_superseded: "取り下げ（別の方法でリンク済みなど）", "Closed (linked another way, or the supplier changed)";
    // Errors
    error_title: "エラー", "Error";
    not_found_title: "ページが見つかりません", "Page not found";
    not_found_body: "存在しないか、閲覧する権限がありません。", "It does not exist, or you may not see it.";
    forbidden_title: "権限がありません", "Not allowed";
    forbidden_body: "この操作を行う権限がありません。", "Your role does not allow this.";
    signed_out_title: "サインアウトされました", "You were signed out";
    signed_out_body: "しばらく操作がなかったか、別の場所でサインアウトしました。入力内容は保存されていません。サインインしてからもう一度お試しください。", "The session ended (no activity for a while, or signed out elsewhere); what you sent was not saved. Sign in and try again.";
    csrf_title: "フォームの有効期限が切れました", "The form has expired";
    csrf_body: "ページを再読み込みしてから、もう一度お試しください。", "Reload the page and try again.";
    conflict_error_title: "操作できません", "This cannot be done now";
    generic_error_body: "問題が発生しました。しばらくしてから再度お試しください。", "Something went wrong. Try again in a moment.";
    request_id: "リクエスト ID", "Request id";
    home: "ホーム", "Home";
    // Roles
    role_owner: "オーナー", "Owner";
    role_admin: "管理者", "Admin";
    role_reviewer: "レビュアー", "Reviewer";
    role_respondent: "回答者", "Respondent";
    role_viewer: "閲覧者", "Viewer";
});
