// The rep's queue, keyboard first: c/x pick the outcome, 1-9 the reason, Enter saves,
// s skips, u undoes, n goes to the note, ? shows the shortcuts. Each action swaps the
// card in place; without JavaScript the same forms post and redirect.
(function () {
  "use strict";
  const root = document.getElementById("queue");
  if (!root) return;
  let shownAt = performance.now();

  function card() { return document.getElementById("queue-card"); }
  function csrf() { const input = root.querySelector("input[name=csrfmiddlewaretoken]"); return input ? input.value : ""; }

  function filterReasons() {
    const form = card().querySelector("form[data-action=label]");
    if (!form) return;
    const chosen = form.querySelector("input[name=outcome]:checked");
    for (const group of form.querySelectorAll(".reason-group")) {
      const visible = !chosen || group.dataset.outcome === chosen.value;
      group.hidden = !visible;
      for (const input of group.querySelectorAll("input")) {
        input.disabled = !visible;
        if (!visible) input.checked = false;
      }
    }
  }

  async function send(form) {
    const data = new FormData(form);
    if (data.has("seconds")) data.set("seconds", ((performance.now() - shownAt) / 1000).toFixed(2));
    const started = performance.now();
    const response = await fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrf() },
    });
    const html = await response.text();
    card().outerHTML = html;
    shownAt = performance.now();
    filterReasons();
    document.dispatchEvent(new CustomEvent("leadloop:card", { detail: { ms: shownAt - started, status: response.status } }));
  }

  root.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-action]");
    if (!form) return;
    event.preventDefault();
    if (form.dataset.action === "label" && !form.reportValidity()) return;
    send(form);
  });
  root.addEventListener("change", (event) => { if (event.target.name === "outcome") filterReasons(); });
  root.addEventListener("click", (event) => {
    if (event.target.closest("[data-action=help]")) document.getElementById("shortcuts").showModal();
  });

  function pickOutcome(value) {
    const input = card().querySelector(`input[name=outcome][value=${value}]`);
    if (input) { input.checked = true; filterReasons(); }
  }

  function pickReason(n) {
    const inputs = [...card().querySelectorAll(".reason-group:not([hidden]) input[name=reason]")];
    if (inputs[n - 1]) inputs[n - 1].checked = true;
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.matches("textarea, input[type=text], input[type=search], select");
    if (typing) {
      if (event.key === "Escape") event.target.blur();
      else if (event.key === "Enter" && event.target.matches("textarea") && !event.shiftKey) {
        event.preventDefault();
        card().querySelector("form[data-action=label]").requestSubmit();
      }
      return;
    }
    const form = card().querySelector("form[data-action=label]");
    const key = event.key;
    if (key === "?") { document.getElementById("shortcuts").showModal(); return; }
    if (key === "u") { const undo = card().querySelector("form[data-action=undo]"); if (undo) { event.preventDefault(); undo.requestSubmit(); } return; }
    if (!form) return;
    if (key === "c") pickOutcome("converted");
    else if (key === "x") pickOutcome("not_converted");
    else if (/^[1-9]$/.test(key)) pickReason(Number(key));
    else if (key === "n") { event.preventDefault(); form.querySelector("textarea").focus(); }
    else if (key === "s") { event.preventDefault(); card().querySelector("form[data-action=skip]").requestSubmit(); }
    else if (key === "Enter") { event.preventDefault(); form.requestSubmit(); }
    else return;
  });

  filterReasons();
})();
