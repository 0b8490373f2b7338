// Sightline's small UI helpers (no framework; loaded with `defer`, allowed by the CSP as 'self'):
// - <time datetime="…"> elements show the viewer's local time;
// - buttons with data-copy="ELEMENT_ID" copy that element's text;
// - inputs with data-confirm="TEXT" enable their form's submit button only when they hold TEXT.
(function () {
  "use strict";
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (!isNaN(date)) {
        el.title = el.getAttribute("datetime");
        el.textContent = date.toLocaleString();
      }
    });
  }
  function confirmInputs(root) {
    root.querySelectorAll("input[data-confirm]").forEach(function (input) {
      var button = input.form && input.form.querySelector("button[type=submit]");
      if (!button) return;
      var update = function () { button.disabled = input.value !== input.getAttribute("data-confirm"); };
      input.addEventListener("input", update);
      update();
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent).then(function () {
        var label = button.textContent;
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    }
  });
  function init(root) { localTimes(root); confirmInputs(root); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();

// Trace detail: a click on a node of the observation tree loads its payload into #node-detail
// with htmx (one listener for the whole tree, however large; without JavaScript the link opens
// the trace page with that node open), and marks the node as the open one.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest("#observation-tree li > a");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (!window.htmx || !document.getElementById("node-detail")) return;
    event.preventDefault();
    document.querySelectorAll("#observation-tree a[aria-current]").forEach(function (el) {
      el.removeAttribute("aria-current");
      el.parentElement.classList.remove("selected");
    });
    link.setAttribute("aria-current", "true");
    link.parentElement.classList.add("selected");
    window.htmx.ajax("GET", link.getAttribute("href"), { target: "#node-detail", swap: "innerHTML" });
  });
})();
// List filters (sessions, users, observations): choosing a preset time range clears the custom
// from/to bounds, which would otherwise win over it.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("form.filters select[name=range]");
    if (!select || !select.value) return;
    select.form.querySelectorAll("input[name=from], input[name=to]").forEach(function (input) {
      input.value = "";
    });
  });
})();
