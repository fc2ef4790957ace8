// @ts-check
// Tidal's dashboard: an overview of every scaled object, and one object's history, events and last
// decision, kept live by Server-Sent Events from the status server. Plain ES modules, no build.
import { TimeChart } from "./charts.js";
import { ago, clock, formatNumber, h, svg } from "./format.js";

/**
 * @typedef {{ at: string, kind: string, namespace: string, name: string, type: "Normal" | "Warning", reason: string, message: string, source?: string }} RuntimeEvent
 * @typedef {{ name: string, metricName: string, value: number | null, target: number, error: string | null }} RowTrigger
 * @typedef {{ key: string, kind: string, namespace: string, name: string, target: { kind: string, name: string },
 *   replicas: number, desiredReplicas: number, minReplicas: number, maxReplicas: number, ready: boolean,
 *   active: boolean, fallback: boolean, paused: boolean, lastError: string | null,
 *   lastEvaluationTime: string | null, triggers: RowTrigger[], sparkline: number[] }} Row
 * @typedef {{ index: number, pid?: number, state: string, restarts: number,
 *   lastExit?: { code: number | null, signal?: string | null, error?: string }, nextStartAt?: string }} Worker
 * @typedef {{ namespace: string, name: string, replicas: number, workers: Worker[], events: RuntimeEvent[],
 *   stderr: { at: string, worker: number, line: string }[] }} Pool
 * @typedef {{ at: number, target: number, activationTarget: number }} Threshold
 * @typedef {{ t: number[], replicas: number[], desiredReplicas: number[], active: boolean[], fallback: boolean[],
 *   values: (number | null)[][], coarseMs: number, coarseUntil: number,
 *   triggers: { name: string, type: string, metricName: string, thresholds: Threshold[] }[] }} History
 * @typedef {{ of: { kind: "desiredReplicas" } | { kind: "metric", metricName: string }, madeAt: number,
 *   horizonSeconds?: number, served?: boolean, points: { at: number, value: number }[] }} Forecast
 * @typedef {{ row: Row, history: History | null, forecast: Forecast[], events: RuntimeEvent[],
 *   clusterEvents: RuntimeEvent[], explain: string | null, pool: Pool | null }} Detail
 * @typedef {{ title: string, now: string, objects: Row[], pools: Pool[], events: RuntimeEvent[] }} Overview
 */

const API = new URL("../api/v1/dashboard/", location.href);
const RANGES = /** @type {const} */ ([
  ["5m", "5 min", 5 * 60],
  ["15m", "15 min", 15 * 60],
  ["1h", "1 hour", 60 * 60],
  ["3h", "3 hours", 3 * 60 * 60],
  ["all", "All kept", 0],
]);
/** "All kept" shows at least this much, so a young history is not stretched across the chart. */
const MIN_SPAN_SECONDS = 60;
/** Rows drawn at once in the overview; the filter finds the others. */
const MAX_ROWS = 500;
/** Points the object view keeps (the server keeps the same window). */
const MAX_POINTS = 4000;
const MAX_EVENTS = 50;

const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const connection = /** @type {HTMLElement} */ (document.getElementById("connection"));
const titleElement = /** @type {HTMLElement} */ (document.getElementById("title"));
const themeButton = /** @type {HTMLButtonElement} */ (document.getElementById("theme"));

const state = {
  /** @type {EventSource | undefined} */
  stream: undefined,
  /** @type {Map<string, Row>} */
  rows: new Map(),
  /** @type {Pool[]} */
  pools: [],
  /** @type {RuntimeEvent[]} */
  events: [],
  filter: "",
  /** @type {Detail | undefined} */
  detail: undefined,
  /** @type {string | undefined} */
  objectKey: undefined,
  range: localStorage.getItem("tidal.range") ?? "all",
  /** @type {TimeChart[]} */
  charts: [],
};

/** For the browser's console (and the page's tests): what the charts show. */
Object.assign(window, {
  tidalDashboard: {
    charts: () =>
      state.charts.map((chart) => ({
        labels: chart.options.lines.map((line) => line.label),
        data: chart.data.map((column) => Array.from(column)),
      })),
  },
});

// ---------------------------------------------------------------------------------------------
// Theme: the system's by default; the button chooses light or dark and remembers it.

