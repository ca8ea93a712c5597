// Marking explanation lines as the real reason, wherever a label form shows them
// (templates/learning/_mark_fields.html): Shift+1 to Shift+9 toggle the lines by number, a click
// toggles one. Two lines about the same field (say total and recent pricing visits) move together.
// Without JavaScript the checkboxes post as they are.
(function () {
  "use strict";

  function marks() { return document.querySelector("[data-mark-fields]"); }

  function toggle(box, checked) {
    const scope = box.closest("[data-mark-fields]");
    for (const other of scope.querySelectorAll("input[name=fields]")) {
      if (other.value === box.value) other.checked = checked;
    }
  }

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (box.matches("[data-mark-fields] input[name=fields]")) toggle(box, box.checked);
  });

  document.addEventListener("keydown", (event) => {
    if (!event.shiftKey || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const digit = /^Digit([1-9])$/.exec(event.code);
    if (!digit) return;
    // Where Shift gives the digit itself (AZERTY), the key picks a reason (queue.js): leave it to that.
    if (/^[1-9]$/.test(event.key)) return;
    if (document.querySelector("dialog[open]")) return;
    if (event.target.matches("textarea, input[type=text], input[type=search], select, [contenteditable]")) return;
    const scope = marks();
    const box = scope && scope.querySelector(`input[data-mark-key="${digit[1]}"]`);
    if (!box || box.disabled) return;
    event.preventDefault();
    if (event.repeat) return;
    toggle(box, !box.checked);
  });
})();
