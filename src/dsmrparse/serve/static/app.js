// The logger's pages. They read only the public API: the firmware-compatible /api/v1 and the
// push channel /api/v2/events; so they are also a live test of both.
import { barChart, lineChart } from "./chart.js";

const $ = (sel, root = document) => root.querySelector(sel);
const PAGES = ["now", "hours", "days", "months", "fields", "telegram", "system", "settings"];
const ROLLING_SPAN = 600; // seconds of power kept for the "last minutes" chart

const state = {
  page: "now",
  actual: {}, // firmware name -> {value, unit}
  telegram: null, // the interchange form of the last telegram
  settings: {}, // firmware setting name -> value
  settingRows: [],
  rolling: [], // [epochSeconds, importKw, exportKw]
  dayBase: null, // the days record before today: registers at the end of yesterday
  token: sessionStorage.getItem("dsmrparse-token") || "",
  periods: {}, // period page -> {from, to}
};

// ---- talking to the server -------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, text) {
    super(`${status}: ${text}`);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json, text/plain", ...(options.headers || {}) };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (state.token && options.method && options.method !== "GET") headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { ...options, headers });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const message = typeof body === "object" && body ? body.error || body.message || JSON.stringify(body) : body;
    throw new ApiError(response.status, String(message).slice(0, 300));
  }
  return body;
}

// The firmware wraps every list in one key: {"actual": [{name, value, unit}, ...]}.
function rowsOf(doc) {
  if (Array.isArray(doc)) return doc;
  if (doc && typeof doc === "object") {
    const lists = Object.values(doc).filter(Array.isArray);
    if (lists.length === 1) return lists[0];
  }
  return [];
}

function byName(doc) {
  const out = {};
  for (const row of rowsOf(doc)) if (row && row.name !== undefined) out[row.name] = row;
  return out;
}

function showError(err) {
  const box = $("#error");
  if (!err) {
    box.hidden = true;
    return;
  }
  box.textContent = err instanceof ApiError ? `The server answered ${err.message}` : `No answer from the server (${err.message || err})`;
  box.hidden = false;
}

function guard(promise) {
  return promise.then(() => showError(null), showError);
}

// ---- formatting ------------------------------------------------------------------------------

function num(value) {
  const n = typeof value === "number" ? value : parseFloat(value);
  return Number.isFinite(n) ? n : null;
}

function fixed(value, digits) {
  const n = num(value);
  return n === null ? "\u2013" : n.toFixed(digits);
}

function setValue(id, value, digits) {
  const node = document.getElementById(id);
  node.textContent = fixed(value, digits);
  node.dataset.value = num(value) === null ? "" : String(num(value));
}

function text(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function cell(tr, value, tag = "td") {
  const td = document.createElement(tag);
  td.textContent = text(value);
  tr.appendChild(td);
  return td;
}

// ---- the Now page ----------------------------------------------------------------------------

const REGISTERS = ["energy_delivered_tariff1", "energy_delivered_tariff2", "energy_returned_tariff1", "energy_returned_tariff2", "gas_delivered"];

function value(name) {
  const row = state.actual[name];
  return row ? num(row.value) : null;
}

function renderNow() {
  const imp = value("power_delivered");
  const exp = value("power_returned");
  setValue("now-power-import", imp, 3);
  setValue("now-power-export", exp, 3);
  setValue("now-power-net", imp === null ? null : imp - (exp || 0), 3);
  const tariff = state.telegram && (state.telegram.objects || []).find((o) => o.name === "tariff_indicator");
  $("#now-tariff").textContent = tariff ? text(tariff.value) : "\u2013";
  $("#now-stamp").textContent = stampText();
  for (const tr of document.querySelectorAll("#phases tbody tr")) {
    [1, 2, 3].forEach((phase, i) => {
      const v = value(`${tr.dataset.key}_l${phase}`);
      tr.cells[i + 1].textContent = v === null ? "\u2013" : v.toFixed(tr.dataset.key === "voltage" ? 1 : tr.dataset.key === "current" ? 0 : 3);
    });
  }
  renderToday();
  renderRolling();
}

// The meter's time: the interchange form's ISO timestamp, else the firmware's YYMMDDhhmmssX text.
function stampText() {
  const iso = state.telegram && state.telegram.timestamp;
  if (iso) return String(iso).replace("T", " ").slice(0, 19);
  const raw = state.actual.timestamp ? String(state.actual.timestamp.value) : "";
  const m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)/.exec(raw);
  return m ? `20${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}` : raw;
}