function applyTheme() {
  const chosen = localStorage.getItem("tidal.theme");
  if (chosen === "light" || chosen === "dark") document.documentElement.dataset.theme = chosen;
  else delete document.documentElement.dataset.theme;
  const dark =
    chosen === "dark" || (chosen !== "light" && matchMedia("(prefers-color-scheme: dark)").matches);
  themeButton.textContent = dark ? "Light theme" : "Dark theme";
  for (const chart of state.charts) chart.restyle();
}
themeButton.addEventListener("click", () => {
  const dark =
    document.documentElement.dataset.theme === "dark" ||
    (document.documentElement.dataset.theme !== "light" &&
      matchMedia("(prefers-color-scheme: dark)").matches);
  localStorage.setItem("tidal.theme", dark ? "light" : "dark");
  applyTheme();
});
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", applyTheme);

// ---------------------------------------------------------------------------------------------
// Routing: #/ is the overview, #/object/KIND/NAMESPACE/NAME one object.

/** @param {string} key */
const objectHref = (key) => `#/object/${key.split("/").map(encodeURIComponent).join("/")}`;

function route() {
  state.stream?.close();
  for (const chart of state.charts) chart.destroy();
  state.charts = [];
  state.detail = undefined;
  const match = /^#\/object\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(location.hash);
  state.objectKey = match ? match.slice(1).map(decodeURIComponent).join("/") : undefined;
  main.replaceChildren(h("p", { class: "muted loading" }, "Loading…"));
  const url = new URL("stream", API);
  if (state.objectKey) url.searchParams.set("object", state.objectKey);
  const stream = new EventSource(url);
  state.stream = stream;
  stream.addEventListener("open", () => setConnection("live"));
  stream.addEventListener("error", () =>
    setConnection(stream.readyState === EventSource.CLOSED ? "closed" : "reconnecting"),
  );
  on(stream, "overview", (/** @type {Overview} */ overview) => {
    titleElement.textContent = overview.title;
    state.rows = new Map(overview.objects.map((row) => [row.key, row]));
    state.pools = overview.pools;
    state.events = overview.events;
    renderOverview();
  });
  on(stream, "rows", (/** @type {Row[]} */ rows) => {
    for (const row of rows) state.rows.set(row.key, row);
    renderRows();
  });
  on(stream, "pools", (/** @type {Pool[]} */ pools) => {
    state.pools = pools;
    renderPools();
    // A row's chips tell when its pool's workers are in back-off.
    renderRows();
  });
  on(stream, "events", (/** @type {RuntimeEvent[]} */ events) => {
    if (state.objectKey) return objectEvents(events);
    state.events = [...state.events, ...events].slice(-MAX_EVENTS);
    renderEventFeed();
  });
  on(stream, "object", (/** @type {Detail & { title: string }} */ detail) => {
    titleElement.textContent = detail.title;
    state.detail = detail;
    renderObject();
  });
  on(
    stream,
    "points",
    (/** @type {Omit<Detail, "events" | "clusterEvents"> & { clusterEvents?: RuntimeEvent[] }} */ update) =>
      objectPoints(update),
  );
  on(stream, "missing", () => {
    main.replaceChildren(
      h(
        "section",
        { class: "panel" },
        h("h1", {}, "Not found"),
        h(
          "p",
          {},
          `No object ${state.objectKey ?? ""} in this runtime. `,
          h("a", { href: "#/" }, "Back to all objects"),
        ),
      ),
    );
  });
}

/**
 * @param {EventSource} stream
 * @param {string} name
 * @param {(data: any) => void} handler
 */
function on(stream, name, handler) {
  stream.addEventListener(name, (event) => handler(JSON.parse(/** @type {MessageEvent} */ (event).data)));
}

/** @param {"live" | "reconnecting" | "closed"} status */
function setConnection(status) {
  connection.dataset.status = status;
  connection.textContent =
    status === "live" ? "Live" : status === "reconnecting" ? "Reconnecting…" : "Disconnected";
}

// ---------------------------------------------------------------------------------------------
// Overview

