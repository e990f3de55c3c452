//! Labelled form controls with their errors, as every page writes them.

use kensa_domain::{DomainError, ErrorCode, FieldError};
use maud::{Markup, html};

use super::i18n::Lang;

/// A field error in the page's language: the services word their rules in English; the
/// common ones have Japanese here, the rest show as the service wrote them.
pub fn message(lang: Lang, e: &FieldError) -> String {
    if lang == Lang::En {
        return e.message.clone();
    }
    let ja = match e.code {
        ErrorCode::Required => "入力してください。",
        ErrorCode::TooLong => "長すぎます。",
        ErrorCode::InvalidEmail => "メールアドレスの形式が正しくありません。",
        ErrorCode::InvalidCharacters => "使用できない文字が含まれています。",
        ErrorCode::LinkNotAllowed => "URL やドメイン名は入力できません。",
        ErrorCode::PasswordTooShort => "パスワードは12文字以上にしてください。",
        ErrorCode::PasswordTooLong => "パスワードが長すぎます。",
        ErrorCode::PasswordSingleCharacterClass => "2種類以上の文字（英字、数字、記号など）を含めてください。",
        ErrorCode::PasswordSequential => "連続した文字や繰り返しは使えません。",
        ErrorCode::PasswordCommon | ErrorCode::PasswordTooWeak => "推測されやすいパスワードです。",
        ErrorCode::EmailTaken => "このメールアドレスはすでに登録されています。サインインしてください。",
        ErrorCode::InvalidValue => "値が正しくありません。",
        ErrorCode::NotAllowed => "この回答では入力できません。",
        ErrorCode::StatusNotAllowed => "このチェックシートでは選べない回答です。",
        ErrorCode::Unanswered => "未回答です。",
        ErrorCode::CarriedOver => "前回の回答を確認して保存してください。",
        _ => return e.message.clone(),
    };
    ja.to_owned()
}

/// The field errors of a refusal, or one error without a field for any other refusal.
pub fn field_errors(e: &DomainError) -> Vec<FieldError> {
    match e {
        DomainError::Validation(errors) => errors.clone(),
        DomainError::Unprocessable { errors, .. } if !errors.is_empty() => errors.clone(),
        other => vec![FieldError::new("", kensa_domain::ErrorCode::InvalidValue, other.to_string())],
    }
}

/// The messages about `name`.
pub fn errors_for<'a>(errors: &'a [FieldError], name: &str) -> Vec<&'a FieldError> {
    errors.iter().filter(|e| e.field == name || e.field.ends_with(&format!(".{name}"))).collect()
}

/// Errors not tied to one of `fields` (shown at the top of the form).
pub fn general_errors<'a>(errors: &'a [FieldError], fields: &[&str]) -> Vec<&'a FieldError> {
    errors.iter().filter(|e| !fields.iter().any(|f| e.field == *f || e.field.ends_with(&format!(".{f}")))).collect()
}

pub struct Input<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub autocomplete: &'a str,
    pub hint: Option<&'a str>,
    pub required: bool,
}

impl<'a> Input<'a> {
    pub fn new(name: &'a str, label: &'a str) -> Self {
        Self { id: name, name, label, kind: "text", value: "", autocomplete: "off", hint: None, required: true }
    }
    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }
    pub fn value(mut self, value: &'a str) -> Self {
        self.value = value;
        self
    }
    pub fn autocomplete(mut self, autocomplete: &'a str) -> Self {
        self.autocomplete = autocomplete;
        self
    }
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }
    pub fn id(mut self, id: &'a str) -> Self {
        self.id = id;
        self
    }
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub fn render(&self, lang: Lang, errors: &[FieldError]) -> Markup {
        let mine = errors_for(errors, self.name);
        let hint_id = format!("{}-hint", self.id);
        let error_id = format!("{}-error", self.id);
        let described = match (self.hint.is_some(), mine.is_empty()) {
            (true, false) => format!("{hint_id} {error_id}"),
            (true, true) => hint_id.clone(),
            (false, false) => error_id.clone(),
            (false, true) => String::new(),
        };
        html! {
            label for=(self.id) { (self.label) }
            @if let Some(hint) = self.hint { p.hint id=(hint_id) { (hint) } }
            @if !mine.is_empty() {
                p.field-error id=(error_id) { @for e in &mine { (message(lang, e)) " " } }
            }
            input id=(self.id) name=(self.name) type=(self.kind) value=(self.value)
                autocomplete=(self.autocomplete) required[self.required]
                aria-invalid=[(!mine.is_empty()).then_some("true")]
                aria-describedby=[(!described.is_empty()).then_some(described.as_str())];
        }
    }
}

/// The errors that belong to no field of the form, as an alert.
pub fn summary(lang: Lang, title: &str, errors: &[&FieldError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.notice.error role="alert" {
                strong { (title) }
                ul { @for e in errors { li { (message(lang, e)) } } }
            }
        }
    }
}
