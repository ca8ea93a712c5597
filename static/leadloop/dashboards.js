// Dashboards: the custom range's dates show only for "Custom range"; a change of period, outcome,
// segment or the history toggle applies at once (the Show button stays for a custom range).
(function () {
  "use strict";
  var form = document.getElementById("dash-filters");
  if (!form) return;
  var period = form.elements.namedItem("period");
  var range = form.querySelector(".custom-range");

  function showRange() {
    if (range && period) range.hidden = period.value !== "custom";
  }

  showRange();
  form.addEventListener("change", function (event) {
    var target = event.target;
    showRange();
    if (target.type === "date") return;
    if (target === period && period.value === "custom") {
      var start = form.elements.namedItem("start");
      if (start) start.focus();
      return;
    }
    form.requestSubmit ? form.requestSubmit() : form.submit();
  });
})();