function renderOverview() {
  const filter = h("input", {
    type: "search",
    placeholder: "Filter objects",
    "aria-label": "Filter objects",
    value: state.filter,
    oninput: (event) => {
      state.filter = /** @type {HTMLInputElement} */ (event.target).value;
      renderRows();
    },
  });
  main.replaceChildren(
    h(
      "section",
      { class: "panel", "aria-labelledby": "objects-title" },
      h(
        "div",
        { class: "panel-head" },
        h(
          "h1",
          { id: "objects-title" },
          "Scaled objects ",
          h("span", { class: "count", id: "object-count" }),
        ),
        filter,
      ),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "objects" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, "Object"),
              h("th", { scope: "col" }, "Target"),
              h("th", { scope: "col", class: "num" }, "Replicas"),
              h("th", { scope: "col" }, "Replicas, last hours"),
              h("th", { scope: "col" }, "State"),
              h("th", { scope: "col" }, "Triggers (value / target)"),
              h("th", { scope: "col" }, "Last error"),
            ),
          ),
          h("tbody", { id: "object-rows" }),
        ),
      ),
    ),
    h("section", { class: "panel", id: "pools", "aria-labelledby": "pools-title" }),
    h(
      "section",
      { class: "panel", "aria-labelledby": "feed-title" },
      h("h2", { id: "feed-title" }, "Recent events"),
      h("ol", { class: "events", id: "event-feed", reversed: true }),
    ),
  );
  renderRows();
  renderPools();
  renderEventFeed();
}

function renderRows() {
  const body = document.getElementById("object-rows");
  if (!body) return;
  const needle = state.filter.trim().toLowerCase();
  const all = [...state.rows.values()].sort((a, b) =>
    a.namespace === b.namespace ? a.name.localeCompare(b.name) : a.namespace.localeCompare(b.namespace),
  );
  const matching = needle
    ? all.filter((row) =>
        `${row.kind} ${row.namespace}/${row.name} ${row.target.kind}/${row.target.name}`
          .toLowerCase()
          .includes(needle),
      )
    : all;
  const count = document.getElementById("object-count");
  if (count)
    count.textContent =
      matching.length === all.length ? `(${all.length})` : `(${matching.length} of ${all.length})`;
  body.replaceChildren(
    ...matching.slice(0, MAX_ROWS).map(objectRow),
    ...(all.length === 0
      ? [
          h(
            "tr",
            {},
            h("td", { colspan: 7, class: "muted" }, "No ScaledObjects, ScaledJobs or HTTPScaledObjects yet."),
          ),
        ]
      : []),
    ...(matching.length > MAX_ROWS
      ? [
          h(
            "tr",
            {},
            h("td", { colspan: 7, class: "muted" }, `${matching.length - MAX_ROWS} more: narrow the filter.`),
          ),
        ]
      : []),
  );
}

/** @param {Row} row */
function objectRow(row) {
  return h(
    "tr",
    { "data-key": row.key, class: row.lastError ? "has-error" : undefined },
    h(
      "td",
      {},
      h("span", { class: "kind" }, row.kind),
      " ",
      h("a", { href: objectHref(row.key), class: "object-link" }, row.name),
      h("div", { class: "muted small" }, row.namespace),
    ),
    h("td", {}, `${row.target.kind}/${row.target.name}`),
    h(
      "td",
      { class: "num" },
      replicaText(row),
      h("div", { class: "muted small" }, `min ${row.minReplicas} · max ${row.maxReplicas}`),
    ),
    h("td", {}, sparkline(row.sparkline)),
    h("td", {}, chips(row)),
    h(
      "td",
      {},
      ...row.triggers.map((trigger) =>
        h(
          "div",
          { class: trigger.error ? "error-text" : undefined },
          h("span", { class: "metric" }, trigger.name || trigger.metricName),
          " ",
          trigger.error ? "error" : `${formatNumber(trigger.value)} / ${formatNumber(trigger.target)}`,
        ),
      ),
    ),
    h(
      "td",
      { class: "error-cell" },
      row.lastError ? h("span", { class: "error-text" }, row.lastError) : h("span", { class: "muted" }, "–"),
    ),
  );
}

/** @param {Row} row */
function replicaText(row) {
  return row.replicas === row.desiredReplicas
    ? String(row.replicas)
    : `${row.replicas} → ${row.desiredReplicas}`;
}

/** @param {Row} row */
function chips(row) {
  return h(
    "span",
    { class: "chips" },
    row.active
      ? h("span", { class: "chip chip-active" }, "Active")
      : h("span", { class: "chip", title: "no trigger is active" }, "Inactive"),
    !row.ready && h("span", { class: "chip chip-warning" }, "Not ready"),
    row.fallback && h("span", { class: "chip chip-warning" }, "Fallback"),
    row.paused && h("span", { class: "chip chip-paused" }, "Paused"),
    workersInBackoff(row) > 0 &&
      h(
        "span",
        { class: "chip chip-warning", title: "workers of its ProcessPool fail and wait to start again" },
        "Workers in back-off",
      ),
  );
}

