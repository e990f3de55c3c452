//! The check sheet of one assessment as a person reads it: categories with their purpose,
//! sections with their requirement, the in-scope items with their answers, the answer
//! scale, and what the reader may do. One read for the web page; the same access rules
//! and the same question view as `questions`.

use tracing::instrument;
use uuid::Uuid;

use super::access;
use super::model::{Assessment, Question, Side};
use super::repo;
use super::service::{question, view};
use crate::Kensa;
use crate::error::DomainResult;
use crate::templates::AnswerScale;
use crate::tenant::TenantCtx;

pub struct Sheet {
    pub assessment: Assessment,
    pub side: Side,
    pub scale: AnswerScale,
    pub categories: Vec<SheetCategory>,
    /// The reader may answer (supplier side, owner, admin or respondent).
    pub can_answer: bool,
    /// The reader may review (buyer side, owner, admin or reviewer).
    pub can_review: bool,
    /// The items that keep the assessment from being submitted (the submit rule's list).
    pub open_items: std::collections::BTreeSet<u32>,
}

pub struct SheetCategory {
    pub number: u32,
    pub name: String,
    pub name_en: Option<String>,
    pub purpose: String,
    pub purpose_en: Option<String>,
    pub sections: Vec<SheetSection>,
}

pub struct SheetSection {
    pub code: String,
    pub requirement: String,
    pub requirement_en: Option<String>,
    pub questions: Vec<Question>,
}

impl Sheet {
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.categories.iter().flat_map(|c| c.sections.iter().flat_map(|s| s.questions.iter()))
    }
}

#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn sheet(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Sheet> {
    let visible = access::load(&k.db, ctx, id).await?;
    let parsed = k.template_contents.load(&k.db, visible.row().template_id).await?;
    let answers = repo::answers(&k.db, &visible).await?;
    let references = crate::crosswalk::references_for(k, visible.row().template_id).await?;
    let target = visible.row().target_level;
    let mut categories = Vec::new();
    for category in &parsed.0.categories {
        let mut sections = Vec::new();
        for section in &category.sections {
            let mut questions = Vec::new();
            for item in section.items.iter().filter(|i| i32::from(i.level) <= target) {
                questions.push(question(category, section, item, &answers, &references)?);
            }
            if !questions.is_empty() {
                sections.push(SheetSection {
                    code: section.code.clone(),
                    requirement: section.requirement.clone(),
                    requirement_en: section.requirement_en.clone(),
                    questions,
                });
            }
        }
        if !sections.is_empty() {
            categories.push(SheetCategory {
                number: category.number,
                name: category.name.clone(),
                name_en: category.name_en.clone(),
                purpose: category.purpose.clone(),
                purpose_en: category.purpose_en.clone(),
                sections,
            });
        }
    }
    let open_items = super::answers::open_items(&parsed.0, target, &answers).into_iter().map(|(no, _)| no).collect();
    Ok(Sheet {
        open_items,
        side: visible.side(),
        can_answer: visible.answerer().is_ok(),
        can_review: visible.reviewer().is_ok(),
        scale: parsed.1.clone(),
        categories,
        assessment: view(k, visible.row().clone()).await?,
    })
}
