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
// Dashboard: draws the charts described in #dashboard-data (JSON written by the server) with
// Apache ECharts; a click on a point opens the traces or observations behind it. A chart
// without data shows its empty-state line instead.
(function () {
  "use strict";
  var UNITS = {
    usd: function (v) { return "$" + (Math.abs(v) >= 1 ? v.toFixed(2) : Number(v.toPrecision(3)).toString()); },
    ms: function (v) { return v >= 1000 ? (v / 1000).toFixed(2) + " s" : (v < 10 ? v.toFixed(1) : Math.round(v)) + " ms"; },
    tokens: function (v) { return Math.round(v).toLocaleString(); },
    count: function (v) { return Math.round(v).toLocaleString(); },
    score: function (v) { return Number(v.toPrecision(3)).toString(); }
  };
  // A breakdown has data when it has a category; a time series when a bucket is not zero.
  function hasData(chart) {
    if (chart.kind !== "line") return chart.x.length > 0;
    return chart.series.some(function (s) {
      return s.data.some(function (v) { return v !== null && v !== 0; });
    });
  }
  function option(chart) {
    var format = UNITS[chart.unit] || UNITS.count;
    var line = chart.kind === "line";
    return {
      animation: false,
      grid: { left: 56, right: 16, top: 36, bottom: 48 },
      legend: { type: "scroll", top: 0 },
      tooltip: {
        trigger: line ? "axis" : "item",
        valueFormatter: function (v) { return v === null || v === undefined ? "–" : format(v); }
      },
      xAxis: { type: "category", data: chart.x, axisLabel: { hideOverlap: true } },
      yAxis: {
        type: "value",
        minInterval: chart.unit === "count" || chart.unit === "tokens" ? 1 : 0,
        axisLabel: { formatter: function (v) { return format(v); } }
      },
      series: chart.series.map(function (s) {
        return {
          name: s.name,
          type: line ? "line" : "bar",
          stack: chart.kind === "stacked" ? "total" : undefined,
          showSymbol: line && chart.x.length < 60,
          connectNulls: false,
          data: s.data
        };
      })
    };
  }
  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || !window.echarts) return;
    var charts = JSON.parse(source.textContent);
    charts.forEach(function (chart) {
      var el = document.getElementById("chart-" + chart.id);
      if (!el) return;
      if (!hasData(chart)) {
        el.hidden = true;
        document.getElementById("chart-" + chart.id + "-empty").hidden = false;
        return;
      }
      var instance = window.echarts.init(el, null, { renderer: "canvas" });
      instance.setOption(option(chart));
      instance.on("click", function (params) {
        var series = chart.series[params.seriesIndex];
        var href = series && series.links[params.dataIndex];
        if (href) window.location.assign(href);
      });
      window.addEventListener("resize", function () { instance.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