/**
 * Workers of the row's ProcessPool (tidal run) that failed and wait to start again.
 * @param {Row} row
 */
function workersInBackoff(row) {
  if (row.target.kind !== "ProcessPool") return 0;
  /** @param {Pool | null | undefined} pool */
  const matches = (pool) => pool?.name === row.target.name && pool.namespace === row.namespace;
  const pool =
    state.detail?.row.key === row.key && matches(state.detail.pool)
      ? state.detail.pool
      : state.pools.find(matches);
  return pool?.workers.filter((worker) => worker.state === "backoff").length ?? 0;
}

/** @param {number[]} counts */
function sparkline(counts) {
  const width = 120;
  const height = 28;
  if (counts.length === 0) return h("span", { class: "muted small" }, "no points yet");
  const top = Math.max(1, ...counts);
  const step = counts.length > 1 ? width / (counts.length - 1) : width;
  // Steps, as replica counts change: across, then up or down.
  let path = "";
  counts.forEach((count, index) => {
    const x = (index * step).toFixed(1);
    const y = (height - 2 - (count / top) * (height - 4)).toFixed(1);
    path += index === 0 ? `M${x} ${y}` : `H${x} V${y}`;
  });
  if (counts.length === 1) path += ` H${width}`;
  return svg(
    "svg",
    {
      class: "sparkline",
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-label": `Replicas over the kept history: now ${counts.at(-1)}, at most ${Math.max(...counts)}`,
    },
    svg("path", {
      d: path,
      fill: "none",
      stroke: "currentColor",
      "stroke-width": 1.5,
      "vector-effect": "non-scaling-stroke",
    }),
  );
}

function renderPools() {
  const section = document.getElementById("pools");
  if (!section) return;
  section.hidden = state.pools.length === 0;
  section.replaceChildren(
    h("h2", { id: "pools-title" }, "ProcessPools"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "pools" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Pool"),
            h("th", { scope: "col", class: "num" }, "Workers"),
            h("th", { scope: "col" }, "States"),
            h("th", { scope: "col", class: "num" }, "Restarts"),
            h("th", { scope: "col" }, "Back-off"),
            h("th", { scope: "col" }, "Last stderr lines"),
          ),
        ),
        h("tbody", {}, ...state.pools.map(poolRow)),
      ),
    ),
  );
}

/** @param {Pool} pool */
function poolRow(pool) {
  const states = new Map();
  for (const worker of pool.workers) states.set(worker.state, (states.get(worker.state) ?? 0) + 1);
  const backoff = pool.workers.filter((worker) => worker.state === "backoff");
  return h(
    "tr",
    { "data-pool": `${pool.namespace}/${pool.name}` },
    h("td", {}, pool.name, h("div", { class: "muted small" }, pool.namespace)),
    h("td", { class: "num" }, String(pool.replicas)),
    h(
      "td",
      {},
      states.size === 0
        ? h("span", { class: "muted" }, "none")
        : [...states].map(([name, count]) => h("span", { class: `chip state-${name}` }, `${count} ${name}`)),
    ),
    h("td", { class: "num" }, String(pool.workers.reduce((sum, worker) => sum + worker.restarts, 0))),
    h(
      "td",
      {},
      backoff.length === 0
        ? h("span", { class: "muted" }, "–")
        : backoff.map((worker) =>
            h(
              "div",
              {},
              `worker ${worker.index} until ${worker.nextStartAt ? clock(worker.nextStartAt) : "?"}`,
            ),
          ),
    ),
    h("td", {}, stderrBlock(pool, 3)),
  );
}

/**
 * @param {Pool} pool
 * @param {number} lines
 */
function stderrBlock(pool, lines) {
  if (pool.stderr.length === 0) return h("span", { class: "muted" }, "none");
  return h(
    "pre",
    { class: "stderr" },
    pool.stderr
      .slice(-lines)
      .map((entry) => `${clock(entry.at)} [${entry.worker}] ${entry.line}`)
      .join("\n"),
  );
}

function renderEventFeed() {
  const list = document.getElementById("event-feed");
  if (!list) return;
  list.replaceChildren(
    ...(state.events.length === 0 ? [h("li", { class: "muted" }, "No events yet.")] : []),
    ...[...state.events].reverse().map((event) => eventItem(event, true)),
  );
}