function renderToday() {
  const base = state.dayBase;
  const live = Object.fromEntries(REGISTERS.map((r) => [r, value(r)]));
  if (!base || live.energy_delivered_tariff1 === null) {
    $("#today-note").textContent = base ? "" : "(needs yesterday's reading in the history)";
    return;
  }
  const use = {
    edt1: live.energy_delivered_tariff1 - base.edt1,
    edt2: live.energy_delivered_tariff2 - base.edt2,
    ert1: live.energy_returned_tariff1 - base.ert1,
    ert2: live.energy_returned_tariff2 - base.ert2,
    gdt: live.gas_delivered === null ? null : live.gas_delivered - base.gdt,
  };
  $("#today-note").textContent = "";
  setValue("today-import", use.edt1 + use.edt2, 3);
  setValue("today-export", use.ert1 + use.ert2, 3);
  setValue("today-gas", use.gdt, 3);
  setValue("today-cost", cost(use, "days"), 2);
}

function renderRolling() {
  if (state.page !== "now") return;
  lineChart($("#rolling"), {
    span: ROLLING_SPAN,
    series: [
      { name: "import kW", cls: "s-imp1", points: state.rolling.map((p) => [p[0], p[1]]) },
      { name: "export kW", cls: "s-exp1", points: state.rolling.map((p) => [p[0], p[2]]) },
    ],
  });
}

async function loadToday() {
  const records = toRecords(await api("/api/v1/hist/days"));
  const today = new Date();
  const before = records.filter((r) => r.date < new Date(today.getFullYear(), today.getMonth(), today.getDate()));
  state.dayBase = before.length ? before[before.length - 1] : null;
  renderToday();
}

// ---- push channel ----------------------------------------------------------------------------

function onTelegram(data) {
  state.actual = byName(data.actual);
  state.telegram = data.telegram || null;
  const now = Date.now() / 1000;
  const imp = value("power_delivered");
  if (imp !== null) state.rolling.push([now, imp, value("power_returned") || 0]);
  while (state.rolling.length && state.rolling[0][0] < now - ROLLING_SPAN) state.rolling.shift();
  renderNow();
  if (state.page === "fields") renderFields();
  if (state.page === "telegram") guard(loadTelegram());
}

function connect() {
  const live = $("#live");
  const source = new EventSource("/api/v2/events");
  source.addEventListener("open", () => {
    live.dataset.state = "live";
    live.textContent = "live";
  });
  source.addEventListener("error", () => {
    live.dataset.state = "reconnecting";
    live.textContent = "reconnecting";
  });
  source.addEventListener("telegram", (event) => {
    try {
      onTelegram(JSON.parse(event.data));
    } catch (err) {
      showError(err);
    }
  });
}

// ---- history pages ---------------------------------------------------------------------------

// recid "YYMMDDHH" -> a local Date (the firmware keys every period by the timestamp's first 8 digits)
function recDate(recid) {
  const s = String(recid);
  const part = (i) => parseInt(s.slice(i, i + 2), 10) || 0;
  return new Date(2000 + part(0), Math.max(0, part(2) - 1), part(4) || 1, part(6));
}

