// Kensa pages: progressive enhancement only. Without this script every form still works
// (it posts and the page reloads); with it, an item's form saves in place so that what is
// typed in other items stays on the page.
"use strict";
(function () {
  // Replaces each marked element of the answer with the page's element of the same id;
  // returns how many were replaced.
  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var swapped = 0;
    doc.querySelectorAll("[data-swap]").forEach(function (fresh) {
      var old = document.getElementById(fresh.id);
      if (old) {
        old.replaceWith(document.importNode(fresh, true));
        swapped += 1;
      }
    });
    return swapped;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-inline")) {
      return;
    }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
    }
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Content-Type": "application/x-www-form-urlencoded" },
    })
      .then(function (response) {
        return response.text().then(function (text) {
          var type = response.headers.get("Content-Type") || "";
          // A refusal of the whole request (an expired form, a signed-out session) comes
          // as a full page: show it the ordinary way.
          if (type.indexOf("text/html") !== 0 || swap(text) === 0) {
            throw new Error("not a fragment");
          }
          var focus = document.getElementById(form.getAttribute("data-focus"));
          if (focus) {
            focus.focus();
          }
        });
      })
      .catch(function () {
        // Fall back to an ordinary post: the server answers with the whole page.
        form.removeAttribute("data-inline");
        form.submit();
      });
  });

  // Fields that only some answers use (a reason for "not applicable", a plan for partial
  // or missing implementation) are shown when they apply; they stay in the page for
  // browsers without this script.
  function applyStatus(select) {
    var item = select.closest(".item");
    if (!item) {
      return;
    }
    var status = select.value;
    item.querySelectorAll("[data-when]").forEach(function (field) {
      var when = field.getAttribute("data-when").split(" ");
      field.hidden = when.indexOf(status) < 0;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[name=status]")) {
      applyStatus(event.target);
    }
  });
  function init() {
    document.querySelectorAll("select[name=status]").forEach(applyStatus);
  }
  new MutationObserver(init).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", init);
})();