/**
 * @param {RuntimeEvent} event
 * @param {boolean} withObject
 */
function eventItem(event, withObject) {
  const objectKey =
    event.kind === "ScaledObject" || event.kind === "ScaledJob"
      ? `${event.kind}/${event.namespace}/${event.name}`
      : undefined;
  return h(
    "li",
    { class: `event event-${event.type.toLowerCase()}`, "data-reason": event.reason },
    h("time", { datetime: event.at }, clock(event.at)),
    withObject &&
      (objectKey
        ? h(
            "a",
            { href: objectHref(objectKey), class: "event-object" },
            // As the overview lists it: an HTTPScaledObject's loop records as its ScaledObject.
            `${state.rows.get(objectKey)?.kind ?? event.kind}/${event.name}`,
          )
        : h("span", { class: "event-object" }, `${event.kind}/${event.name}`)),
    h("span", { class: "reason" }, event.reason),
    event.source && h("span", { class: "chip" }, event.source),
    h("span", { class: "message" }, event.message),
  );
}

// ---------------------------------------------------------------------------------------------
// One object

function renderObject() {
  const detail = state.detail;
  if (!detail) return;
  const { row } = detail;
  for (const chart of state.charts) chart.destroy();
  state.charts = [];
  const charts = h("div", { class: "charts" });
  main.replaceChildren(
    h(
      "nav",
      { class: "crumbs", "aria-label": "Breadcrumb" },
      h("a", { href: "#/" }, "All objects"),
      " / ",
      row.name,
    ),
    h(
      "section",
      { class: "panel object-head", "aria-labelledby": "object-title" },
      h(
        "div",
        { class: "panel-head" },
        h(
          "h1",
          { id: "object-title" },
          h("span", { class: "kind" }, row.kind),
          " ",
          row.name,
          " ",
          h("span", { class: "muted ns" }, `in namespace ${row.namespace}`),
        ),
        h("span", { id: "object-chips" }, chips(row)),
      ),
      h("dl", { class: "figures", id: "object-figures" }),
      h("p", { class: "muted", id: "object-error" }),
    ),
    h(
      "section",
      { class: "panel", "aria-labelledby": "history-title" },
      h(
        "div",
        { class: "panel-head" },
        h("h2", { id: "history-title" }, "History"),
        h(
          "div",
          { class: "range", role: "group", "aria-label": "Time range" },
          ...RANGES.map(([id, label]) =>
            h(
              "button",
              {
                type: "button",
                "data-range": id,
                "aria-pressed": String(state.range === id),
                onclick: () => {
                  state.range = id;
                  localStorage.setItem("tidal.range", id);
                  updateRangeButtons();
                  updateCharts();
                },
              },
              label,
            ),
          ),
        ),
      ),
      h(
        "p",
        { class: "legend-note muted small" },
        "Lines: solid = measured, dashed = target or desired, dotted = activation threshold, dotted green = forecast (each poll's prediction, drawn at the time it is for: a horizon ahead). Flags on the time axis: events (solid = warning).",
      ),
      charts,
    ),
    h(
      "section",
      { class: "panel", "aria-labelledby": "explain-title" },
      h("h2", { id: "explain-title" }, "Last decision"),
      h("pre", { id: "explain", class: "explain" }),
    ),
    h(
      "section",
      { class: "panel", "aria-labelledby": "events-title" },
      h("h2", { id: "events-title" }, "Events"),
      h("ol", { class: "events", id: "object-events", reversed: true }),
    ),
    h("section", { class: "panel", id: "object-pool", "aria-labelledby": "object-pool-title" }),
  );
  const markers = () => [...(state.detail?.events ?? []), ...(state.detail?.clusterEvents ?? [])];
  const replicaFigure = h(
    "figure",
    { class: "chart" },
    h("figcaption", {}, row.kind === "ScaledJob" ? "Running jobs" : "Replicas"),
    h("div", { class: "plot", "data-chart": "replicas" }),
  );
  charts.append(replicaFigure);
  state.charts.push(
    new TimeChart(/** @type {HTMLElement} */ (replicaFigure.lastChild), {
      yLabel: row.kind === "ScaledJob" ? "jobs" : "replicas",
      integer: true,
      markers,
      lines: [
        { label: "replicas", color: "primary", stepped: true, width: 2.5 },
        { label: "desired", color: "secondary", stepped: true, dash: [6, 4] },
        ...(forecastFor({ kind: "desiredReplicas" })
          ? [{ label: "forecast", color: "forecast", dash: [2, 4] }]
          : []),
      ],
    }),
  );
  (detail.history?.triggers ?? []).forEach((trigger, index) => {
    const forecast = forecastFor({ kind: "metric", metricName: trigger.metricName });
    const figure = h(
      "figure",
      { class: "chart" },
      h(
        "figcaption",
        {},
        h("span", { class: "metric" }, trigger.metricName),
        " ",
        h(
          "span",
          { class: "muted" },
          `(${trigger.type}${trigger.name && trigger.name !== trigger.type ? `, ${trigger.name}` : ""}): value against target and activation threshold${forecast ? `, and its forecast${forecast.horizonSeconds ? ` ${horizonText(forecast.horizonSeconds)} ahead` : ""}` : ""}`,
        ),
      ),
      h("div", { class: "plot", "data-chart": `trigger-${index}` }),
    );
    charts.append(figure);
    state.charts.push(
      new TimeChart(/** @type {HTMLElement} */ (figure.lastChild), {
        yLabel: "value",
        markers,
        lines: [
          { label: "value", color: "primary", width: 2.5 },
          { label: "target", color: "threshold", dash: [6, 4], stepped: true },
          { label: "activation", color: "muted", dash: [2, 3], stepped: true },
          ...(forecast ? [{ label: "forecast", color: "forecast", dash: [2, 4], width: 2.5 }] : []),
        ],
      }),
    );
  });
  if (!detail.history)
    charts.append(
      h("p", { class: "muted" }, "No evaluation yet: the first points appear after the first poll."),
    );
  updateObjectParts();
  updateCharts();
}

