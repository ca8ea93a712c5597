// The import page: upload with a progress bar (bytes sent), then "Importing…" with the seconds
// spent while the server reads the file, then the server's report in place. Without JavaScript
// the form posts as usual.
(function () {
  "use strict";

  function megabytes(bytes) {
    return (bytes / 1048576).toLocaleString(undefined, { maximumFractionDigits: 1 }) + " MB";
  }

  function show(box, value, text) {
    var bar = box.querySelector("progress");
    if (value === null) bar.removeAttribute("value");
    else bar.value = value;
    box.querySelector(".import-progress-text").textContent = text;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "import-form" || !window.FormData || !window.DOMParser) return;
    var box = document.getElementById("import-progress");
    if (!box) return;
    event.preventDefault();
    var button = form.querySelector("button");
    var started = Date.now();
    var timer = null;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    box.hidden = false;
    if (button) button.disabled = true;
    show(box, 0, "Uploading…");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var share = Math.round((100 * e.loaded) / e.total);
      show(box, share, "Uploading " + share + "% (" + megabytes(e.loaded) + " of " + megabytes(e.total) + ")");
    });
    xhr.upload.addEventListener("load", function () {
      timer = window.setInterval(function () {
        var seconds = Math.round((Date.now() - started) / 1000);
        show(box, null, "Uploaded. Importing rows… " + seconds + " s");
      }, 500);
      show(box, null, "Uploaded. Importing rows…");
    });
    xhr.addEventListener("loadend", function () {
      if (timer) window.clearInterval(timer);
      if (!xhr.status) {
        show(box, 0, "The upload failed (network). Try again.");
        if (button) button.disabled = false;
        return;
      }
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var fresh = page.querySelector("main");
      var main = document.querySelector("main");
      if (fresh && main) {
        main.replaceWith(fresh);
        // Focus follows the answer (the report, the file's error, or a refused option's message), so a
        // keyboard or screen-reader user is where the page changed, and Tab goes on from there.
        var report = document.getElementById("import-report") || document.getElementById("import-error") ||
          document.querySelector("main ul.errorlist");
        if (report) {
          if (!report.hasAttribute("tabindex")) report.setAttribute("tabindex", "-1");
          report.focus({ preventScroll: true });
          report.scrollIntoView({ block: "start" });
        }
      }
    });
    xhr.send(new FormData(form));
  });
})();
