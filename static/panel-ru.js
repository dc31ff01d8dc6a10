// Russian for the panel's widgets, with nothing fetched from the internet: the calendar's month and day names
// (moment), the date picker's buttons, select2's messages, and the custom pages' date fields shown as ДД.ММ.ГГГГ.
(function ($, moment) {
  "use strict";
  if (moment && moment.locales().indexOf("ru") < 0) {
    moment.defineLocale("ru", {
      months: "январь_февраль_март_апрель_май_июнь_июль_август_сентябрь_октябрь_ноябрь_декабрь".split("_"),
      monthsShort: "янв_фев_мар_апр_май_июн_июл_авг_сен_окт_ноя_дек".split("_"),
      weekdays: "воскресенье_понедельник_вторник_среда_четверг_пятница_суббота".split("_"),
      weekdaysShort: "вс_пн_вт_ср_чт_пт_сб".split("_"),
      weekdaysMin: "вс_пн_вт_ср_чт_пт_сб".split("_"),
      longDateFormat: { LT: "HH:mm", LTS: "HH:mm:ss", L: "DD.MM.YYYY", LL: "D MMMM YYYY г.",
                        LLL: "D MMMM YYYY г., HH:mm", LLLL: "dddd, D MMMM YYYY г., HH:mm" },
      week: { dow: 1, doy: 4 }  // the week starts on Monday
    });
  }
  if (moment) { moment.locale("ru"); }

  function chars(n) {
    var last = n % 10, tens = n % 100;
    var word = (last === 1 && tens !== 11) ? "символ"
      : (last >= 2 && last <= 4 && (tens < 10 || tens >= 20)) ? "символа" : "символов";
    return n + " " + word;
  }
  // select2 3.5 (Flask-Admin's) reads its messages from these defaults.
  if ($ && $.fn.select2 && $.fn.select2.defaults) {
    $.extend($.fn.select2.defaults, {
      formatNoMatches: function () { return "Совпадений не найдено"; },
      formatInputTooShort: function (input, min) { return "Введите ещё " + chars(min - input.length); },
      formatInputTooLong: function (input, max) { return "Удалите " + chars(input.length - max); },
      formatSelectionTooBig: function (limit) { return "Можно выбрать не больше " + limit; },
      formatLoadMore: function () { return "Загрузка…"; },
      formatSearching: function () { return "Поиск…"; },
      formatAjaxError: function () { return "Не удалось загрузить список"; }
    });
  }

  var RU_PICKER = {
    applyLabel: "Применить", cancelLabel: "Отмена", fromLabel: "С", toLabel: "по", weekLabel: "Нед",
    customRangeLabel: "Другой период",
    daysOfWeek: moment ? moment.weekdaysMin() : undefined,
    monthNames: moment ? moment.monthsShort() : undefined,
    firstDay: 1
  };

  // Registered before Flask-Admin's own ready handler (form.js loads later): its pickers get the Russian locale.
  $(function () {
    if (!$.fn.daterangepicker) { return; }
    var picker = $.fn.daterangepicker;
    if (!picker.ruWrapped) {
      $.fn.daterangepicker = function (options, callback) {
        options = $.extend(true, {}, { locale: RU_PICKER }, options || {});
        return picker.call(this, options, callback);
      };
      $.fn.daterangepicker.ruWrapped = true;
    }
    // Custom pages: an <input type=date> speaks the browser's language (mm/dd/yyyy in an English one); it becomes
    // a text field with the same picker as the generated forms. The server reads ДД.ММ.ГГГГ and ISO alike.
    $("input[type=date]").each(function () {
      var $el = $(this), iso = $el.val();
      var value = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? iso.split("-").reverse().join(".") : iso;
      $el.attr({ type: "text", "data-role": "datepicker", "data-date-format": "DD.MM.YYYY",
                 placeholder: "ДД.ММ.ГГГГ", autocomplete: "off" }).val(value);
      $el.daterangepicker({ singleDatePicker: true, showDropdowns: true, format: "DD.MM.YYYY" });
      $el.off("keyup.daterangepicker");  // typing by hand is not rewritten (see panel-dates.js)
    });
  });
})(window.jQuery, window.moment);