function updateRangeButtons() {
  for (const button of document.querySelectorAll("[data-range]"))
    button.setAttribute("aria-pressed", String(button.getAttribute("data-range") === state.range));
}

/** A forecast's horizon as people say it ("10 min", "90 s", "2 h"). @param {number} seconds */
function horizonText(seconds) {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Which lines have a forecast: the object view is drawn again when that changes. @param {Forecast[]} forecasts */
function forecastLines(forecasts) {
  return forecasts
    .map((forecast) =>
      forecast.of.kind === "metric" ? `metric:${forecast.of.metricName}` : forecast.of.kind,
    )
    .sort()
    .join("\n");
}

/** @param {Forecast["of"]} of */
function forecastFor(of) {
  return state.detail?.forecast.find(
    (forecast) =>
      forecast.of.kind === of.kind &&
      (of.kind !== "metric" || (forecast.of.kind === "metric" && forecast.of.metricName === of.metricName)),
  );
}

/** Figures, chips, events, decision and pool of the object view, from state.detail. */
function updateObjectParts() {
  const detail = state.detail;
  if (!detail) return;
  const { row } = detail;
  const figures = document.getElementById("object-figures");
  figures?.replaceChildren(
    // A ScaledJob's "replicas" are its running Jobs (KEDA's ScaledJob status counts them so).
    figure(row.kind === "ScaledJob" ? "Running jobs" : "Replicas", String(row.replicas), "replicas"),
    figure("Desired", String(row.desiredReplicas), "desired"),
    figure("Min / max", `${row.minReplicas} / ${row.maxReplicas}`),
    figure("Target", `${row.target.kind}/${row.target.name}`),
    ...row.triggers.map((trigger) =>
      figure(
        trigger.name || trigger.metricName,
        trigger.error ? "error" : `${formatNumber(trigger.value)} / ${formatNumber(trigger.target)}`,
      ),
    ),
    figure(
      "Last evaluation",
      row.lastEvaluationTime
        ? `${clock(row.lastEvaluationTime)} (${ago(row.lastEvaluationTime)})`
        : "not yet",
    ),
  );
  document.getElementById("object-chips")?.replaceChildren(chips(row));
  const error = document.getElementById("object-error");
  if (error) {
    error.textContent = row.lastError ?? "";
    error.className = row.lastError ? "error-text" : "muted";
  }
  const explain = document.getElementById("explain");
  if (explain) explain.textContent = detail.explain ?? "No decision yet.";
  const events = document.getElementById("object-events");
  if (events) {
    const all = [
      ...detail.events.map((event) => ({ ...event, source: "Tidal" })),
      ...detail.clusterEvents.map((event) => ({ ...event, source: "Kubernetes" })),
    ].sort((a, b) => b.at.localeCompare(a.at));
    events.replaceChildren(
      ...(all.length === 0
        ? [h("li", { class: "muted" }, "No events yet.")]
        : all.map((event) => eventItem(event, event.kind !== "ScaledObject" && event.kind !== "ScaledJob"))),
    );
  }
  const pool = document.getElementById("object-pool");
  if (pool) {
    pool.hidden = !detail.pool;
    if (detail.pool) {
      pool.replaceChildren(
        h("h2", { id: "object-pool-title" }, `ProcessPool ${detail.pool.name}`),
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "workers" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ...["Worker", "PID", "State", "Restarts", "Last exit", "Starts again"].map((name) =>
                  h("th", { scope: "col" }, name),
                ),
              ),
            ),
            h(
              "tbody",
              {},
              ...(detail.pool.workers.length === 0
                ? [h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No workers: the pool is at zero."))]
                : detail.pool.workers.map((worker) =>
                    h(
                      "tr",
                      {},
                      h("td", {}, String(worker.index)),
                      h("td", {}, worker.pid === undefined ? "–" : String(worker.pid)),
                      h("td", {}, h("span", { class: `chip state-${worker.state}` }, worker.state)),
                      h("td", { class: "num" }, String(worker.restarts)),
                      h(
                        "td",
                        {},
                        worker.lastExit
                          ? (worker.lastExit.error ??
                              (worker.lastExit.signal
                                ? `signal ${worker.lastExit.signal}`
                                : `code ${worker.lastExit.code}`))
                          : "–",
                      ),
                      h("td", {}, worker.nextStartAt ? clock(worker.nextStartAt) : "–"),
                    ),
                  )),
            ),
          ),
        ),
        h("h3", {}, "Last stderr lines"),
        stderrBlock(detail.pool, 20),
      );
    }
  }
}

