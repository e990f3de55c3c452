//! The sharing and answer-library pages' words in Japanese and English.

use kensa_domain::shares::{ShareKind, ShareRequestStatus, ShareScope, ShareState};
use kensa_domain::templates::AnswerStatus;

use super::i18n::Lang;

crate::web::i18n::texts!(SharingTexts, SHARING_JA, SHARING_EN {
    nav_sharing: "共有", "Sharing";
    nav_library: "回答ライブラリ", "Answer library";
    sharing_title: "回答の共有", "Sharing answers";
    sharing_lead: "提出した回答や回答ライブラリを、同意のうえで他の組織と共有します。共有はいつでも取り消せ、閲覧はすべて共有元の監査ログに残ります。", "Share submitted answers or your answer library with other organizations, with consent. A share can be revoked at any time; every read is in the sharing organization's audit trail.";
    requests_to_you: "あなたへの共有依頼", "Requests to you";
    requests_to_you_none: "未対応の共有依頼はありません。", "No open requests.";
    requests_yours: "あなたが送った共有依頼", "Your requests";
    requests_yours_none: "共有依頼はまだ送っていません。", "You have not asked anyone yet.";
    reply_share: "回答ライブラリを共有", "Share my answer library";
    decline: "辞退", "Decline";
    withdraw: "取り下げ", "Withdraw";
    shared_with_you: "あなたに共有された回答", "Shared with you";
    shared_with_you_none: "共有された回答はありません。", "Nothing is shared with you.";
    you_share: "あなたが共有している回答", "What you share";
    you_share_none: "まだ何も共有していません。", "You share nothing yet.";
    from: "共有元", "From";
    to: "共有先", "With";
    requester: "依頼元", "Asked by";
    message: "メッセージ", "Message";
    kind: "種類", "Kind";
    scope: "範囲", "Scope";
    date: "日付", "Date";
    until: "有効期限", "Until";
    state: "状態", "State";
    kind_snapshot: "提出済みの回答（固定）", "Submitted answers (frozen)";
    kind_live: "回答ライブラリ（最新）", "Answer library (live)";
    scope_scores: "スコアのみ", "Scores only";
    scope_answers: "回答", "Answers";
    scope_answers_and_evidence: "回答と証跡", "Answers and evidence";
    state_unclaimed: "未受領", "Not claimed yet";
    state_active: "有効", "Active";
    state_expired: "期限切れ", "Expired";
    state_revoked: "取り消し済み", "Revoked";
    request_open: "未対応", "Open";
    request_fulfilled: "共有済み", "Shared";
    request_declined: "辞退", "Declined";
    request_cancelled: "取り下げ", "Withdrawn";
    terms: "同意が必要な条件", "Terms to accept";
    terms_hint: "任意。受け手が閲覧前に同意する文（秘密保持条項など）。", "Optional: text the recipient accepts before reading (a confidentiality clause, say).";
    accept_terms: "条件に同意して閲覧", "Accept the terms and read";
    terms_pending: "条件への同意待ち", "Terms not accepted yet";
    view: "表示", "View";
    revoke: "共有を取り消す", "Revoke";
    new_share: "新しく共有する", "Share something new";
    source: "共有するもの", "What to share";
    recipient_domain: "共有先のメールドメイン", "Recipient's email domain";
    recipient_domain_hint: "例: chubu.example。そのドメインの確認済みアドレスを持つ利用者が、一度だけ受け取れるリンクを作成します。", "For example chubu.example: makes a link that one organization, through a user with a verified address at that domain, can claim once.";
    recipient_organization: "共有先の組織ID", "Recipient's organization id";
    recipient_organization_hint: "ドメインの代わりに、Kensa上の組織IDを指定できます。", "Instead of a domain, an organization's id on Kensa.";
    expires: "有効期限（任意）", "Expires (optional)";
    expires_hint: "空欄なら12か月後。最長3年。", "Twelve months from now when blank; at most three years.";
    create: "共有する", "Share";
    link_title: "共有リンク", "Share link";
    link_lead: "このリンクは今回だけ表示されます。共有先に安全な方法で伝えてください。", "This link is shown this once: pass it on to the recipient safely.";
    shared_answers: "共有された回答", "Shared answers";
    shared_by: "共有元", "Shared by";
    answers: "回答", "Answers";
    evidence: "証跡ファイル", "Evidence files";
    no_answer: "未回答", "Not answered";
    review_title: "確認結果", "Your review";
    review_accept: "受け入れる", "Accept";
    review_changes: "修正を依頼する", "Ask for changes";
    review_comment: "コメント（修正依頼には必須）", "Comment (required to ask for changes)";
    reviewed: "確認済み", "Reviewed";
    library_title: "回答ライブラリ", "Answer library";
    library_lead: "提出したアセスメントの最新の回答です。新しい依頼への事前入力や共有に使われます。ここで編集すると、次の事前入力と最新の共有に反映されます（提出済みのアセスメントは変わりません）。", "The latest answers of your submitted assessments, used to prefill new requests and by live shares. An edit here reaches the next prefill and live shares (submitted assessments do not change).";
    library_none: "まだライブラリに回答はありません。アセスメントを提出すると作られます。", "No answers in the library yet: submitting an assessment fills it.";
    library_items: "回答済みの項目", "Items answered";
    library_updated: "最終更新", "Last updated";
    open: "開く", "Open";
    more: "さらに表示", "More";
    question: "要求事項", "Requirement";
    claim_title: "共有を受け取る", "Claim a share";
    claim_lead: "このリンクで共有された回答を、あなたの組織で受け取ります。受け取れるのは、リンクのドメインの確認済みメールアドレスを持つ所有者・管理者・レビュアーです。", "Receive the answers shared through this link for your organization. Owners, admins and reviewers with a verified address at the link's domain can claim it.";
    claim: "受け取る", "Claim";
    answer_implemented: "実施している", "Implemented";
    answer_partially: "一部実施している", "Partially implemented";
    answer_not_implemented: "実施していない", "Not implemented";
    answer_not_applicable: "該当しない", "Not applicable";
});