function toRecords(doc) {
  const recs = rowsOf(doc)
    .filter((r) => r && r.recid !== undefined && !/^0+$/.test(String(r.recid)))
    .map((r) => ({
      recid: String(r.recid), date: recDate(r.recid),
      edt1: num(r.edt1) ?? 0, edt2: num(r.edt2) ?? 0, ert1: num(r.ert1) ?? 0, ert2: num(r.ert2) ?? 0, gdt: num(r.gdt) ?? 0,
    }));
  return recs.sort((a, b) => a.date - b.date);
}

const pad = (n) => String(n).padStart(2, "0");
const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

function label(period, d) {
  if (period === "hours") return `${pad(d.getHours())}:00`;
  if (period === "days") return `${pad(d.getDate())}-${pad(d.getMonth() + 1)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
}

function fullLabel(period, d) {
  if (period === "hours") return `${isoDay(d)} ${pad(d.getHours())}:00`;
  if (period === "days") return isoDay(d);
  return label(period, d);
}

// Usage of a period: its registers minus those of the period before (as the firmware's pages
// compute it). A register that went down (a new meter) gives no usage rather than a negative one.
export function usages(records) {
  const out = [];
  for (let i = 1; i < records.length; i++) {
    const a = records[i - 1];
    const b = records[i];
    const use = { recid: b.recid, date: b.date };
    for (const k of ["edt1", "edt2", "ert1", "ert2", "gdt"]) {
      const d = b[k] - a[k];
      use[k] = d >= 0 ? +d.toFixed(3) : null;
    }
    out.push(use);
  }
  return out;
}

// Costs from the tariff settings; the fixed network costs are per month, spread over days and hours.
function cost(use, period) {
  const t = (name) => num(state.settings[name]) ?? 0;
  const variable =
    (use.edt1 ?? 0) * t("ed_tariff1") + (use.edt2 ?? 0) * t("ed_tariff2") -
    (use.ert1 ?? 0) * t("er_tariff1") - (use.ert2 ?? 0) * t("er_tariff2") + (use.gdt ?? 0) * t("gd_tariff");
  const fixedMonth = t("electr_netw_costs") + t("gas_netw_costs");
  const share = period === "months" ? 1 : period === "days" ? 12 / 365 : 12 / 8760;
  return variable + fixedMonth * share;
}

function buildPeriodPage(section) {
  const period = section.dataset.period;
  section.appendChild($("#period-template").content.cloneNode(true));
  $(".period-title", section).textContent = period[0].toUpperCase() + period.slice(1);
  const form = $("form.range", section);
  if (period === "hours") for (const i of form.querySelectorAll("input")) i.type = "datetime-local";
  if (period === "months") for (const i of form.querySelectorAll("input")) i.type = "month";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.periods[period] = { from: form.elements.from.value, to: form.elements.to.value };
    guard(loadPeriod(period));
  });
  form.elements.latest.addEventListener("click", () => {
    form.reset();
    state.periods[period] = {};
    guard(loadPeriod(period));
  });
  section.dataset.built = "1";
}

async function loadPeriod(period) {
  const range = state.periods[period] || {};
  const query = new URLSearchParams();
  if (range.from) query.set("from", range.from);
  if (range.to) query.set("to", range.to);
  const q = query.toString();
  const records = toRecords(await api(`/api/v1/hist/${period}${q ? `?${q}` : ""}`));
  renderPeriod(period, usages(records));
}

function renderPeriod(period, uses) {
  const section = document.getElementById(`page-${period}`);
  let shown = uses;
  let previous = null;
  if (period === "months") {
    // the firmware's month view: the last twelve months beside the same months a year earlier
    const byKey = new Map(uses.map((u) => [`${u.date.getFullYear()}-${u.date.getMonth()}`, u]));
    shown = uses.slice(-12);
    previous = shown.map((u) => byKey.get(`${u.date.getFullYear() - 1}-${u.date.getMonth()}`) || null);
  }
  const labels = shown.map((u) => label(period, u.date));
  const electricity = [
    { name: "import T1", cls: "s-imp1", stack: "import", values: shown.map((u) => u.edt1) },
    { name: "import T2", cls: "s-imp2", stack: "import", values: shown.map((u) => u.edt2) },
    { name: "export T1", cls: "s-exp1", stack: "export", values: shown.map((u) => u.ert1) },
    { name: "export T2", cls: "s-exp2", stack: "export", values: shown.map((u) => u.ert2) },
  ];
  const gas = [{ name: "gas", cls: "s-gas", values: shown.map((u) => u.gdt) }];
  if (previous) {
    const sum = (u) => (u && u.edt1 !== null && u.edt2 !== null ? +(u.edt1 + u.edt2).toFixed(3) : null);
    electricity.push({ name: "import a year earlier", cls: "s-prev", stack: "prev", values: previous.map(sum) });
    gas.push({ name: "a year earlier", cls: "s-prev", values: previous.map((u) => (u ? u.gdt : null)) });
  }
  barChart($(".chart-electricity", section), { labels, series: electricity });
  barChart($(".chart-gas", section), { labels, series: gas, height: 160 });
  renderPeriodTable(section, period, shown, previous);
}

function renderPeriodTable(section, period, shown, previous) {
  const table = $("table.periods", section);
  const head = ["Period", "Import T1", "Import T2", "Export T1", "Export T2", "Gas", "Cost"];
  if (previous) head.push("Import a year earlier", "Gas a year earlier");
  table.tHead.replaceChildren();
  const hr = table.tHead.insertRow();
  for (const h of head) cell(hr, h, "th");
  table.tBodies[0].replaceChildren();
  const total = { edt1: 0, edt2: 0, ert1: 0, ert2: 0, gdt: 0 };
  [...shown].reverse().forEach((u, j) => {
    const tr = table.tBodies[0].insertRow();
    tr.dataset.recid = u.recid;
    cell(tr, fullLabel(period, u.date), "th");
    for (const k of ["edt1", "edt2", "ert1", "ert2", "gdt"]) {
      cell(tr, u[k] === null ? "\u2013" : u[k].toFixed(3)).dataset.key = k;
      total[k] += u[k] ?? 0;
    }
    cell(tr, cost(u, period).toFixed(2));
    if (previous) {
      const p = previous[shown.length - 1 - j];
      cell(tr, p ? (p.edt1 + p.edt2).toFixed(3) : "\u2013");
      cell(tr, p && p.gdt !== null ? p.gdt.toFixed(3) : "\u2013");
    }
  });
  table.tFoot.replaceChildren();
  if (shown.length) {
    const tr = table.tFoot.insertRow();
    cell(tr, "Total", "th");
    for (const k of ["edt1", "edt2", "ert1", "ert2", "gdt"]) cell(tr, total[k].toFixed(3));
    cell(tr, cost(total, period === "months" ? "months" : period).toFixed(2)).title = "fixed costs counted once per period";
    if (previous) {
      cell(tr, "");
      cell(tr, "");
    }
  }
}

// ---- fields, telegram, system ----------------------------------------------------------------

function renderFields() {
  const t = state.telegram;
  const body = $("#fields tbody");
  if (!t) {
    body.replaceChildren();
    const tr = body.insertRow();
    cell(tr, "waiting for the next telegram").colSpan = 4;
    return;
  }
  $("#fields-stamp").textContent = text(t.timestamp || "");
  const filter = $("#fields-filter").value.trim().toLowerCase();
  const rows = [];
  for (const o of t.objects || []) {
    const tr = document.createElement("tr");
    tr.dataset.obis = o.obis;
    cell(tr, o.obis);
    cell(tr, o.name);
    cell(tr, o.value).className = "value";
    cell(tr, o.unit);
    if (filter && !`${o.obis} ${o.name}`.toLowerCase().includes(filter)) tr.hidden = true;
    rows.push(tr);
  }
  for (const dev of t.mbus || []) {
    // MBus devices are listed by channel in the interchange form; their objects carry OBIS codes too
    for (const o of dev.objects || []) {
      if (rows.some((r) => r.dataset.obis === o.obis)) continue;
      const tr = document.createElement("tr");
      tr.dataset.obis = o.obis;
      [o.obis, o.name, o.value, o.unit].forEach((v) => cell(tr, v));
      rows.push(tr);
    }
  }
  body.replaceChildren(...rows);
}

async function loadTelegram() {
  $("#telegram").textContent = await api("/api/v1/sm/telegram");
}

function fillTable(table, doc) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const row of rowsOf(doc)) {
    const tr = body.insertRow();
    tr.dataset.name = row.name;
    cell(tr, row.name, "th");
    cell(tr, row.unit ? `${text(row.value)} ${row.unit}` : row.value);
  }
}

async function loadSystem() {
  const [dev, sm] = await Promise.all([api("/api/v1/dev/info"), api("/api/v1/sm/info")]);
  fillTable($("#system"), dev);
  fillTable($("#sminfo"), sm);
}

// ---- settings --------------------------------------------------------------------------------

const SETTING_LABELS = {
  hostname: "Host name",
  ed_tariff1: "Import tariff 1 (per kWh)",
  ed_tariff2: "Import tariff 2 (per kWh)",
  er_tariff1: "Export tariff 1 (per kWh)",
  er_tariff2: "Export tariff 2 (per kWh)",
  gd_tariff: "Gas tariff (per m\u00b3)",
  electr_netw_costs: "Electricity fixed costs (per month)",
  gas_netw_costs: "Gas fixed costs (per month)",
  tlgrm_interval: "Telegram interval (s)",
  mqtt_broker: "MQTT broker",
  mqtt_broker_port: "MQTT port",
  mqtt_user: "MQTT user",
  mqtt_passwd: "MQTT password",
  mqtt_toptopic: "MQTT top topic",
  mqtt_interval: "MQTT interval (s)",
};

async function loadSettings() {
  const doc = await api("/api/v1/dev/settings");
  state.settingRows = rowsOf(doc);
  state.settings = Object.fromEntries(state.settingRows.map((r) => [r.name, r.value]));
}

function renderSettings() {
  const box = $("#settings-fields");
  box.replaceChildren();
  for (const row of state.settingRows) {
    const div = document.createElement("div");
    div.className = "row";
    const id = `set-${row.name}`;
    const lab = document.createElement("label");
    lab.htmlFor = id;
    lab.textContent = SETTING_LABELS[row.name] || row.name;
    const input = document.createElement("input");
    input.id = id;
    input.name = row.name;
    if (row.type === "i" || row.type === "f") {
      input.type = "number";
      input.step = row.type === "i" ? "1" : "any";
      if (row.min !== undefined) input.min = row.min;
      if (row.max !== undefined) input.max = row.max;
    } else {
      input.type = /passw|token|key/i.test(row.name) ? "password" : "text";
      if (row.maxlen) input.maxLength = row.maxlen;
    }
    input.value = text(row.value);
    input.dataset.original = input.value;
    div.append(lab, input);
    box.appendChild(div);
  }
}

// Writes go one setting at a time, {"name", "value"}, as the firmware's editor sends them.
async function saveSettings(event) {
  event.preventDefault();
  const status = $("#settings-status");
  const tokenInput = $("#token");
  if (tokenInput.value) {
    state.token = tokenInput.value;
    sessionStorage.setItem("dsmrparse-token", state.token);
  }
  const changed = [...document.querySelectorAll("#settings-fields input")].filter((i) => i.value !== i.dataset.original);
  if (!event.target.reportValidity()) return;
  try {
    for (const input of changed) {
      const v = input.type === "number" ? Number(input.value) : input.value;
      await api("/api/v1/dev/settings", { method: "POST", body: JSON.stringify({ name: input.name, value: v }) });
      input.dataset.original = input.value;
    }
    status.textContent = changed.length ? `saved ${changed.length} setting${changed.length > 1 ? "s" : ""}` : "nothing changed";
    status.dataset.state = "ok";
    await loadSettings();
    renderSettings();
  } catch (err) {
    status.dataset.state = "error";
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      $("#token-row").hidden = false;
      tokenInput.focus();
      status.textContent = state.token ? "the token was refused" : "this server wants a token for writes";
    } else {
      status.textContent = err.message;
    }
  }
}

async function saveMonth(event) {
  event.preventDefault();
  const form = event.target;
  const status = $("#month-status");
  const tokenInput = $("#token");
  if (tokenInput.value) state.token = tokenInput.value;
  const [year, month] = $("#month-id").value.split("-");
  const record = { recid: `${year.slice(2)}${month}` };
  for (const k of ["edt1", "edt2", "ert1", "ert2", "gdt"]) record[k] = Number(form.elements[k].value);
  try {
    await api("/api/v1/hist/months", { method: "POST", body: JSON.stringify(record) });
    status.textContent = `saved ${year}-${month}`;
    status.dataset.state = "ok";
  } catch (err) {
    status.dataset.state = "error";
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      $("#token-row").hidden = false;
      status.textContent = "this server wants a token for writes (see above)";
    } else {
      status.textContent = err.message;
    }
  }
}

// Prefill the month form with the stored registers of the chosen month.
async function prefillMonth() {
  const [year, month] = $("#month-id").value.split("-");
  if (!month) return;
  const rec = toRecords(await api("/api/v1/hist/months")).find((r) => r.date.getFullYear() === +year && r.date.getMonth() + 1 === +month);
  for (const k of ["edt1", "edt2", "ert1", "ert2", "gdt"]) $(`#month-${k}`).value = rec ? rec[k].toFixed(3) : "";
}

