//! The demo's cast: one buyer, twenty suppliers, and where each supplier's assessment ends.

use chrono::NaiveDate;
use kensa_domain::assessments::model::AnswerInput;
use kensa_domain::templates::AnswerStatus;

/// Where a supplier's assessment is left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Invited, not yet accepted (its mail is in the outbox).
    Sent,
    /// Accepted and partly answered.
    InProgress,
    /// Partly answered and past its due date.
    Overdue,
    Submitted,
    ChangesRequested,
    /// Accepted by the buyer after one round of changes.
    Accepted,
    /// Cancelled by the buyer before the supplier accepted.
    CancelledUnanswered,
    /// Cancelled by the buyer while the supplier was answering.
    CancelledInProgress,
}

pub struct DemoSupplier {
    pub name: &'static str,
    pub contact: &'static str,
    /// Local part and domain stem of the contact address (`ito` at `tokai-seiki`).
    pub mailbox: (&'static str, &'static str),
    pub locale: &'static str,
    pub tier: &'static str,
    pub target_level: i32,
    pub tags: &'static [&'static str],
    pub stage: Stage,
}

pub const BUYER_ORGANIZATION: &str = "Chubu Motor Co., Ltd.";
pub const BUYER_OWNER: &str = "Aki Tanaka";
pub const BUYER_MAILBOX: (&str, &str) = ("aki.tanaka", "chubu-motor");
pub const CAMPAIGN: &str = "FY2026 supplier cybersecurity review";

/// One row of the table below; positional so that each supplier fits on one line.
#[allow(clippy::too_many_arguments)]
const fn s(
    name: &'static str,
    contact: &'static str,
    mailbox: (&'static str, &'static str),
    locale: &'static str,
    tier: &'static str,
    target_level: i32,
    tags: &'static [&'static str],
    stage: Stage,
) -> DemoSupplier {
    DemoSupplier { name, contact, mailbox, locale, tier, target_level, tags, stage }
}

#[rustfmt::skip]
pub const SUPPLIERS: [DemoSupplier; 20] = [
    s("Tokai Seiki Co., Ltd.", "Kenji Ito", ("ito", "tokai-seiki"), "ja", "tier1", 2, &["castings", "aichi"], Stage::Accepted),
    s("Kanto Denki K.K.", "Yumi Abe", ("abe", "kanto-denki"), "ja", "tier1", 2, &["harness"], Stage::Accepted),
    s("株式会社北陸プレス工業", "佐藤 健", ("sato", "hokuriku-press"), "ja", "tier2", 1, &["stamping"], Stage::Accepted),
    s("Sanyo Gosei Kogyo Co., Ltd.", "Hiroshi Kato", ("kato", "sanyo-gosei"), "en", "tier1", 3, &["plastics", "ecu"], Stage::Submitted),
    s("Nagoya Bearing Works", "Mai Suzuki", ("suzuki", "nagoya-bearing"), "ja", "tier2", 2, &["bearings", "aichi"], Stage::Submitted),
    s("Shinshu Precision K.K.", "Takeshi Kobayashi", ("kobayashi", "shinshu-precision"), "ja", "tier2", 1, &["machining"], Stage::Submitted),
    s("東北電装株式会社", "高橋 直子", ("takahashi", "tohoku-denso"), "ja", "tier1", 2, &["electronics"], Stage::ChangesRequested),
    s("Kyushu Rubber Industries", "Daisuke Yamamoto", ("yamamoto", "kyushu-rubber"), "en", "tier2", 1, &["rubber", "seals"], Stage::ChangesRequested),
    s("Hamamatsu Die Casting Co., Ltd.", "Naoki Nakamura", ("nakamura", "hamamatsu-dc"), "ja", "tier2", 2, &["castings"], Stage::ChangesRequested),
    s("Setouchi Steel Tube K.K.", "Aya Watanabe", ("watanabe", "setouchi-tube"), "ja", "tier3", 1, &["steel"], Stage::InProgress),
    s("Kansai Harness Systems", "Ryo Yoshida", ("yoshida", "kansai-harness"), "ja", "tier1", 2, &["harness"], Stage::InProgress),
    s("Mikawa Plastics Co., Ltd.", "Emi Yamada", ("yamada", "mikawa-plastics"), "en", "tier2", 1, &["plastics", "aichi"], Stage::InProgress),
    s("株式会社信越ファスナー", "松本 翔", ("matsumoto", "shinetsu-fastener"), "ja", "tier3", 1, &["fasteners"], Stage::Overdue),
    s("Toyama Glass Industry K.K.", "Yuko Inoue", ("inoue", "toyama-glass"), "ja", "tier2", 1, &["glass"], Stage::Sent),
    s("Hokkaido Forging Co., Ltd.", "Shota Kimura", ("kimura", "hokkaido-forging"), "ja", "tier3", 1, &["forging"], Stage::Sent),
    s("Chugoku Paint Works", "Misaki Hayashi", ("hayashi", "chugoku-paint"), "en", "tier3", 1, &["coatings"], Stage::Sent),
    s("Okayama Seat Frame K.K.", "Kazuki Shimizu", ("shimizu", "okayama-seat"), "ja", "tier2", 2, &["seating"], Stage::Sent),
    s("Gifu Spring Manufacturing", "Haruka Yamaguchi", ("yamaguchi", "gifu-spring"), "ja", "tier3", 1, &["springs"], Stage::Sent),
    s("Shizuoka Filter Co., Ltd.", "Tomoya Mori", ("mori", "shizuoka-filter"), "ja", "tier3", 1, &["filters"], Stage::CancelledUnanswered),
    s("Ibaraki Sensor Devices K.K.", "Sakura Ikeda", ("ikeda", "ibaraki-sensor"), "en", "tier2", 2, &["sensors", "ecu"], Stage::CancelledInProgress),
];