impl Lang {
    pub fn sharing(self) -> &'static SharingTexts {
        match self {
            Lang::Ja => &SHARING_JA,
            Lang::En => &SHARING_EN,
        }
    }

    pub fn share_kind(self, kind: ShareKind) -> &'static str {
        let t = self.sharing();
        match kind {
            ShareKind::Snapshot => t.kind_snapshot,
            ShareKind::Live => t.kind_live,
        }
    }

    pub fn share_scope(self, scope: ShareScope) -> &'static str {
        let t = self.sharing();
        match scope {
            ShareScope::Scores => t.scope_scores,
            ShareScope::Answers => t.scope_answers,
            ShareScope::AnswersAndEvidence => t.scope_answers_and_evidence,
        }
    }

    pub fn share_state(self, state: ShareState) -> &'static str {
        let t = self.sharing();
        match state {
            ShareState::Unclaimed => t.state_unclaimed,
            ShareState::Active => t.state_active,
            ShareState::Expired => t.state_expired,
            ShareState::Revoked => t.state_revoked,
        }
    }

    /// An answer in the default scale's words (a shared answer is read without the buyer's
    /// own labels).
    pub fn answer_status(self, status: AnswerStatus) -> &'static str {
        let t = self.sharing();
        match status {
            AnswerStatus::Implemented => t.answer_implemented,
            AnswerStatus::PartiallyImplemented => t.answer_partially,
            AnswerStatus::NotImplemented => t.answer_not_implemented,
            AnswerStatus::NotApplicable => t.answer_not_applicable,
        }
    }

    pub fn request_status(self, status: ShareRequestStatus) -> &'static str {
        let t = self.sharing();
        match status {
            ShareRequestStatus::Open => t.request_open,
            ShareRequestStatus::Fulfilled => t.request_fulfilled,
            ShareRequestStatus::Declined => t.request_declined,
            ShareRequestStatus::Cancelled => t.request_cancelled,
        }
    }
}
