//! Checklist templates: the built-in JAMA/JAPIA check sheet and organizations' own.

pub mod catalog;
pub mod model;
pub mod repo;
pub mod service;
mod translation;

pub use model::{AnswerScale, AnswerStatus, Category, Item, Section, TemplateDocument};
pub use service::{CloneInput, TemplatePatch, TemplateSummary, TemplateView, TreeFilter};