/// `local@stem.example.com`, or `local@stem-tag.example.com` when a tag keeps a second
/// demo's addresses apart from the first's.
pub fn email((local, stem): (&str, &str), tag: Option<&str>) -> String {
    match tag {
        Some(tag) => format!("{local}@{stem}-{tag}.example.com"),
        None => format!("{local}@{stem}.example.com"),
    }
}

/// A plausible answer for item `no` of the `supplier`-th supplier: mostly implemented, some
/// partial or missing with a remediation plan, a few not applicable with a reason.
pub fn answer(supplier: usize, no: u32, today: NaiveDate) -> AnswerInput {
    let roll = (no as usize * 37 + supplier * 53) % 100;
    let blank = AnswerInput {
        status: AnswerStatus::Implemented,
        comment: None,
        reason: None,
        remediation_plan: None,
        remediation_due: None,
    };
    match roll {
        0..=67 => {
            AnswerInput { comment: roll.is_multiple_of(4).then(|| COMMENTS[roll % COMMENTS.len()].to_owned()), ..blank }
        }
        68..=81 => AnswerInput {
            status: AnswerStatus::PartiallyImplemented,
            remediation_plan: Some(PLANS[roll % PLANS.len()].to_owned()),
            remediation_due: Some(today + chrono::Duration::days(120 + (roll as i64 % 5) * 30)),
            ..blank
        },
        82..=91 => AnswerInput {
            status: AnswerStatus::NotImplemented,
            remediation_plan: Some(PLANS[(roll + 1) % PLANS.len()].to_owned()),
            remediation_due: Some(today + chrono::Duration::days(270)),
            ..blank
        },
        _ => AnswerInput {
            status: AnswerStatus::NotApplicable,
            reason: Some(REASONS[roll % REASONS.len()].to_owned()),
            ..blank
        },
    }
}

const COMMENTS: [&str; 4] = [
    "情報セキュリティ基本方針 第3版 (2026-04) に規定",
    "Covered by our ISMS (ISO/IEC 27001 certified, 2025)",
    "年次の内部監査で確認済み",
    "Checked in the quarterly management review",
];

const PLANS: [&str; 4] = [
    "全拠点への展開を予定 (Roll out to all plants)",
    "Formalise the procedure and train the plant IT staff",
    "外部委託先との契約に条項を追加",
    "Budgeted for FY2027: tooling and a part-time owner",
];

const REASONS: [&str; 3] = [
    "該当する設備・業務がない (no such systems)",
    "No remote access to production systems",
    "Handled by the parent company's shared IT (covered by its assessment)",
];

/// A minimal, valid PDF: the demo's evidence file.
pub const POLICY_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n\
trailer<</Root 1 0 R>>\n%%EOF\n";
