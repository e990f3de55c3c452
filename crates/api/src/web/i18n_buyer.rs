//! The buyer pages' words (suppliers, campaigns, comparison, settings) in Japanese and
//! English.

use super::i18n::Lang;

crate::web::i18n::texts!(BuyerTexts, BUYER_JA, BUYER_EN {
    any: "すべて", "Any";
    search: "検索（名称・メール）", "Search (name or email)";
    actions: "操作", "Actions";
    // Suppliers
    suppliers_title: "取引先", "Suppliers";
    no_suppliers: "取引先はありません。", "No suppliers.";
    supplier_name: "取引先名", "Supplier name";
    contact: "担当者", "Contact";
    contact_name: "担当者名", "Contact name";
    contact_email: "担当者メールアドレス", "Contact email";
    contact_locale: "担当者への連絡言語", "Language of the contact's mails";
    tier: "ティア・重要度", "Tier / criticality";
    tier_hint: "例: tier1、重要", "For example: tier1, critical";
    tag: "タグ", "Tag";
    tags: "タグ", "Tags";
    tags_hint: "カンマ区切り（最大20個）", "Comma-separated (at most 20)";
    review_interval: "レビュー間隔（月）", "Review interval (months)";
    review_interval_hint: "1〜60。空欄なら12か月。", "1 to 60; 12 when left empty.";
    next_review: "次回レビュー", "Next review";
    not_started: "未依頼", "Not started";
    add_supplier: "取引先を追加", "Add a supplier";
    supplier_added: "取引先を追加しました。", "The supplier was added.";
    import_csv: "CSV から一括登録", "Import from CSV";
    import_hint: "UTF-8 または Shift_JIS、最大 16 MiB。ヘッダー行:", "UTF-8 or Shift_JIS, at most 16 MiB. Header line:";
    csv_file: "CSV ファイル", "CSV file";
    import_partial: "エラーのない行だけを取り込む", "Import the valid rows even if others are rejected";
    import_button: "取り込む", "Import";
    import_report: "取り込み結果", "Import report";
    import_not_applied: "エラーのある行があるため、何も取り込まれていません。行を修正するか、エラーのない行だけを取り込んでください。", "Some rows were rejected, so nothing was imported. Fix them, or import the valid rows only.";
    created: "新規登録", "Created";
    updated: "更新", "Updated";
    rejected: "エラー", "Rejected";
    line: "行", "Line";
    reason: "理由", "Reason";
    // Campaigns
    campaigns_title: "キャンペーン", "Campaigns";
    no_campaigns: "キャンペーンはありません。", "No campaigns.";
    campaign_name: "キャンペーン名", "Campaign name";
    suppliers_count: "取引先数", "Suppliers";
    submitted_of: "提出済み", "submitted";
    new_campaign: "チェックシートを送付", "Send a check sheet";
    each_suppliers_level: "取引先ごとの対象レベル", "Each supplier's own target level";
    choose_suppliers: "送付先の取引先", "Suppliers to send it to";
    more_suppliers_hint: "最初の200社のみ表示しています。それ以上は API をご利用ください。", "Only the first 200 suppliers are listed; use the API for more.";
    send_campaign: "送付する", "Send";
    campaign_created: "キャンペーンを作成し、依頼メールを送信待ちにしました。", "The campaign was created; its invitations are on their way.";
    created_on: "作成日時", "Created";
    // Comparison
    comparison_title: "取引先の比較", "Supplier comparison";
    no_comparison: "比較できるアセスメントはまだありません。", "No assessments to compare yet.";
    comparison_table: "比較表", "Comparison table";
    overall: "総合達成率", "Overall";
    achieved_level: "達成レベル", "Achieved level";
    meets_target: "目標達成", "Meets target";
    not_scored: "提出された回答はまだありません。", "Nothing submitted yet.";
    scs_star3: "SCS ★3 対応（参考）", "SCS ★3 readiness (indicative)";
    scs_star3_short: "★3（参考）", "★3 (indicative)";
    scs_star3_hint: "経産省 SCS 評価制度の★3基準のうち、回答（実施している）が支える割合。評価ではなく参考値です。", "The share of METI SCS ★3 criteria the answers (implemented) support: an indication, not a rating.";
    at_least: "以上", "or more";
    heatmap: "カテゴリ別ヒートマップ", "Category heat map";
    heatmap_caption: "カテゴリ（1〜24）ごとの達成率。見出しの番号で並べ替えます。", "Achievement per category (1–24); a column's number sorts by it.";
    radar: "レーダーチャート", "Radar charts";
    shared_title: "共有された回答", "Answers shared with you";
    shared_lead: "取引先が自ら共有した回答です（依頼したアセスメントではありません）。日付は提出日または共有日です。", "Answers suppliers shared with you themselves (not assessments you sent). The date is when they were submitted or shared.";
    shared_kind: "種類", "Kind";
    shared_snapshot: "提出済みの回答（固定）", "Submitted answers (frozen)";
    shared_live: "回答ライブラリ（最新）", "Answer library (live)";
    shared_date: "日付", "Date";
    shared_until: "有効期限", "Until";
    terms_pending: "条件への同意待ち", "Terms not accepted yet";
    shared_badge: "共有", "Shared";
    shared_badge_hint: "依頼した回答の提出前に、取引先が共有した回答の数値です。", "Figures of answers the supplier shared with you, shown until it submits the assessment you sent.";
    below_title: "その先のサプライチェーン", "Supply chain below";
    below_lead: "取引先（Tier-1）が転送した、その取引先の集計です。数と分布は同意した取引先のみ、社名は社名の表示に同意した取引先のみです。", "Figures your Tier-1 suppliers forwarded about their own suppliers: distributions count only those that consented, names only those that agreed to be named.";
    below_asked: "依頼", "Asked";
    below_answered: "回答", "Answered";
    below_counted: "集計対象", "Counted";
    below_levels: "達成レベル（なし / Lv1 / Lv2 / Lv3）", "Achieved level (none / Lv1 / Lv2 / Lv3)";
    below_named: "社名の表示に同意した取引先", "Named sub-suppliers";
    radar_label: "カテゴリ別達成率のレーダーチャート", "radar chart of the achievement per category";
    export_csv: "CSV をダウンロード", "Download CSV";
    export_xlsx: "Excel をダウンロード", "Download Excel";
    // Settings
    settings_title: "設定", "Settings";
    members: "メンバー", "Members";
    person_name: "氏名", "Name";
    active: "有効", "Active";
    change_role: "役割を変更", "Change role";
    deactivate: "無効にする", "Deactivate";
    reactivate: "有効にする", "Reactivate";
    user_updated: "メンバーを更新しました。", "The member was updated.";
    invite_colleague: "メンバーを招待", "Invite a colleague";
    send_invitation: "招待を送る", "Send the invitation";
    invited: "招待メールを送信待ちにしました。", "The invitation is on its way.";
    pending_invitations: "承諾待ちの招待", "Pending invitations";
    no_pending: "承諾待ちの招待はありません。", "No pending invitations.";
    schedule: "リマインダーの設定", "Reminder schedule";
    reminder_offsets: "期限前のリマインダー（日前、カンマ区切り）", "Reminders before the due date (days, comma-separated)";
    reminder_offsets_hint: "例: 14, 7, 1", "For example: 14, 7, 1";
    overdue_interval: "期限超過後のリマインダー間隔（日）", "Days between overdue reminders";
    escalation_after: "管理者へのエスカレーション（期限超過後の日数）", "Escalate to admins after (days overdue)";
    review_lead: "年次レビューを開始する日数（次回レビュー日の何日前）", "Open the annual review (days before it is due)";
    settings_saved: "設定を保存しました。", "The settings were saved.";
    settings_changed: "この間に他の人が設定を変更しました。内容を確認して再度保存してください。", "Someone changed the settings meanwhile: check them and save again.";
});

impl Lang {
    pub fn buyer(self) -> &'static BuyerTexts {
        match self {
            Lang::Ja => &BUYER_JA,
            Lang::En => &BUYER_EN,
        }
    }
}
