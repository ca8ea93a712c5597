// Dashboards: the custom range's dates show only for "Custom range". A change made with the mouse
// (period, outcome, segment, the history toggle) applies at once; a select changed from the
// keyboard waits for Enter or the Show button, so arrowing through its options does not reload the
// page at every step (a closed select changes its value on each arrow key).
(function () {
  "use strict";
  var form = document.getElementById("dash-filters");
  if (!form) return;
  var period = form.elements.namedItem("period");
  var range = form.querySelector(".custom-range");
  var keyed = false; // the last change to a select came from the keyboard

  function showRange() {
    if (range && period) range.hidden = period.value !== "custom";
  }

  function apply() {
    form.requestSubmit ? form.requestSubmit() : form.submit();
  }

  showRange();
  form.addEventListener("pointerdown", function () {
    keyed = false;
  });
  form.addEventListener("keydown", function (event) {
    if (event.target.tagName !== "SELECT") return;
    if (event.key === "Enter") {
      event.preventDefault();
      apply();
    } else if (event.key !== "Tab") {
      keyed = true;
    }
  });
  form.addEventListener("change", function (event) {
    var target = event.target;
    showRange();
    if (target.type === "date") return;
    if (target === period && period.value === "custom") {
      var start = form.elements.namedItem("start");
      if (start) start.focus();
      return;
    }
    if (target.tagName === "SELECT" && keyed) return; // Enter or Show applies it
    apply();
  });
})();