// ---- routing ---------------------------------------------------------------------------------

function show(page) {
  if (!PAGES.includes(page)) page = "now";
  state.page = page;
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.dataset.page !== page;
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.hash === `#${page}`);
  const section = document.getElementById(`page-${page}`);
  if (section.dataset.period) {
    if (!section.dataset.built) buildPeriodPage(section);
    guard(loadPeriod(page));
  } else if (page === "now") {
    renderNow();
    guard(loadToday());
  } else if (page === "fields") {
    renderFields();
  } else if (page === "telegram") {
    guard(loadTelegram());
  } else if (page === "system") {
    guard(loadSystem());
  } else if (page === "settings") {
    guard(loadSettings().then(renderSettings));
  }
}

function setupTheme() {
  const root = document.documentElement;
  const saved = localStorage.getItem("dsmrparse-theme");
  if (saved) root.dataset.theme = saved;
  $("#theme").addEventListener("click", () => {
    const dark = root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
    root.dataset.theme = dark ? "light" : "dark";
    localStorage.setItem("dsmrparse-theme", root.dataset.theme); // charts take colours from CSS
  });
}

function start() {
  setupTheme();
  $("#settings-form").addEventListener("submit", saveSettings);
  $("#month-form").addEventListener("submit", saveMonth);
  $("#month-id").addEventListener("change", () => guard(prefillMonth()));
  $("#fields-filter").addEventListener("input", renderFields);
  window.addEventListener("hashchange", () => show(location.hash.slice(1)));
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => show(state.page), 200);
  });
  // the first values without waiting for the next telegram; then the push channel takes over
  guard(
    Promise.all([api("/api/v1/sm/actual"), loadSettings()]).then(([actual]) => {
      if (!Object.keys(state.actual).length) state.actual = byName(actual);
      renderNow();
    }),
  );
  connect();
  show(location.hash.slice(1) || "now");
}

start();
