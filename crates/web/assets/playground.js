// The playground (pages/playground.rs): windows side by side, each with its own connection,
// model, parameters, messages, variables, placeholders, tools and structured output. Windows are
// kept in this browser's localStorage per project. "Run" posts one window to …/playground/run
// and reads the answer as it streams (NDJSON lines); "Stop" aborts the request, which ends the
// provider call on the server. Every text from the page's data or a provider is set with
// textContent or as a form value, never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("playground");
  if (!root) return;
  var init = JSON.parse(root.getAttribute("data-init"));
  var runUrl = root.getAttribute("data-run-url");
  var saveUrl = root.getAttribute("data-save-url");
  var csrf = root.getAttribute("data-csrf");
  var maxWindows = init.maxWindows || 10;
  var storageKey = "sightline-playground:" + init.projectId;
  var container = document.getElementById("pg-windows");
  var streamToggle = document.getElementById("pg-stream");
  var PARAMS = ["temperature", "max_tokens", "top_p", "maxReasoningTokens"];
  var VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;
  var NAME = /^[\p{L}][\p{L}\p{N}_]*$/u;
  var windows = [];
  var nextId = 1;

  var promptList = document.getElementById("pg-chat-prompts");
  (init.chatPrompts || []).forEach(function (name) {
    var option = document.createElement("option");
    option.value = name;
    promptList.appendChild(option);
  });

  function connection(provider) {
    return init.connections.find(function (c) { return c.provider === provider; });
  }

  function defaultParams(provider) {
    var c = connection(provider);
    var defaults = (c && c.params) || {};
    var params = {};
    PARAMS.forEach(function (name) {
      var value = defaults[name];
      params[name] = { on: false, value: value === undefined ? "" : value };
    });
    return params;
  }

  function newWindow(from) {
    var first = init.connections.find(function (c) { return c.callable; }) || init.connections[0];
    var provider = (from && from.provider) || first.provider;
    var c = connection(provider) || first;
    var w = {
      id: nextId++,
      provider: c.provider,
      model: (from && from.model) || c.models[0] || "",
      params: defaultParams(c.provider),
      messages: (from && from.messages) || [
        { role: "system", content: "You are a helpful assistant." },
        { role: "user", content: "" }
      ],
      variables: {},
      placeholders: {},
      tools: (from && from.tools && from.tools.length) ? JSON.stringify(from.tools, null, 2) : "",
      schema: "",
      source: (from && from.source) || ""
    };
    var given = (from && from.params) || {};
    Object.keys(given).forEach(function (name) {
      if (w.params[name]) w.params[name] = { on: true, value: given[name] };
    });
    return w;
  }

  function save() {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ windows: windows, stream: streamToggle.checked }));
    } catch (e) { /* storage full or disabled: the page still works */ }
  }

  function load() {
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { saved = null; }
    if (saved && typeof saved.stream === "boolean") streamToggle.checked = saved.stream;
    if (init.window) return [newWindow(init.window)];
    if (saved && Array.isArray(saved.windows) && saved.windows.length) {
      return saved.windows.slice(0, maxWindows).map(function (w) {
        w.id = nextId++;
        if (!connection(w.provider)) {
          var fresh = newWindow(null);
          w.provider = fresh.provider;
        }
        return w;
      });
    }
    return [newWindow(null)];
  }

  function variablesOf(w) {
    var names = [];
    w.messages.forEach(function (m) {
      if (m.type === "placeholder") return;
      var text = m.content || "";
      var match;
      VARIABLE.lastIndex = 0;
      while ((match = VARIABLE.exec(text)) !== null) {
        if (NAME.test(match[1]) && names.indexOf(match[1]) < 0) names.push(match[1]);
      }
    });
    return names;
  }

  function placeholdersOf(w) {
    return w.messages.filter(function (m) { return m.type === "placeholder" && m.name; })
      .map(function (m) { return m.name; });
  }

  function el(node, selector) { return node.querySelector(selector); }

  // Saved tools and schemas (the project's, shared by every window).
  function fillSaved(node) {
    [[".pg-tool-pick", init.savedTools || [], "Saved tools…"],
     [".pg-schema-pick", init.savedSchemas || [], "Saved schemas…"]].forEach(function (spec) {
      var select = el(node, spec[0]);
      select.textContent = "";
      var none = document.createElement("option");
      none.value = "";
      none.textContent = spec[1].length ? spec[2] : "None saved yet";
      select.appendChild(none);
      spec[1].forEach(function (definition, i) {
        var option = document.createElement("option");
        option.value = String(i);
        option.textContent = definition.name + (definition.description ? " — " + definition.description : "");
        select.appendChild(option);
      });
    });
  }

  function saveDefinition(body) {
    return fetch(init.definitionsUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (result) {
        if (!response.ok) throw new Error(result.message || "Not saved (" + response.status + ")");
        return result.data;
      });
    });
  }

  function savedChanged(kind, data) {
    if (kind === "tool") init.savedTools = data; else init.savedSchemas = data;
    container.querySelectorAll(".pg-window").forEach(fillSaved);
  }

  function renderModels(w, node) {
    var select = el(node, ".pg-model");
    select.textContent = "";
    var found = false;
    init.connections.forEach(function (c) {
      var group = document.createElement("optgroup");
      group.label = c.provider + " (" + c.adapter + (c.callable ? "" : ", cannot be called") + ")";
      var models = c.models.slice();
      if (c.provider === w.provider && w.model && models.indexOf(w.model) < 0) models.unshift(w.model);
      models.forEach(function (model) {
        var option = document.createElement("option");
        option.value = c.provider + ":" + model;
        option.textContent = c.provider + ": " + model;
        option.disabled = !c.callable;
        if (c.provider === w.provider && model === w.model) { option.selected = true; found = true; }
        group.appendChild(option);
      });
      select.appendChild(group);
    });
    if (!found && select.options.length) {
      var first = Array.prototype.find.call(select.options, function (o) { return !o.disabled; }) || select.options[0];
      first.selected = true;
      var at = first.value.indexOf(":");
      w.provider = first.value.slice(0, at);
      w.model = first.value.slice(at + 1);
    }
  }

  function renderParams(w, node) {
    var c = connection(w.provider);
    node.querySelectorAll(".pg-on").forEach(function (box) {
      var name = box.getAttribute("data-param");
      box.checked = !!w.params[name].on;
    });
    node.querySelectorAll(".pg-value").forEach(function (input) {
      var name = input.getAttribute("data-param");
      input.value = w.params[name].value;
      input.disabled = !w.params[name].on;
      if (name === "temperature" && c) input.max = c.maxTemperature;
    });
  }

  function renderMessages(w, node) {
    var list = el(node, ".pg-messages");
    list.textContent = "";
    w.messages.forEach(function (m, index) {
      var row;
      if (m.type === "placeholder") {
        row = document.getElementById("pg-placeholder-template").content.firstElementChild.cloneNode(true);
        var name = el(row, ".pg-placeholder-name");
        name.value = m.name || "";
        name.addEventListener("input", function () { m.name = name.value.trim(); renderVariables(w, node); save(); });
      } else {
        row = document.getElementById("pg-message-template").content.firstElementChild.cloneNode(true);
        var role = el(row, ".pg-role");
        var content = el(row, ".pg-content");
        var callId = el(row, ".pg-tool-call-id");
        role.value = m.role;
        content.value = m.content || "";
        callId.value = m.toolCallId || "";
        callId.hidden = m.role !== "tool";
        if (m.toolCalls && m.toolCalls.length) {
          var calls = el(row, ".pg-calls");
          calls.hidden = false;
          calls.textContent = "Tool calls: " + m.toolCalls.map(function (call) {
            return call.name + "(" + JSON.stringify(call.args) + ") #" + call.id;
          }).join(", ");
        }
        role.addEventListener("change", function () { m.role = role.value; callId.hidden = m.role !== "tool"; save(); });
        content.addEventListener("input", function () { m.content = content.value; renderVariables(w, node); save(); });
        callId.addEventListener("input", function () { m.toolCallId = callId.value.trim() || undefined; save(); });
      }
      el(row, ".pg-remove-message").addEventListener("click", function () {
        w.messages.splice(index, 1);
        renderMessages(w, node);
        renderVariables(w, node);
        save();
      });
      list.appendChild(row);
    });
  }

  function renderVariables(w, node) {
    var box = el(node, ".pg-variables");
    var names = variablesOf(w);
    var holders = placeholdersOf(w);
    box.textContent = "";
    if (!names.length && !holders.length) {
      var none = document.createElement("p");
      none.className = "muted";
      none.textContent = "No variables.";
      box.appendChild(none);
      return;
    }
    names.forEach(function (name) {
      var label = document.createElement("label");
      label.textContent = name + " ";
      var input = document.createElement("textarea");
      input.rows = 1;
      input.className = "pg-variable";
      input.setAttribute("data-name", name);
      input.value = w.variables[name] || "";
      input.addEventListener("input", function () { w.variables[name] = input.value; save(); });
      label.appendChild(input);
      box.appendChild(label);
    });
    holders.forEach(function (name) {
      var label = document.createElement("label");
      label.textContent = name + " (placeholder: a JSON list of messages) ";
      var input = document.createElement("textarea");
      input.rows = 2;
      input.className = "pg-placeholder-value mono";
      input.setAttribute("data-name", name);
      input.placeholder = '[{"role": "user", "content": "…"}]';
      input.value = w.placeholders[name] || "";
      input.addEventListener("input", function () { w.placeholders[name] = input.value; save(); });
      label.appendChild(input);
      box.appendChild(label);
    });
  }

  function showError(node, message) {
    var error = el(node, ".pg-error");
    error.hidden = !message;
    error.textContent = message || "";
  }

  function runBody(w) {
    var body = {
      provider: w.provider,
      model: w.model,
      messages: w.messages,
      params: {},
      tools: [],
      structuredOutput: null,
      variables: {},
      placeholders: {},
      stream: streamToggle.checked
    };
    PARAMS.forEach(function (name) {
      var p = w.params[name];
      if (p.on && p.value !== "" && !isNaN(Number(p.value))) body.params[name] = Number(p.value);
    });
    variablesOf(w).forEach(function (name) { if (name in w.variables) body.variables[name] = w.variables[name]; });
    placeholdersOf(w).forEach(function (name) {
      var text = (w.placeholders[name] || "").trim();
      if (!text) return;
      try { body.placeholders[name] = JSON.parse(text); } catch (e) {
        throw new Error("The value of placeholder '" + name + "' is not JSON: " + e.message);
      }
    });
    if (w.tools.trim()) {
      try { body.tools = JSON.parse(w.tools); } catch (e) { throw new Error("Tools are not JSON: " + e.message); }
      if (!Array.isArray(body.tools)) body.tools = [body.tools];
    }
    if (w.schema.trim()) {
      try { body.structuredOutput = JSON.parse(w.schema); } catch (e) { throw new Error("The structured output is not JSON: " + e.message); }
      if (body.structuredOutput && !body.structuredOutput.schema) {
        body.structuredOutput = { name: "output", schema: body.structuredOutput };
      }
    }
    return body;
  }

  function describeUsage(result) {
    var parts = [];
    if (result.usage) parts.push(result.usage.input + " → " + result.usage.output + " tokens");
    if (typeof result.latencyMs === "number") parts.push(result.latencyMs + " ms");
    if (typeof result.firstTokenMs === "number") parts.push("first token " + result.firstTokenMs + " ms");
    return parts.join(" · ");
  }

  function addOutputActions(w, node, text, calls) {
    var box = el(node, ".pg-tool-calls");
    box.textContent = "";
    if (!text && !(calls && calls.length)) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small pg-add-output";
    button.textContent = calls && calls.length ? "Add tool calls to messages" : "Add to messages";
    button.addEventListener("click", function () {
      var message = { role: "assistant", content: text || "" };
      if (calls && calls.length) message.toolCalls = calls;
      w.messages.push(message);
      (calls || []).forEach(function (call) {
        w.messages.push({ role: "tool", content: "", toolCallId: call.id });
      });
      renderMessages(w, node);
      renderVariables(w, node);
      box.textContent = "";
      save();
    });
    box.appendChild(button);
  }

  async function run(w, node) {
    var output = el(node, ".pg-output");
    var meta = el(node, ".pg-meta");
    var runButton = el(node, ".pg-run");
    var stop = el(node, ".pg-stop");
    showError(node, "");
    el(node, ".pg-tool-calls").textContent = "";
    var body;
    try { body = runBody(w); } catch (e) { showError(node, e.message); return; }
    var controller = new AbortController();
    node._controller = controller;
    output.textContent = "";
    meta.textContent = "Running…";
    runButton.disabled = true;
    stop.disabled = false;
    var text = "";
    try {
      var response = await fetch(runUrl, {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify(body),
        signal: controller.signal,
        credentials: "same-origin"
      });
      var type = response.headers.get("content-type") || "";
      if (!response.ok) {
        var refusal = type.indexOf("json") >= 0 ? await response.json() : { message: await response.text() };
        showError(node, refusal.message || ("The run failed (" + response.status + ")"));
        meta.textContent = "";
        return;
      }
      if (type.indexOf("ndjson") >= 0) {
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffered = "";
        for (;;) {
          var chunk = await reader.read();
          if (chunk.done) break;
          buffered += decoder.decode(chunk.value, { stream: true });
          var lines = buffered.split("\n");
          buffered = lines.pop();
          lines.forEach(function (line) {
            if (!line.trim()) return;
            var event = JSON.parse(line);
            if (event.type === "text") { text += event.text; output.textContent = text; }
            else if (event.type === "done") { meta.textContent = describeUsage(event); }
            else if (event.type === "error") { showError(node, event.message); meta.textContent = ""; }
          });
        }
        addOutputActions(w, node, text, []);
      } else {
        var result = await response.json();
        if (result.structured !== null && result.structured !== undefined) {
          text = JSON.stringify(result.structured, null, 2);
        } else {
          text = result.content || "";
        }
        if (result.toolCalls && result.toolCalls.length) {
          text += (text ? "\n\n" : "") + result.toolCalls.map(function (call) {
            return "→ " + call.name + "(" + JSON.stringify(call.args) + ")";
          }).join("\n");
        }
        output.textContent = text;
        meta.textContent = describeUsage(result);
        addOutputActions(w, node, result.structured ? text : (result.content || ""), result.toolCalls || []);
      }
    } catch (e) {
      if (e.name === "AbortError") {
        meta.textContent = "Stopped.";
      } else {
        showError(node, "The run failed: " + e.message);
        meta.textContent = "";
      }
    } finally {
      runButton.disabled = false;
      stop.disabled = true;
      node._controller = null;
    }
  }

  function saveAsPrompt(w, node, form) {
    var config = { model: w.model, provider: w.provider };
    PARAMS.forEach(function (name) {
      var p = w.params[name];
      if (p.on && p.value !== "" && !isNaN(Number(p.value))) config[name] = Number(p.value);
    });
    var body = {
      name: el(form, ".pg-save-name").value,
      messages: w.messages,
      config: config,
      commitMessage: el(form, ".pg-save-message").value
    };
    fetch(saveUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (result) {
        if (!response.ok) throw new Error(result.message || "The prompt was not saved");
        window.location.href = result.url;
      });
    }).catch(function (e) { showError(node, e.message); });
  }

  function renderWindow(w) {
    var node = document.getElementById("pg-window-template").content.firstElementChild.cloneNode(true);
    node.setAttribute("data-window", String(w.id));
    if (w.source) {
      var source = el(node, ".pg-source");
      source.hidden = false;
      source.textContent = "Opened from " + w.source;
    }
    renderModels(w, node);
    renderParams(w, node);
    renderMessages(w, node);
    renderVariables(w, node);
    el(node, ".pg-tools").value = w.tools || "";
    el(node, ".pg-schema").value = w.schema || "";
    fillSaved(node);
    el(node, ".pg-tool-add").addEventListener("click", function () {
      var picked = (init.savedTools || [])[Number(el(node, ".pg-tool-pick").value)];
      if (!el(node, ".pg-tool-pick").value || !picked) return;
      var tools = [];
      try { tools = w.tools.trim() ? JSON.parse(w.tools) : []; } catch (e) { showError(node, "Tools are not JSON: " + e.message); return; }
      if (!Array.isArray(tools)) tools = [tools];
      tools = tools.filter(function (t) { return t && t.name !== picked.name; });
      tools.push({ name: picked.name, description: picked.description, parameters: picked.schema });
      w.tools = JSON.stringify(tools, null, 2);
      el(node, ".pg-tools").value = w.tools;
      save();
    });
    el(node, ".pg-tool-save").addEventListener("click", function () {
      var tools;
      try { tools = JSON.parse(w.tools); } catch (e) { showError(node, "Tools are not JSON: " + e.message); return; }
      if (!Array.isArray(tools)) tools = [tools];
      showError(node, "");
      tools.reduce(function (done, tool) {
        return done.then(function () {
          return saveDefinition({ kind: "tool", name: tool.name || "", description: tool.description || "", schema: tool.parameters });
        });
      }, Promise.resolve()).then(function (data) {
        if (data) savedChanged("tool", data);
        el(node, ".pg-meta").textContent = "Tools saved to the project.";
      }).catch(function (e) { showError(node, e.message); });
    });
    el(node, ".pg-schema-use").addEventListener("click", function () {
      var picked = (init.savedSchemas || [])[Number(el(node, ".pg-schema-pick").value)];
      if (!el(node, ".pg-schema-pick").value || !picked) return;
      w.schema = JSON.stringify({ name: picked.name, description: picked.description, schema: picked.schema }, null, 2);
      el(node, ".pg-schema").value = w.schema;
      save();
    });
    el(node, ".pg-schema-save").addEventListener("click", function () {
      var parsed;
      try { parsed = JSON.parse(w.schema); } catch (e) { showError(node, "The structured output is not JSON: " + e.message); return; }
      if (!parsed || !parsed.schema) { showError(node, "Give the schema a name: {\"name\": …, \"schema\": {…}}"); return; }
      showError(node, "");
      saveDefinition({ kind: "schema", name: parsed.name || "", description: parsed.description || "", schema: parsed.schema })
        .then(function (data) {
          savedChanged("schema", data);
          el(node, ".pg-meta").textContent = "Schema saved to the project.";
        }).catch(function (e) { showError(node, e.message); });
    });
    el(node, ".pg-model").addEventListener("change", function (event) {
      var value = event.target.value;
      var at = value.indexOf(":");
      var provider = value.slice(0, at);
      if (provider !== w.provider) {
        var kept = w.params;
        w.params = defaultParams(provider);
        PARAMS.forEach(function (name) { if (kept[name].on) w.params[name] = kept[name]; });
      }
      w.provider = provider;
      w.model = value.slice(at + 1);
      renderParams(w, node);
      save();
    });
    node.querySelectorAll(".pg-on").forEach(function (box) {
      box.addEventListener("change", function () {
        var name = box.getAttribute("data-param");
        w.params[name].on = box.checked;
        // Anthropic takes temperature or top_p, not both.
        var c = connection(w.provider);
        if (c && c.adapter === "anthropic" && box.checked) {
          if (name === "temperature") w.params.top_p.on = false;
          if (name === "top_p") w.params.temperature.on = false;
        }
        renderParams(w, node);
        save();
      });
    });
    node.querySelectorAll(".pg-value").forEach(function (input) {
      input.addEventListener("input", function () {
        w.params[input.getAttribute("data-param")].value = input.value;
        save();
      });
    });
    el(node, ".pg-tools").addEventListener("input", function (e) { w.tools = e.target.value; save(); });
    el(node, ".pg-schema").addEventListener("input", function (e) { w.schema = e.target.value; save(); });
    el(node, ".pg-add-message").addEventListener("click", function () {
      var last = w.messages[w.messages.length - 1];
      w.messages.push({ role: last && last.role === "user" ? "assistant" : "user", content: "" });
      renderMessages(w, node);
      save();
    });
    el(node, ".pg-add-placeholder").addEventListener("click", function () {
      w.messages.push({ type: "placeholder", name: "" });
      renderMessages(w, node);
      save();
    });
    el(node, ".pg-run").addEventListener("click", function () { run(w, node); });
    el(node, ".pg-stop").addEventListener("click", function () {
      if (node._controller) node._controller.abort();
    });
    el(node, ".pg-copy").addEventListener("click", function () {
      if (windows.length >= maxWindows) return;
      var copy = JSON.parse(JSON.stringify(w));
      copy.id = nextId++;
      copy.source = "";
      windows.splice(windows.indexOf(w) + 1, 0, copy);
      renderAll();
      save();
    });
    el(node, ".pg-remove").addEventListener("click", function () {
      if (windows.length <= 1) return;
      if (node._controller) node._controller.abort();
      windows.splice(windows.indexOf(w), 1);
      renderAll();
      save();
    });
    var form = el(node, ".pg-save");
    el(node, ".pg-save-open").addEventListener("click", function () {
      form.hidden = !form.hidden;
      if (!form.hidden) el(form, ".pg-save-name").focus();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      saveAsPrompt(w, node, form);
    });
    return node;
  }

  function renderAll() {
    container.textContent = "";
    windows.forEach(function (w) { container.appendChild(renderWindow(w)); });
    document.getElementById("pg-add").disabled = windows.length >= maxWindows;
    container.setAttribute("data-count", String(windows.length));
  }

  function runAll() {
    Array.prototype.forEach.call(container.children, function (node, i) {
      if (windows[i] && !node._controller) run(windows[i], node);
    });
  }

  document.getElementById("pg-add").addEventListener("click", function () {
    if (windows.length >= maxWindows) return;
    var last = windows[windows.length - 1];
    var fresh = newWindow(last ? { provider: last.provider, model: last.model } : null);
    windows.push(fresh);
    renderAll();
    save();
  });
  document.getElementById("pg-reset").addEventListener("click", function () {
    container.querySelectorAll(".pg-window").forEach(function (node) { if (node._controller) node._controller.abort(); });
    windows = [newWindow(null)];
    renderAll();
    save();
  });
  document.getElementById("pg-run-all").addEventListener("click", runAll);
  streamToggle.addEventListener("change", save);
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      runAll();
    }
  });

  windows = load();
  renderAll();
  save();
  if (init.window && window.history.replaceState) {
    // Opened from a prompt or a generation: a reload keeps the edited windows.
    window.history.replaceState(null, "", window.location.pathname);
  }
})();
