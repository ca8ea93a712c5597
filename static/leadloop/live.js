// Fresh scores without a reload: poll the scores version; when it moves, refresh every
// [data-live-fragment] on the page and say what changed.
(function () {
  "use strict";
  const url = document.body.dataset.scoresUrl;
  if (!url) return;
  let known = null;
  const notice = document.getElementById("live-notice");

  function say(text) {
    notice.textContent = text;
    notice.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(() => { notice.hidden = true; }, 6000);
  }

  async function refreshFragments() {
    const nodes = document.querySelectorAll("[data-live-fragment]");
    for (const node of nodes) {
      const response = await fetch(node.dataset.liveFragment, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (!response.ok) continue;
      const html = await response.text();
      const holder = document.createElement("div");
      holder.innerHTML = html;
      const fresh = holder.firstElementChild;
      // Boxes the user ticked stay ticked where the fresh fragment still offers them.
      const ticked = new Set(Array.from(node.querySelectorAll("input[type=checkbox]:checked"), (box) => box.name + "=" + box.value));
      if (fresh && fresh.dataset.liveFragment) node.replaceWith(fresh);
      else node.innerHTML = html;
      const scope = fresh && fresh.dataset.liveFragment ? fresh : node;
      for (const box of scope.querySelectorAll("input[type=checkbox]")) {
        if (ticked.has(box.name + "=" + box.value)) box.checked = true;
      }
    }
  }

  async function poll() {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok) {
        const state = await response.json();
        if (known && state.scores_version !== known.scores_version) {
          await refreshFragments();
          // Two decimals, or three where two would read the same before and after.
          const digits = known.roc_auc != null && state.roc_auc != null
            && Number(known.roc_auc).toFixed(2) === Number(state.roc_auc).toFixed(2) ? 3 : 2;
          const auc = (v) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits));
          const model = state.model_version ? "v" + state.model_version : "point rules";
          // A rep at the queue is told the scores moved; the model's AUC is for the pages that read it.
          const atQueue = Boolean(document.getElementById("queue"));
          const change = !atQueue && known.model_version !== state.model_version && known.model_version
            ? ", AUC " + auc(known.roc_auc) + " → " + auc(state.roc_auc) : "";
          say("Scores updated: model " + model + change);
          document.dispatchEvent(new CustomEvent("leadloop:scores", { detail: state }));
        }
        known = state;
      }
    } catch (error) { /* offline for a moment: try again at the next tick */ }
    setTimeout(poll, 2000);
  }
  poll();
})();
