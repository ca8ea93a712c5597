// The rep's queue, keyboard first: c/x pick the outcome, 1-9 and 0 (the 10th) the reason, Enter saves,
// s skips, u undoes, n goes to the note, ? shows the shortcuts. Each action swaps the
// card in place; without JavaScript the same forms post and redirect.
(function () {
  "use strict";
  const root = document.getElementById("queue");
  if (!root) {
    // The lead page's label form: the same reason filtering and keys (c/x, 1-9 and 0, n, Enter), a plain form post.
    document.addEventListener("change", (event) => { if (event.target.name === "outcome") filterReasons(); });
    document.addEventListener("change", (event) => { if (event.target.name === "reason") requireNote(); });
    document.addEventListener("input", (event) => { if (event.target.name === "note") requireNote(); });
    filterReasons();
    if (document.querySelector("form[data-action=label]")) document.addEventListener("keydown", onKey);
    return;
  }
  const help = document.getElementById("shortcuts");
  let shownAt = performance.now();
  let busy = false; // one request at a time: a second Enter or a double click sends nothing

  // The queue's card, or on the lead page the page itself.
  function card() { return document.getElementById("queue-card") || document; }
  function csrf() { const input = root.querySelector("input[name=csrfmiddlewaretoken]"); return input ? input.value : ""; }

  // Only the chosen outcome's reasons are shown (and numbered); before a choice, none are.
  function filterReasons() {
    for (const form of document.querySelectorAll("form[data-action=label]")) {
      const chosen = form.querySelector("input[name=outcome]:checked");
      for (const group of form.querySelectorAll(".reason-group")) {
        const visible = Boolean(chosen) && group.dataset.outcome === chosen.value;
        group.hidden = !visible;
        for (const input of group.querySelectorAll("input")) {
          input.disabled = !visible;
          if (!visible) input.checked = false;
        }
      }
      const hint = form.querySelector(".reason-hint");
      if (hint) hint.hidden = Boolean(chosen);
    }
    requireNote();
  }

  // An "Other" reason (data-needs-note) needs a note saying why; the server refuses it without one.
  function requireNote() {
    for (const form of document.querySelectorAll("form[data-action=label]")) {
      const note = form.querySelector("textarea[name=note]");
      if (!note) continue;
      const needed = Boolean(form.querySelector("input[name=reason][data-needs-note]:checked"));
      note.required = needed;
      note.setCustomValidity(needed && !note.value.trim() ? "Say why: this reason needs a note." : "");
      const words = form.querySelector(".note-need");
      if (words) words.textContent = needed ? "(needed: say why)" : "(optional)";
    }
  }

  async function send(form) {
    if (busy) return;
    busy = true;
    card().setAttribute("aria-busy", "true");
    const data = new FormData(form);
    if (data.has("seconds")) data.set("seconds", ((performance.now() - shownAt) / 1000).toFixed(2));
    const started = performance.now();
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrf() },
      });
    } catch (error) {
      // The network failed before an answer: fall back to the plain form post.
      busy = false;
      form.submit();
      return;
    }
    const html = await response.text();
    if (!html.trimStart().startsWith('<div id="queue-card"')) {
      // Not a card (signed out, a server error page): let the browser show it.
      window.location.assign(response.url || window.location.href);
      return;
    }
    card().outerHTML = html;
    // The rep may have scrolled down to the note: the next lead starts at its name, not mid-card.
    if (card().getBoundingClientRect().top < 0) card().scrollIntoView({ block: "start" });
    shownAt = performance.now();
    busy = false;
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
  root.addEventListener("change", (event) => {
    if (event.target.name === "outcome") filterReasons();
    else if (event.target.name === "reason") requireNote();
  });
  root.addEventListener("input", (event) => { if (event.target.name === "note") requireNote(); });
  root.addEventListener("click", (event) => {
    if (event.target.closest("[data-action=help]")) help.showModal();
  });

  function pickOutcome(value) {
    const input = card().querySelector(`input[name=outcome][value=${value}]`);
    if (input) { input.checked = true; filterReasons(); }
  }

  function pickReason(n) {
    // Reasons are numbered within the chosen outcome; before an outcome is picked, a digit is ambiguous.
    if (!card().querySelector("input[name=outcome]:checked")) return;
    const inputs = [...card().querySelectorAll(".reason-group:not([hidden]) input[name=reason]")];
    if (inputs[n - 1]) { inputs[n - 1].checked = true; requireNote(); }
  }

  function submit(selector) {
    const form = card().querySelector(selector);
    if (form) form.requestSubmit();
  }

  document.addEventListener("keydown", onKey);

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const help = document.getElementById("shortcuts");
    if (help && help.open) return; // the dialog has the keyboard; Esc closes it
    const target = event.target;
    if (target.matches("textarea, input[type=text], input[type=search], select")) {
      if (event.key === "Escape") target.blur();
      else if (event.key === "Enter" && target.matches("textarea") && !event.shiftKey) {
        event.preventDefault();
        if (!event.repeat) submit("form[data-action=label]");
      }
      return;
    }
    const key = event.key;
    if (key === "?") { if (help) { event.preventDefault(); help.showModal(); } return; }
    if (key === "Enter" && target.matches("a, button")) return; // Enter on a link or button does what it says
    const handlers = {
      c: () => pickOutcome("converted"),
      x: () => pickOutcome("not_converted"),
      n: () => { const note = card().querySelector("textarea[name=note]"); if (note) note.focus(); },
      s: () => submit("form[data-action=skip]"),
      u: () => submit("form[data-action=undo]"),
      Enter: () => submit("form[data-action=label]"),
    };
    const handler = handlers[key] || (/^[0-9]$/.test(key) ? () => pickReason(Number(key) || 10) : null);
    if (!handler) return;
    event.preventDefault();
    if (event.repeat && (key === "Enter" || key === "s" || key === "u")) return; // a held key acts once
    handler();
  }

  filterReasons();
})();
