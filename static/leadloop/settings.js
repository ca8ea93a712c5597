// Settings: show a change's effect before it is saved (without JS the Preview buttons do the same), and
// ask before a rejected model version is promoted.
(function () {
  "use strict";

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function wire(form, fields, target) {
    if (!form || !target) return;
    const url = form.dataset.previewUrl;
    const refresh = debounce(function () {
      const params = new URLSearchParams();
      for (const name of fields) {
        const input = form.elements.namedItem(name);
        if (input && input.value !== "") params.set(name, input.value);
      }
      fetch(url + "?" + params.toString(), { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (response) {
          return response.text().then(function (text) {
            return { ok: response.ok, text: text };
          });
        })
        .then(function (result) {
          if (result.ok) {
            target.innerHTML = result.text;
          } else {
            // The server names the field and what it takes: shown as an error, not as the preview.
            const problem = document.createElement("p");
            problem.className = "flash error";
            problem.setAttribute("role", "alert");
            problem.textContent = result.text;
            target.replaceChildren(problem);
          }
        })
        .catch(function () {});
    }, 250);
    for (const name of fields) {
      const input = form.elements.namedItem(name);
      if (input) input.addEventListener("input", refresh);
      if (input) input.addEventListener("change", refresh);
    }
  }

  wire(
    document.getElementById("settings-form"),
    ["hot_threshold", "cost_per_lead", "expected_value_threshold"],
    document.getElementById("threshold-preview")
  );
  wire(document.getElementById("rule-form"), ["kind", "field", "value", "points"], document.getElementById("rules-preview"));

  // Promoting a version the guard rejected overrides the guard: ask first. Confirmed, the form says so
  // (confirm=1); without JavaScript the server asks on a page of its own instead.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        return;
      }
      const confirmed = form.elements.namedItem("confirm");
      if (confirmed) confirmed.value = "1";
    });
  }
})();