/**
 * @param {string} label
 * @param {string} value
 * @param {string} [id]
 */
function figure(label, value, id) {
  return h("div", {}, h("dt", {}, label), h("dd", id ? { "data-figure": id } : {}, value));
}

/**
 * @param {Omit<Detail, "events" | "clusterEvents"> & { clusterEvents?: RuntimeEvent[] }} update
 */
function objectPoints(update) {
  const detail = state.detail;
  if (!detail) return;
  detail.row = update.row;
  detail.explain = update.explain;
  detail.pool = update.pool;
  const newLines = forecastLines(update.forecast) !== forecastLines(detail.forecast);
  detail.forecast = update.forecast;
  if (update.clusterEvents) detail.clusterEvents = update.clusterEvents;
  const added = update.history;
  if (added && (!detail.history || added.triggers.length !== detail.history.triggers.length)) {
    // New triggers: start over with the server's whole history.
    detail.history = added;
    renderObject();
    return;
  }
  if (added && detail.history) {
    const history = detail.history;
    const last = history.t.at(-1) ?? -Infinity;
    added.t.forEach((t, index) => {
      if (t <= last) return;
      history.t.push(t);
      history.replicas.push(/** @type {number} */ (added.replicas[index]));
      history.desiredReplicas.push(/** @type {number} */ (added.desiredReplicas[index]));
      history.active.push(/** @type {boolean} */ (added.active[index]));
      history.fallback.push(/** @type {boolean} */ (added.fallback[index]));
      added.values.forEach((column, trigger) => history.values[trigger]?.push(column[index] ?? null));
    });
    history.triggers = added.triggers;
    const excess = history.t.length - MAX_POINTS;
    if (excess > 0) {
      for (const column of [
        history.t,
        history.replicas,
        history.desiredReplicas,
        history.active,
        history.fallback,
        ...history.values,
      ])
        column.splice(0, excess);
    }
  }
  // A forecast that appeared (or went): its line is added to the chart.
  if (newLines) {
    renderObject();
    return;
  }
  updateObjectParts();
  updateCharts();
}

