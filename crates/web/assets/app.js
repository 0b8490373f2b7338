// Sightline's small UI helpers (no framework; loaded with `defer`, allowed by the CSP as 'self'):
// - <time datetime="…"> elements show the viewer's local time;
// - buttons with data-copy="ELEMENT_ID" copy that element's text;
// - inputs with data-confirm="TEXT" enable their form's submit button only when they hold TEXT;
// - forms (or their submit buttons) with data-ask="QUESTION" are submitted only when the viewer
//   confirms QUESTION;
// - file inputs with data-fill="TEXTAREA_ID" put the chosen file's text into that textarea;
// - the prompt editor: the type switches between the text and chat editors, chat rows are added
//   from a <template> and removed.
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
  document.addEventListener("change", function (event) {
    var input = event.target.closest("input[type=file][data-fill]");
    if (!input || !input.files || !input.files[0]) return;
    var target = document.getElementById(input.getAttribute("data-fill"));
    var reader = new FileReader();
    reader.onload = function () { if (target) target.value = reader.result; };
    reader.readAsText(input.files[0]);
  });
  document.addEventListener("submit", function (event) {
    var button = event.submitter && event.submitter.closest("[data-ask]");
    var asker = button || event.target.closest("form[data-ask]");
    if (asker && !window.confirm(asker.getAttribute("data-ask"))) event.preventDefault();
    // Exports and batch deletes take the filters the table shows now (htmx pushes them into
    // the URL).
    var current = event.target.closest("form[data-current-query]");
    if (current && !event.defaultPrevented) current.elements.query.value = window.location.search.replace(/^\?/, "");
  });
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
  function promptEditor(root) {
    var type = root.querySelector("#prompt-type");
    var text = document.getElementById("text-editor");
    var chat = document.getElementById("chat-editor");
    if (type && text && chat) {
      type.addEventListener("change", function () {
        text.hidden = type.value === "chat";
        chat.hidden = type.value !== "chat";
      });
    }
    var rows = root.querySelector("#chat-rows");
    var template = document.getElementById("chat-row-template");
    if (!rows || !template) return;
    var add = function (role) {
      var row = template.content.firstElementChild.cloneNode(true);
      row.querySelector("select").value = role;
      rows.appendChild(row);
      row.querySelector("textarea").focus();
    };
    var message = document.getElementById("add-message");
    var placeholder = document.getElementById("add-placeholder");
    if (message) message.addEventListener("click", function () { add("user"); });
    if (placeholder) placeholder.addEventListener("click", function () { add("placeholder"); });
    rows.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-remove-row]");
      if (!button) return;
      var form = button.form;
      button.closest("li").remove();
      if (form) form.dispatchEvent(new Event("change"));
    });
  }
  function init(root) { localTimes(root); confirmInputs(root); promptEditor(root); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();

// Trace detail: a click on a node of the observation tree loads its payload into #node-detail
// with htmx (one listener for the whole tree, however large; without JavaScript the link opens
// the trace page with that node open), marks the node as the open one and keeps it in the URL
// (`?observation=`), so a reload or a shared link opens the same node. Up and down arrows move
// through the tree when no field has the focus.
(function () {
  "use strict";
  function links() {
    return Array.prototype.slice.call(document.querySelectorAll("#observation-tree li > a"));
  }
  function open(link) {
    document.querySelectorAll("#observation-tree a[aria-current]").forEach(function (el) {
      el.removeAttribute("aria-current");
      el.parentElement.classList.remove("selected");
    });
    link.setAttribute("aria-current", "true");
    link.parentElement.classList.add("selected");
    var href = link.getAttribute("href");
    window.htmx.ajax("GET", href, { target: "#node-detail", swap: "innerHTML" });
    var page = href.replace(/\/observations\/([^/?#]+)$/, "?observation=$1").replace(/\/summary$/, "");
    if (page !== href && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", page);
    }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest("#observation-tree li > a");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (!window.htmx || !document.getElementById("node-detail")) return;
    event.preventDefault();
    open(link);
  });
  // The timeline bars under the tree's nodes: shown or hidden, remembered in this browser.
  function timeline(shown) {
    var tree = document.getElementById("observation-tree");
    var button = document.getElementById("timeline-toggle");
    if (!tree || !button) return;
    tree.classList.toggle("no-timeline", !shown);
    button.setAttribute("aria-pressed", shown ? "true" : "false");
    try { localStorage.setItem("sightline-timeline", shown ? "on" : "off"); } catch (e) { /* storage off */ }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var stored = null;
    try { stored = localStorage.getItem("sightline-timeline"); } catch (e) { stored = null; }
    if (stored === "off") timeline(false);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("#timeline-toggle");
    if (button) timeline(button.getAttribute("aria-pressed") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    if (event.metaKey || event.ctrlKey || event.altKey || event.shiftKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (!window.htmx || !document.getElementById("node-detail")) return;
    var all = links();
    if (!all.length) return;
    var current = all.findIndex(function (el) { return el.hasAttribute("aria-current"); });
    var next = current < 0 ? 0 : current + (event.key === "ArrowDown" ? 1 : -1);
    if (next < 0 || next >= all.length) return;
    event.preventDefault();
    open(all[next]);
    all[next].focus({ preventScroll: true });
    all[next].scrollIntoView({ block: "nearest" });
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
// Charts: draws the charts described in JSON elements (`#dashboard-data` on the home dashboard,
// `script[data-charts]` on custom dashboards and in the widget editor's preview, also after an
// htmx swap) with Apache ECharts; a click on a point opens the traces or observations behind it.
// A chart without data shows its empty-state line instead. Dashboard tiles take their grid box
// from data attributes (the CSP allows no inline styles).
(function () {
  "use strict";
  var UNITS = {
    usd: function (v) { return "$" + (Math.abs(v) >= 1 ? v.toFixed(2) : Number(v.toPrecision(3)).toString()); },
    ms: function (v) { return v >= 1000 ? (v / 1000).toFixed(2) + " s" : (v < 10 ? v.toFixed(1) : Math.round(v)) + " ms"; },
    tokens: function (v) { return Math.round(v).toLocaleString(); },
    count: function (v) { return Math.round(v).toLocaleString(); },
    score: function (v) { return Number(v.toPrecision(3)).toString(); }
  };
  var TIME_KINDS = { line: true, area: true, timebar: true };
  // A breakdown has data when it has a category; a time series when a bucket is not zero.
  function hasData(chart) {
    if (!TIME_KINDS[chart.kind]) return chart.x.length > 0 && chart.series.length > 0;
    return chart.series.some(function (s) {
      return s.data.some(function (v) { return v !== null && v !== 0; });
    });
  }
  function option(chart) {
    var format = UNITS[chart.unit] || UNITS.count;
    var time = TIME_KINDS[chart.kind];
    var valueAxis = {
      type: "value",
      minInterval: chart.unit === "count" || chart.unit === "tokens" ? 1 : 0,
      axisLabel: { formatter: function (v) { return format(v); } }
    };
    var categoryAxis = { type: "category", data: chart.x, axisLabel: { hideOverlap: true } };
    // Rich-text tooltips are drawn on the canvas: HTML ones carry inline styles, which the CSP
    // refuses.
    var tooltip = {
      renderMode: "richText",
      trigger: time ? "axis" : "item",
      valueFormatter: function (v) { return v === null || v === undefined ? "–" : format(v); }
    };
    if (chart.kind === "pie") {
      return {
        animation: false, tooltip: tooltip, legend: { type: "scroll", bottom: 0 },
        series: [{
          name: chart.series[0].name, type: "pie", radius: ["35%", "65%"],
          data: chart.x.map(function (name, i) { return { name: name, value: chart.series[0].data[i] }; })
        }]
      };
    }
    var horizontal = chart.kind === "hbar";
    return {
      animation: false,
      grid: { left: horizontal ? 120 : 56, right: 16, top: 36, bottom: 48 },
      legend: { type: "scroll", top: 0 },
      tooltip: tooltip,
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: chart.series.map(function (s) {
        var line = chart.kind === "line" || chart.kind === "area";
        return {
          name: s.name,
          type: line ? "line" : "bar",
          areaStyle: chart.kind === "area" ? {} : undefined,
          stack: chart.kind === "stacked" || chart.kind === "area" ? "total" : undefined,
          showSymbol: line && chart.x.length < 60,
          data: s.data
        };
      })
    };
  }
  function text(el, tag, content, className) {
    var child = document.createElement(tag);
    child.textContent = content;
    if (className) child.className = className;
    el.appendChild(child);
    return child;
  }
  function drawNumber(el, chart) {
    var format = UNITS[chart.unit] || UNITS.count;
    el.classList.add("chart-number");
    chart.series.forEach(function (s) {
      var value = s.data.reduce(function (sum, v) { return sum + (v || 0); }, 0);
      text(el, "div", format(value), "big-number");
      text(el, "div", s.name, "muted small");
    });
  }
  function drawTable(el, chart) {
    var format = UNITS[chart.unit] || UNITS.count;
    el.classList.add("chart-table");
    var table = document.createElement("table");
    table.className = "table";
    var head = table.createTHead().insertRow();
    text(head, "th", "");
    chart.series.forEach(function (s) { text(head, "th", s.name, "num"); });
    var body = table.createTBody();
    chart.x.forEach(function (x, i) {
      var row = body.insertRow();
      text(row, "td", x);
      chart.series.forEach(function (s) { text(row, "td", s.data[i] === null ? "–" : format(s.data[i]), "num"); });
    });
    el.appendChild(table);
  }
  function drawOne(chart) {
    var el = document.getElementById("chart-" + chart.id);
    if (!el || el.dataset.drawn) return;
    el.dataset.drawn = "1";
    if (!hasData(chart)) {
      el.hidden = true;
      var empty = document.getElementById("chart-" + chart.id + "-empty");
      if (empty) empty.hidden = false;
      return;
    }
    if (chart.kind === "number") return drawNumber(el, chart);
    if (chart.kind === "table") return drawTable(el, chart);
    if (!window.echarts) return;
    var instance = window.echarts.init(el, null, { renderer: "canvas" });
    instance.setOption(option(chart));
    instance.on("click", function (params) {
      var series = chart.series[params.seriesIndex];
      var href = series && series.links[params.dataIndex];
      if (href) window.location.assign(href);
    });
    window.addEventListener("resize", function () { instance.resize(); });
  }
  function placeTiles(root) {
    root.querySelectorAll(".tile[data-w]").forEach(function (tile) {
      var x = +tile.dataset.x, y = +tile.dataset.y, w = +tile.dataset.w, h = +tile.dataset.h;
      tile.style.gridColumn = (x + 1) + " / span " + Math.min(w, 12 - x);
      tile.style.gridRow = (y + 1) + " / span " + h;
    });
  }
  function draw(root) {
    placeTiles(root);
    // Full pages carry the figures in a JSON script element; fragments swapped in by htmx (which
    // drops script elements) in a `data-charts-json` attribute.
    root.querySelectorAll("#dashboard-data, script[data-charts]").forEach(function (source) {
      JSON.parse(source.textContent).forEach(drawOne);
    });
    var carriers = Array.prototype.slice.call(root.querySelectorAll("[data-charts-json]"));
    if (root.matches && root.matches("[data-charts-json]")) carriers.push(root);
    carriers.forEach(function (carrier) {
      JSON.parse(carrier.getAttribute("data-charts-json")).forEach(drawOne);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.detail.elt || event.target); });
})();
