/**
 * The status page: one HTML document with its CSS and JavaScript inline,
 * as a string constant, so `deno compile` embeds it with the module (a
 * robot binary reads no file beside it) and a browser needs nothing but
 * the status server — no build step, no CDN, works offline. The page opens
 * `events` (server-sent events: a `view` about once a second and at every
 * state change, a `log` per log line) and redraws from each view; every
 * value reaches the document as text, never as markup. A click on a topic
 * row shows that topic's latest value under it (`topic.json`, fetched again
 * with each view while it stays open); another click hides it.
 *
 * @example
 * ```ts
 * import { STATUS_PAGE_HTML } from "./status_page.ts";
 * console.log(STATUS_PAGE_HTML.startsWith("<!doctype html>")); // true
 * ```
 * @module
 */

/**
 * The page (see the module documentation).
 *
 * @example
 * ```ts
 * import { STATUS_PAGE_HTML } from "./status_page.ts";
 * const response = new Response(STATUS_PAGE_HTML, { headers: { "content-type": "text/html" } });
 * ```
 */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>robot · zedge</title>
<link rel="icon" href="data:,">
<style>
:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #667085; --line: #e3e6ec;
  --ok: #127a3a; --ok-bg: #e3f5e9; --warn: #9a5b00; --warn-bg: #fff1d6;
  --bad: #b42318; --bad-bg: #fde7e5; --idle: #475467; --idle-bg: #eceff3; --accent: #2b59c3;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: baseline; padding: 10px 16px;
  background: #1d2330; color: #fff; }
