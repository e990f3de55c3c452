//! Assessments: one supplier's questionnaire, from invitation to acceptance.

pub mod access;
pub mod answers;
pub mod claims;
mod create;
pub mod evidence;
pub mod evidence_names;
pub mod evidence_store;
pub mod history;
pub mod invitations;
pub mod model;
pub mod remediation;
pub(crate) mod repo;
pub mod review;
pub mod s3_store;
pub mod service;
pub mod sheet;
pub mod staging;
pub mod workbook;

pub(crate) use create::{NewAssessment, create_many};
pub use model::{
    Answer, AnswerInput, Assessment, Comment, HistoryEvent, HistoryKind, Question, Side, Status, Visibility,
};
