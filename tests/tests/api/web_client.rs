//! A browser as far as HTTP goes: cookies kept per visitor, forms posted with the CSRF token
//! read from the page, redirects not followed (tests look at them).

use std::collections::BTreeMap;

use reqwest::StatusCode;

use crate::helpers::TestApp;

pub struct Visitor<'a> {
    pub app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    pub language: &'static str,
}

/// A page as the visitor got it.
pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub html: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// The `Set-Cookie` header that sets `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// The value of the first hidden `_csrf` field.
    pub fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        self.html
            .find(marker)
            .map(|i| &self.html[i + marker.len()..])
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned()
    }

    /// The hidden `basis` of item `no`'s form (the answer it shows).
    pub fn basis_of(&self, no: u32) -> String {
        let form = format!("/items/{no}\"");
        let start = self.html.find(&form).unwrap_or_else(|| panic!("no form for item {no}"));
        let marker = "name=\"basis\" value=\"";
        let rest = &self.html[start..];
        rest.find(marker)
            .map(|i| &rest[i + marker.len()..])
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_owned()
    }
}

impl<'a> Visitor<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self { app, cookies: BTreeMap::new(), language: "ja" }
    }

    pub fn with_language(app: &'a TestApp, language: &'static str) -> Self {
        Self { app, cookies: BTreeMap::new(), language }
    }

    /// Signed in through the sign-in page, in `language`: a signed-in user's own language
    /// wins over `Accept-Language`, so the visitor uses the language switch first.
    pub async fn signed_in(app: &'a TestApp, email: &str, language: &'static str) -> Visitor<'a> {
        let mut visitor = Self::with_language(app, language);
        let switched = visitor.get(&format!("/language/{language}?next=/sign-in")).await;
        assert_eq!(switched.status, StatusCode::SEE_OTHER);
        visitor.sign_in(email, crate::helpers::PASSWORD).await;
        visitor
    }

    /// A request with the visitor's cookies and language.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("accept-language", self.language)
    }

    pub fn english(mut self) -> Self {
        self.language = "en";
        self
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn keep(&mut self, response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, val)) = pair.split_once('=') {
                let removed = value.to_ascii_lowercase().contains("max-age=0");
                if removed || val.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), val.to_owned());
                }
            }
        }
        let html = response.text().await.unwrap_or_default();
        Page { status, headers, html }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let response =
            self.request(reqwest::Method::GET, path).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        self.keep(response).await
    }

    /// Posts a form as the page would, with the `_csrf` token given.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let response = self
            .request(reqwest::Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        self.keep(response).await
    }

    /// Loads `page_path` for its CSRF token, then posts `fields` with it to `action`.
    pub async fn submit(&mut self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(page_path).await;
        let token = page.csrf();
        assert!(!token.is_empty(), "no CSRF token on {page_path}: {}", page.status);
        let mut all: Vec<(&str, &str)> = vec![("_csrf", &token)];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Signs in through the sign-in page.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let page = self.submit("/sign-in", "/sign-in", &[("email", email), ("password", password)]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "sign-in: {}", page.html);
        // `__Host-kensa_session` outside development.
        assert!(self.cookies.keys().any(|k| k.ends_with("kensa_session")), "no session cookie after sign-in");
        page
    }

    /// Uploads a workbook as the assessment page's Excel form does.
    pub async fn upload_workbook(&mut self, assessment: &str, bytes: Vec<u8>) -> Page {
        let page = self.get(&format!("/assessments/{assessment}")).await;
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("checksheet.xlsx")
            .mime_str("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .unwrap_or_else(|e| panic!("mime: {e}"));
        let form = reqwest::multipart::Form::new().text("_csrf", page.csrf()).part("file", part);
        self.post_multipart(&format!("/assessments/{assessment}/workbook"), form).await
    }

    /// Uploads a file as the page's evidence form does.
    pub async fn upload(&mut self, assessment: &str, item_no: u32, name: &str, bytes: Vec<u8>, mime: &str) -> Page {
        let page = self.get(&format!("/assessments/{assessment}")).await;
        let form =
            reqwest::multipart::Form::new().text("_csrf", page.csrf()).text("item_no", item_no.to_string()).part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap_or_else(|e| {
                    panic!("mime {mime}: {e}");
                }),
            );
        self.post_multipart(&format!("/assessments/{assessment}/evidence"), form).await
    }

    /// Posts a page's multipart form with the session's cookie.
    async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let response = self
            .app
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("upload: {e}"));
        self.keep(response).await
    }
}