/** @param {RuntimeEvent[]} events */
function objectEvents(events) {
  const detail = state.detail;
  if (!detail) return;
  const { ref, target } = { ref: parseKey(detail.row.key), target: detail.row.target };
  const mine = events.filter(
    (event) =>
      (event.kind === ref.kind && event.namespace === ref.namespace && event.name === ref.name) ||
      (target.kind === "ProcessPool" &&
        event.kind === "ProcessPool" &&
        event.namespace === ref.namespace &&
        event.name === target.name),
  );
  if (mine.length === 0) return;
  detail.events = [...detail.events, ...mine].slice(-2 * MAX_EVENTS);
  updateObjectParts();
  for (const chart of state.charts) chart.chart.redraw(false, false);
}

/** @param {string} key */
function parseKey(key) {
  const [kind = "", namespace = "", ...name] = key.split("/");
  return { kind, namespace, name: name.join("/") };
}

/** The threshold of a trigger in effect at `t`. @param {Threshold[]} thresholds @param {number} t */
function thresholdAt(thresholds, t) {
  let found = thresholds[0];
  for (const threshold of thresholds) if (threshold.at <= t) found = threshold;
  return found;
}

function updateCharts() {
  const history = state.detail?.history;
  if (!history || state.charts.length === 0) return;
  const seconds = history.t.map((t) => t / 1000);
  const span = RANGES.find(([id]) => id === state.range)?.[2] ?? 0;
  const forecasts = state.detail?.forecast ?? [];
  const forecastEnd = Math.max(
    0,
    ...forecasts.flatMap((forecast) => forecast.points.map((point) => point.at / 1000)),
  );
  const now = Math.max(Date.now() / 1000, seconds.at(-1) ?? 0);
  const first = seconds[0] ?? now;
  const range = {
    min: span === 0 ? Math.min(first, now - MIN_SPAN_SECONDS) : now - span,
    max: Math.max(now, forecastEnd),
  };
  /**
   * One time column for the measured points and the forecast's (which run a horizon ahead of
   * them), merged in order. Measured columns hold their values at their times, thresholds hold at
   * every time (so the target runs on under the forecast), and the forecast its own points;
   * `undefined` where a line has no point at a time (uPlot draws across it), while a measured
   * null (no reading) stays a gap.
   * @param {(number | null)[][]} measured columns over the measured times
   * @param {((t: number) => number | null)[]} thresholds values at any time (ms)
   * @param {Forecast | undefined} forecast
   * @returns {import("./vendor/uPlot.esm.js").default.AlignedData}
   */
  const aligned = (measured, thresholds, forecast) => {
    const ahead = (forecast?.points ?? []).map((point) => point.at / 1000).sort((a, b) => a - b);
    const values = new Map((forecast?.points ?? []).map((point) => [point.at / 1000, point.value]));
    /** @type {number[]} */
    const xs = [];
    /** @type {number[]} */
    const fromMeasured = [];
    for (let index = 0, next = 0; index < seconds.length || next < ahead.length;) {
      const a = seconds[index] ?? Infinity;
      const b = ahead[next] ?? Infinity;
      const x = Math.min(a, b);
      xs.push(x);
      fromMeasured.push(a === x ? index++ : -1);
      if (b === x) next++;
    }
    return [
      xs,
      ...measured.map((column) =>
        fromMeasured.map((index) => (index < 0 ? undefined : (column[index] ?? null))),
      ),
      ...thresholds.map((at) => xs.map((x) => at(x * 1000))),
      ...(forecast ? [xs.map((x) => values.get(x))] : []),
    ];
  };
  const coarseUntil = history.coarseUntil / 1000;
  const [replicaChart, ...triggerCharts] = state.charts;
  replicaChart?.setData(
    aligned([history.replicas, history.desiredReplicas], [], forecastFor({ kind: "desiredReplicas" })),
    range,
    coarseUntil,
  );
  triggerCharts.forEach((chart, index) => {
    const trigger = history.triggers[index];
    if (!trigger) return;
    const values = history.values[index] ?? [];
    chart.setData(
      aligned(
        [values],
        [
          (t) => thresholdAt(trigger.thresholds, t)?.target ?? null,
          (t) => thresholdAt(trigger.thresholds, t)?.activationTarget ?? null,
        ],
        forecastFor({ kind: "metric", metricName: trigger.metricName }),
      ),
      range,
      coarseUntil,
    );
  });
}

// ---------------------------------------------------------------------------------------------

applyTheme();
setConnection("reconnecting");
connection.textContent = "Connecting…";
addEventListener("hashchange", route);
// Relative times ("12 s ago") age between updates.
setInterval(() => state.objectKey && updateObjectParts(), 5000);
route();
