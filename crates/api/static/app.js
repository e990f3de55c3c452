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

  // Tells, inside the form, that the save did not happen; what was typed stays. The text
  // comes from the page (its language), in <body data-unsaved>.
  function unsaved(form, detail) {
    var note = form.querySelector(".notice.unsaved");
    if (!note) {
      note = document.createElement("div");
      note.className = "notice error unsaved";
      note.setAttribute("role", "alert");
      form.prepend(note);
    }
    note.textContent = (document.body.getAttribute("data-unsaved") || "Not saved.") + (detail ? " (" + detail + ")" : "");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    if (!form.hasAttribute("data-inline")) {
      // An ordinary post: its buttons are disabled once it is on its way (after the
      // browser has taken the pressed button's value), so a double click sends it once.
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
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
          // A refusal of the whole request (signed out, an expired form) is a full page,
          // not the item: say so in the item and keep the text; never post it again.
          if (type.indexOf("text/html") !== 0 || swap(text) === 0) {
            if (button) {
              button.disabled = false;
            }
            unsaved(form, String(response.status));
            return;
          }
          var focus = document.getElementById(form.getAttribute("data-focus"));
          if (focus) {
            focus.focus();
          }
        });
      })
      .catch(function () {
        // The network failed: the save may or may not have arrived; the next save compares
        // with what is stored and says if anything changed meanwhile.
        if (button) {
          button.disabled = false;
        }
        unsaved(form, "");
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
