//! Assessments: one supplier's questionnaire, from invitation to acceptance.

pub mod access;
pub mod answers;
pub mod claims;
pub mod evidence;
pub mod history;
pub mod invitations;
pub mod model;
pub mod review;
pub mod service;

pub use model::{Answer, AnswerInput, Assessment, Comment, HistoryEvent, Question, Status};
