// What the pages used to write into on… attributes. The Content-Security-Policy (app.py) runs only the
// panel's own files and scripts carrying the page's nonce, never inline handlers.
(function () {
  // <link media="print" data-late-style>: a stylesheet that need not hold up the first paint (icons, the calendar).
  document.querySelectorAll("link[data-late-style]").forEach(function (link) { link.media = "all"; });
  // <form data-confirm="Вопрос?">: asked before sending.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);
  // <select data-submit-on-change data-clear="field">: a choice reloads the page (clearing the named field).
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!field.hasAttribute || !field.hasAttribute("data-submit-on-change")) { return; }
    var clear = field.getAttribute("data-clear");
    if (clear && field.form.elements[clear]) { field.form.elements[clear].value = ""; }
    field.form.submit();
  });
  // Flask-Admin's links to «javascript:void(0)» do their work in jQuery handlers; following the link itself
  // would be refused by the CSP (an error in the console), so it is not followed. Caught on the way down:
  // some handlers stop the click from bubbling up.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("a[href^='javascript:']")) { event.preventDefault(); }
  }, true);
  document.addEventListener("click", function (event) {
    if (!event.target.closest) { return; }
    // <a data-inline-add="field id">: Flask-Admin's «add a row» of an inline list.
    var button = event.target.closest("[data-inline-add]");
    if (button && window.faForm) {
      event.preventDefault();
      window.faForm.addInlineField(button, button.getAttribute("data-inline-add"));
    }
    // <a data-model-action="name">: a list's bulk action (templates/admin/actions.html).
    var action = event.target.closest("[data-model-action]");
    if (action && window.modelActions) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute("data-model-action"));
    }
  });
  // <div data-load-base="url"> <details> … <div data-load-target><a data-load-query href="…?query">: a details
  // opened the first time loads url?query into its target (the whole school's analysis reads a class's pupils
  // only when the class is opened; the link itself is the way without scripts). «toggle» does not bubble.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.open || !details.closest || details.hasAttribute("data-loaded")) { return; }
    var base = details.closest("[data-load-base]");
    var link = details.querySelector("a[data-load-query]");
    var target = details.querySelector("[data-load-target]");
    if (!base || !link || !target) { return; }
    details.setAttribute("data-loaded", "");
    details.setAttribute("aria-busy", "true");
    fetch(base.getAttribute("data-load-base") + link.search, {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.text();
    }).then(function (html) {
      target.innerHTML = html;
    }).catch(function () {
      // The link to the class's own analysis stays; say why the list did not come.
      var note = document.createElement("p");
      note.className = "text-danger small";
      note.setAttribute("role", "alert");
      note.textContent = "Список обучающихся не загрузился: откройте анализ класса по ссылке.";
      target.appendChild(note);
      details.removeAttribute("data-loaded");
    }).then(function () { details.removeAttribute("aria-busy"); });
  }, true);
})();
