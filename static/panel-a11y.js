// What screen readers and keyboards need that Flask-Admin's markup lacks (WCAG 2.1 AA): field errors tied to
// their fields, select2 fields named by their label, list checkboxes and help icons with a name, wide tables
// in a labelled region one can scroll with the keyboard. Runs after Flask-Admin's own ready handler.
(function () {
  "use strict";
  var seq = 0;
  function idOf(el, prefix) {
    if (!el.id) { seq += 1; el.id = prefix + "-" + seq; }
    return el.id;
  }
  function addTo(el, attr, id) {
    var ids = (el.getAttribute(attr) || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(id) < 0) { ids.push(id); el.setAttribute(attr, ids.join(" ")); }
  }
  function text(el) { return (el.textContent || "").replace(/\s+/g, " ").replace(/\*\s*$/, "").trim(); }

  function tieErrors(root) {
    // Flask-Admin prints a field's errors in .invalid-feedback after the field; custom pages in .field-error.
    root.querySelectorAll(".form-group").forEach(function (group) {
      var field = group.querySelector("input:not([type=hidden]), select, textarea");
      if (!field) { return; }
      group.querySelectorAll(".invalid-feedback, .field-error, small.form-text").forEach(function (note) {
        addTo(field, "aria-describedby", idOf(note, "hint"));
        if (!note.matches("small.form-text")) { field.setAttribute("aria-invalid", "true"); }
      });
    });
    var firstBad = root.querySelector("[aria-invalid=true]");
    if (firstBad && !document.querySelector(".alert[role=alert]")) {
      var notice = document.createElement("div");
      notice.className = "sr-only";
      notice.setAttribute("role", "alert");
      notice.textContent = "В форме есть ошибки: исправьте отмеченные поля.";
      document.body.appendChild(notice);
    }
  }

  function nameSelect2(root) {
    // select2 3.5 hides the real <select>/<input> and gives keyboard focus to its own input: that input is
    // named by the field's label and then the chosen value, and carries the field's error.
    root.querySelectorAll(".select2-container").forEach(function (box) {
      var realId = box.id.replace(/^s2id_/, "");
      var real = document.getElementById(realId);
      var label = real && document.querySelector("label[for='" + realId + "']");
      var focusser = box.querySelector("input.select2-focusser, input.select2-input");
      var chosen = box.querySelector(".select2-chosen");
      var link = box.querySelector("a.select2-choice");
      if (link) { link.setAttribute("aria-hidden", "true"); }
      if (!focusser || !label) { return; }
      var ids = [idOf(label, "label")];
      if (chosen) { ids.push(idOf(chosen, "chosen")); }
      focusser.setAttribute("aria-labelledby", ids.join(" "));
      var described = real.getAttribute("aria-describedby");
      if (described) { focusser.setAttribute("aria-describedby", described); }
      if (real.getAttribute("aria-invalid")) { focusser.setAttribute("aria-invalid", "true"); }
    });
    // The «×» that removes a chosen value of a multiple field.
    root.querySelectorAll("a.select2-search-choice-close").forEach(function (close) {
      var choice = close.parentElement;
      close.setAttribute("aria-label", "Убрать: " + text(choice));
    });
    // select2's own drop-down search field (one per page, shared by the fields).
    document.querySelectorAll(".select2-drop input.select2-input").forEach(function (input) {
      if (!input.getAttribute("aria-label")) { input.setAttribute("aria-label", "Поиск"); }
    });
  }

  function nameControls(root) {
    root.querySelectorAll("input.action-rowtoggle").forEach(function (box) {
      box.setAttribute("aria-label", "Выбрать все записи");
    });
    root.querySelectorAll("input.action-checkbox").forEach(function (box) {
      var row = box.closest("tr");
      var cells = row ? Array.prototype.slice.call(row.querySelectorAll("td")) : [];
      var words = cells.map(text).filter(Boolean).slice(0, 2).join(", ");
      box.setAttribute("aria-label", "Выбрать запись" + (words ? ": " + words : ""));
    });
    root.querySelectorAll("a[data-role=tooltip], a.fa, a.glyphicon").forEach(function (link) {
      if (text(link) || link.getAttribute("aria-label")) { return; }
      var tip = link.getAttribute("data-original-title") || link.getAttribute("title") || "Подсказка";
      link.setAttribute("aria-label", tip);
    });
  }

  function wrapTables(root) {
    root.querySelectorAll("main table").forEach(function (table) {
      var box = table.parentElement;
      if (!box.classList.contains("table-responsive")) {
        box = document.createElement("div");
        box.className = "table-responsive";
        table.parentNode.insertBefore(box, table);
        box.appendChild(table);
      }
      if (box.hasAttribute("role")) { return; }
      var caption = table.querySelector("caption");
      var heading = caption || table.getAttribute("aria-label");
      var name = caption ? text(caption) : heading || table.getAttribute("data-label") ||
        text(document.querySelector("main h1, main h2") || document.createElement("span")) || "Таблица";
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", name);
      box.setAttribute("tabindex", "0");
    });
  }

  function run() {
    var root = document;
    tieErrors(root);
    nameSelect2(root);
    nameControls(root);
    wrapTables(root);
  }
  function ready() { setTimeout(run, 0); }  // after Flask-Admin's ready handler has built the select2 fields
  if (window.jQuery) { window.jQuery(ready); } else if (document.readyState !== "loading") { ready(); }
  else { document.addEventListener("DOMContentLoaded", ready); }
  // Rows added later (inline lists) and values chosen in select2 get the same care.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-inline-add]")) { setTimeout(run, 0); }
  });
  if (window.jQuery) {
    window.jQuery(document).on("change", "select, input.select2-offscreen, input[data-role=select2-ajax]", function () {
      setTimeout(function () { nameSelect2(document); }, 0);
    });
  }
})();
