// Flask-Admin's list filters hard-wire ISO dates into their calendar; the panel shows ДД.ММ.ГГГГ everywhere,
// and the server accepts both, so filters added on the page get the Russian format.
$(function () {
  if (!window.faForm) { return; }
  var formats = {
    datepicker: "DD.MM.YYYY", daterangepicker: "DD.MM.YYYY",
    datetimepicker: "DD.MM.YYYY HH:mm", datetimerangepicker: "DD.MM.YYYY HH:mm"
  };
  var original = window.faForm.applyStyle;
  window.faForm.applyStyle = function ($el, name) {
    if (formats[name] && $($el).hasClass("filter-val")) {
      $($el).attr("data-date-format", formats[name]).attr("placeholder", formats[name] === "DD.MM.YYYY"
        ? "ДД.ММ.ГГГГ" : "ДД.ММ.ГГГГ ЧЧ:ММ");
    }
    return original.apply(this, arguments);
  };
});