header h1 { font-size: 17px; margin: 0; }
header .meta { color: #c8cdd6; }
#live { margin-left: auto; font-weight: 600; }
#live.on { color: #7ee2a2; } #live.off { color: #ffb4a8; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 12px; padding: 12px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; min-width: 0; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 2px 0 6px; }
h2 .count { text-transform: none; letter-spacing: 0; margin-left: 6px; font-weight: 400; }
table { width: 100%; border-collapse: collapse; table-layout: auto; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; border-bottom: 1px solid var(--line); padding: 3px 6px; white-space: nowrap; }
td { border-bottom: 1px solid var(--line); padding: 3px 6px; vertical-align: top; }
tr:last-child td { border-bottom: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
td.wrap { overflow-wrap: anywhere; }
td.nowrap { white-space: nowrap; }
td.goal { max-width: 16em; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.empty { color: var(--muted); padding: 6px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.s-running, .s-COMPLETED { color: var(--ok); background: var(--ok-bg); }
.s-starting, .s-backoff, .s-INITIATED, .s-ACCEPTED { color: var(--warn); background: var(--warn-bg); }
.s-failed, .s-FAILED, .s-REJECTED { color: var(--bad); background: var(--bad-bg); }
.s-stopped, .s-ABORTED { color: var(--idle); background: var(--idle-bg); }
.error { color: var(--bad); }
.bar { position: relative; height: 14px; min-width: 120px; background: var(--idle-bg); border-radius: 3px; overflow: hidden; }
.bar > span { position: absolute; inset: 0 auto 0 0; background: #7aa2f7; }
.bar > em { position: relative; font-style: normal; font-size: 11px; padding-left: 4px; }
svg.spark { display: block; }
svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
svg.spark polygon { fill: #2b59c322; stroke: none; }
#log-controls { display: flex; gap: 10px; align-items: center; margin-bottom: 6px; flex-wrap: wrap; }
#log { height: 260px; overflow: auto; background: #0f131a; color: #d8dee9; border-radius: 4px; padding: 6px 8px;
  font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
#log div { white-space: pre-wrap; word-break: break-word; }
#log .l-debug, #log .l-trace { color: #8a93a6; }
#log .l-warning { color: #f2c46d; }
#log .l-error, #log .l-fatal { color: #ff8f80; }
#log .c { color: #8fb4ff; }
#topics tr[data-topic] { cursor: pointer; }
#topics tr[data-topic]:hover td { background: #f0f4ff; }
#topics tr.open td { background: #e8eefc; }
tr.latest pre { margin: 2px 0; max-height: 240px; overflow: auto; white-space: pre-wrap; word-break: break-word;
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
</style>
</head>
<body>
<header>
  <h1 id="robot">robot</h1>
  <span class="meta" id="summary"></span>
  <span id="live" class="off">connecting…</span>
</header>
<main>
  <section class="wide" id="components-section">
    <h2>Components <span class="count" id="components-count"></span></h2>
    <table id="components">
      <thead><tr><th>Component</th><th>Kind</th><th>State</th><th>Uptime</th><th>Restarts</th><th>Last error</th><th>Permissions</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="wide" id="tasks-section">
    <h2>Tasks <span class="count" id="tasks-count"></span></h2>
    <table id="tasks">
      <thead><tr><th>State</th><th>Task</th><th>Handler</th><th>Goal</th><th>Progress or result</th><th>Time</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section id="pipelines-section">
    <h2>Pipelines</h2>
    <table id="pipelines">
      <thead><tr><th>Component</th><th>Progress</th><th>Rate</th><th>ETA</th><th>Failed</th><th>Retried</th><th>Items/s</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section id="topics-section">
    <h2>Topics</h2>
    <table id="topics">
      <thead><tr><th>Topic</th><th>Msg/s</th><th></th><th>Publishers</th><th>Subscribers</th><th>Received/s</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="wide" id="sockets-section">
    <h2>Sockets</h2>
    <table id="sockets">
      <thead><tr><th>Component</th><th>Socket</th><th>Peers</th><th>Out/s</th><th>In/s</th><th></th><th>Bytes out / in</th><th>Drops</th><th>Failed handshakes</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="wide" id="log-section">
    <h2>Log</h2>
    <div id="log-controls">
      <label>Level <select id="log-level">
        <option value="debug">debug</option><option value="info" selected>info</option>
        <option value="warning">warning</option><option value="error">error</option>
      </select></label>
      <label>Component <select id="log-component"><option value="">all</option></select></label>
      <label><input type="checkbox" id="log-follow" checked> follow</label>
      <span class="muted" id="log-count"></span>
    </div>
    <div id="log"></div>
  </section>
</main>
<script>
"use strict";
var LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"];
var MAX_LOG_LINES = 500;
var logLines = [];
var view = null;

function el(tag, props) {
  var node = document.createElement(tag);
  if (props) {
    for (var key in props) {
      if (key === "text") node.textContent = props[key];
      else if (key === "cls") node.className = props[key];
      else if (key === "title") node.title = props[key];
      else node.setAttribute(key, props[key]);
    }
  }
  for (var i = 2; i < arguments.length; i++) {
    var child = arguments[i];
    if (child === null || child === undefined) continue;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}
function td(text, cls) { return el("td", { text: text, cls: cls || "" }); }
function num(text) { return td(text, "num"); }
function badge(state) { return el("span", { cls: "badge s-" + state, text: state }); }
function duration(ms) {
  if (ms === null || ms === undefined) return "-";
  if (ms < 1000) return Math.round(ms) + " ms";
  var s = Math.floor(ms / 1000);
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + "m " + String(s % 60).padStart(2, "0") + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h " + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + "m";
  return Math.floor(s / 86400) + "d " + String(Math.floor(s % 86400 / 3600)).padStart(2, "0") + "h";
}
function rate(n) {
  if (n === null || n === undefined) return "-";
  if (n >= 10000) return (n / 1000).toFixed(0) + "k";
  if (n >= 1000) return (n / 1000).toFixed(1) + "k";
  if (n >= 10) return n.toFixed(0);
  return n.toFixed(1);
}
function bytes(n) {
  if (n < 1024) return n + " B";
  if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
  if (n < 1073741824) return (n / 1048576).toFixed(1) + " MiB";
  return (n / 1073741824).toFixed(2) + " GiB";
}
function short(path) {
  var parts = path.split("/");
  return parts.length > 3 ? "…/" + parts.slice(-2).join("/") : path;
}
var SVG = "http://www.w3.org/2000/svg";
function spark(values) {
  var width = 90, height = 22;
  var svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  if (!values || values.length < 2) return svg;
  var max = Math.max.apply(null, values.concat([1]));
  var step = width / 59;
  var start = width - step * (values.length - 1);
  var points = values.map(function (v, i) {
    return (start + i * step).toFixed(1) + "," + (height - 1 - (v / max) * (height - 3)).toFixed(1);
  });
  var area = document.createElementNS(SVG, "polygon");
  area.setAttribute("points", start.toFixed(1) + "," + height + " " + points.join(" ") + " " + width + "," + height);
  var line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.join(" "));
  svg.appendChild(area);
  svg.appendChild(line);
  var title = document.createElementNS(SVG, "title");
  title.textContent = "last " + values.length + " s, peak " + rate(Math.max.apply(null, values)) + "/s";
  svg.appendChild(title);
  return svg;
}
function fill(id, rows, empty, columns) {
  var body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  if (rows.length === 0) {
    body.appendChild(el("tr", null, el("td", { cls: "empty", colspan: String(columns), text: empty })));
    return;
  }
  rows.forEach(function (row) { body.appendChild(row); });
}

function permissionsCell(p) {
  var cell = el("td", { cls: "mono wrap" });
  var any = false;
  ["net", "read", "write", "env"].forEach(function (kind) {
    if (!p[kind] || p[kind].length === 0) return;
    any = true;
    var shown = kind === "read" || kind === "write" ? p[kind].map(short) : p[kind];
    cell.appendChild(el("div", { title: kind + ": " + p[kind].join(", ") },
      el("span", { cls: "muted", text: kind + " " }), shown.join(", ")));
  });
  if (!any) cell.appendChild(el("span", { cls: "muted", text: "none" }));
  return cell;
}

function renderComponents(status) {
  var rows = status.components.map(function (c) {
    return el("tr", { "data-component": c.name, "data-state": c.state },
      td(c.name, "mono"), td(c.kind, "muted"), el("td", null, badge(c.state)),
      num(c.state === "running" ? duration(c.uptimeMs) : "-"), num(String(c.restarts)),
      c.lastError === null ? td("-", "muted")
        // lastError comes escaped (a newline as the two characters \\n): the first line
        // says what and where, the title the component's stack.
        : el("td", { text: c.lastError.split("\\\\n")[0], cls: "error wrap",
            title: c.lastError.split("\\\\n").join("\\n") }),
      permissionsCell(c.permissions));
  });
  fill("components", rows, "no components", 7);
  var running = status.components.filter(function (c) { return c.state === "running"; }).length;
  document.getElementById("components-count").textContent = running + " of " + status.components.length + " running";
  var select = document.getElementById("log-component");
  if (select.options.length !== status.components.length + 2) {
    var chosen = select.value;
    select.replaceChildren(el("option", { value: "", text: "all" }), el("option", { value: "supervisor", text: "supervisor" }));
    status.components.forEach(function (c) { select.appendChild(el("option", { value: c.name, text: c.name })); });
    select.value = chosen;
  }
}

function renderTasks(v) {
  var now = v.at;
  var rows = v.tasks.map(function (t) {
    var time = t.finishedAt === null ? duration(now - t.createdAt) : "took " + duration(t.finishedAt - t.createdAt);
    return el("tr", { "data-task": t.server + t.scope + "#" + t.id, "data-state": t.state },
      el("td", null, badge(t.state)), td(t.server + " " + t.scope + " #" + t.id, "mono nowrap"),
      td(t.handler + ":" + t.component, "mono nowrap"), td(t.goal, "mono goal"),
      td(t.payload, "wrap progress"), num(time));
  });
  fill("tasks", rows, "no tasks yet", 6);
  var counts = v.taskCounts.map(function (c) {
    var finished = Object.keys(c.finished).sort().map(function (s) { return c.finished[s] + " " + s.toLowerCase(); });
    return c.server + ": " + c.running + " running" + (finished.length ? ", " + finished.join(", ") : "");
  });
  document.getElementById("tasks-count").textContent = counts.join(" · ");
}

function renderPipelines(v) {
  var rows = v.pipelines.map(function (p) {
    var done = p.done === null ? 0 : p.done;
    var bar = el("div", { cls: "bar" });
    var share = p.total ? Math.min(100, 100 * (done + (p.failed || 0)) / p.total) : 0;
    var fillBar = el("span");
    fillBar.style.width = share.toFixed(1) + "%";
    bar.appendChild(fillBar);
    bar.appendChild(el("em", { text: (p.done === null ? "-" : done) + (p.total !== null ? " / " + p.total : "") + " done" }));
    return el("tr", { "data-pipeline": p.component },
      el("td", null, el("div", { cls: "mono", text: p.component }), el("div", { cls: "muted", text: p.role })),
      el("td", null, bar), num(p.rate === null ? "-" : rate(p.rate) + "/s"),
      num(p.etaMs === null ? "-" : duration(p.etaMs)), num(p.failed === null ? "-" : String(p.failed)),
      num(p.retried === null ? "-" : String(p.retried)), el("td", null, spark(p.history)));
  });
  fill("pipelines", rows, "no pipeline roles", 7);
}

var openTopic = null;
var latest = null;
var latestPending = false;
var MAX_VALUE_CHARS = 4000;
function fetchLatest() {
  if (openTopic === null || latestPending) return;
  latestPending = true;
  var topic = openTopic;
  fetch("topic.json?name=" + encodeURIComponent(topic)).then(function (response) {
    return response.json();
  }).then(function (body) {
    latestPending = false;
    if (topic !== openTopic) return;
    latest = body;
    if (view) renderTopics(view);
  }).catch(function () { latestPending = false; });
}
function latestRow(topic) {
  var cell = el("td", { colspan: "6" });
  if (latest === null) cell.appendChild(el("span", { cls: "muted", text: "waiting for a message on " + topic + "…" }));
  else if (latest.error) cell.appendChild(el("span", { cls: "muted", text: latest.error }));
  else {
    var text = JSON.stringify(latest.value, null, 2);
    if (text.length > MAX_VALUE_CHARS) text = text.slice(0, MAX_VALUE_CHARS) + "\\n… (" + text.length + " characters)";
    cell.appendChild(el("pre", { text: text }));
    cell.appendChild(el("div", { cls: "muted", text: "latest from " + latest.source + " at " +
      new Date(latest.receivedAt).toLocaleTimeString() }));
  }
  return el("tr", { cls: "latest", "data-latest": topic }, cell);
}
function toggleTopic(topic) {
  openTopic = openTopic === topic ? null : topic;
  latest = null;
  if (view) renderTopics(view);
  fetchLatest();
}
function renderTopics(v) {
  var rows = [];
  v.topics.forEach(function (t) {
    var row = el("tr", { "data-topic": t.topic, cls: t.topic === openTopic ? "open" : "",
      title: "click for its latest value" },
      td(t.topic, "mono"), num(rate(t.rate)), el("td", null, spark(t.history)),
      td(t.publishers.join(", ") || "-", "mono"), td(t.subscribers.join(", ") || "-", "mono"),
      num(rate(t.receivedRate)));
    row.addEventListener("click", function () { toggleTopic(t.topic); });
    rows.push(row);
    if (t.topic === openTopic) rows.push(latestRow(t.topic));
  });
  fill("topics", rows, "no topics", 6);
}

function renderSockets(v) {
  var rows = v.sockets.map(function (s) {
    return el("tr", { "data-socket": s.component + " " + s.type + " " + s.endpoint },
      td(s.component, "mono"), el("td", { cls: "mono wrap" }, el("b", { text: s.type + " " }), s.endpoint || "-"),
      num(String(s.connections)), num(rate(s.sentRate)), num(rate(s.receivedRate)),
      el("td", null, spark(s.history)), num(bytes(s.bytesSent) + " / " + bytes(s.bytesReceived)),
      td(String(s.dropped), s.dropped > 0 ? "num error" : "num"),
      td(String(s.handshakeFailures), s.handshakeFailures > 0 ? "num error" : "num"));
  });
  fill("sockets", rows, "no sockets", 9);
}

function render(v) {
  view = v;
  var s = v.status;
  document.title = s.robot + " · zedge";
  document.getElementById("robot").textContent = s.robot;
  document.getElementById("summary").textContent = "pid " + s.pid + " · up " + duration(s.uptimeMs) +
    " · updated " + new Date(v.at).toLocaleTimeString();
  renderComponents(s);
  renderTasks(v);
  renderPipelines(v);
  renderTopics(v);
  renderSockets(v);
  fetchLatest();
}

function logVisible(line) {
  var level = document.getElementById("log-level").value;
  var component = document.getElementById("log-component").value;
  return LEVELS.indexOf(line.level) >= LEVELS.indexOf(level) && (component === "" || line.component === component);
}
function logNode(line) {
  var time = new Date(line.time).toLocaleTimeString();
  return el("div", { cls: "l-" + line.level, "data-level": line.level },
    time + " " + line.level + " ", el("span", { cls: "c", text: line.component }), ": " + line.message);
}
function renderLog() {
  var box = document.getElementById("log");
  var shown = logLines.filter(logVisible);
  box.replaceChildren.apply(box, shown.map(logNode));
  document.getElementById("log-count").textContent = shown.length + " of " + logLines.length + " lines";
  if (document.getElementById("log-follow").checked) box.scrollTop = box.scrollHeight;
}
var logPending = false;
function addLog(line) {
  if (logLines.length > 0 && line.seq <= logLines[logLines.length - 1].seq) return;
  logLines.push(line);
  if (logLines.length > MAX_LOG_LINES) logLines.shift();
  if (!logPending) {
    logPending = true;
    requestAnimationFrame(function () { logPending = false; renderLog(); });
  }
}
document.getElementById("log-level").addEventListener("change", renderLog);
document.getElementById("log-component").addEventListener("change", renderLog);

function setLive(on) {
  var live = document.getElementById("live");
  live.className = on ? "on" : "off";
  live.textContent = on ? "live" : "reconnecting…";
}
var source = new EventSource("events");
source.addEventListener("view", function (event) { setLive(true); render(JSON.parse(event.data)); });
source.addEventListener("log", function (event) { addLog(JSON.parse(event.data)); });
source.addEventListener("error", function () { setLive(false); });
</script>
</body>
</html>
`;
