// Date fields of the panel: ДД.ММ.ГГГГ everywhere, and typing a date by hand must not be rewritten.
$(function () {
  if (!window.faForm) { return; }
  var formats = {
    datepicker: "DD.MM.YYYY", daterangepicker: "DD.MM.YYYY",
    datetimepicker: "DD.MM.YYYY HH:mm", datetimerangepicker: "DD.MM.YYYY HH:mm"
  };
  // The calendar widget re-parses the field on every key press and writes its guess back, so typing
  // «03.05.2014» ends up as «03.<this month>.<this year>.05.2014»; the calendar still works by clicks.
  function letTyping($el) { $el.off("keyup.daterangepicker"); }
  var original = window.faForm.applyStyle;
  window.faForm.applyStyle = function ($el, name) {
    var $field = $($el);
    // Flask-Admin's list filters hard-wire ISO dates; the server accepts both, people read ДД.ММ.ГГГГ.
    if (formats[name] && $field.hasClass("filter-val")) {
      $field.attr("data-date-format", formats[name])
        .attr("placeholder", formats[name] === "DD.MM.YYYY" ? "ДД.ММ.ГГГГ" : "ДД.ММ.ГГГГ ЧЧ:ММ");
    }
    var result = original.apply(this, arguments);
    if (formats[name]) { letTyping($field); }
    return result;
  };
  // Form fields were styled by Flask-Admin's own ready handler; run after it.
  setTimeout(function () { letTyping($("input[data-role$='picker']")); }, 0);
});
