// History arithmetic of the pages, without the page: periods and their usage from the API's
// answers, date ranges on the meter's wall clock, costs, and the month-to-year-before pairing.
// Pure functions, so a test can import this module in the browser and feed it any answer.

export const KEYS = ["edt1", "edt2", "ert1", "ert2", "gdt"];
export const pad = (n) => String(n).padStart(2, "0");


export function num(value) {
  const n = typeof value === "number" ? value : parseFloat(value);
  return Number.isFinite(n) ? n : null;
}

// The firmware wraps every list in one key: {"actual": [{name, value, unit}, ...]}.
export function rowsOf(doc) {
  if (Array.isArray(doc)) return doc;
  if (doc && typeof doc === "object") {
    const lists = Object.values(doc).filter(Array.isArray);
    if (lists.length === 1) return lists[0];
  }
  return [];
}

// Calendar arithmetic on local wall-clock parts, done in UTC so no browser zone interferes.
export function shift(localIso, { hours = 0, days = 0, months = 0 }) {
  const [y, mo, d, h] = [0, 5, 8, 11].map((i, j) => parseInt(localIso.slice(i, i + (j ? 2 : 4)), 10) || 0);
  const t = new Date(Date.UTC(y, mo - 1 + months, d + days, h + hours));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:00`;
}

// Default windows: the firmware's 48 hours, 14 days, and 24 months (a year back for comparison).
export function defaultRange(period, now) {
  if (period === "hours") return { from: shift(now.slice(0, 13), { hours: -48 }) };
  if (period === "days") return { from: shift(now.slice(0, 10), { days: -14 }).slice(0, 10) };
  return { from: `${shift(now.slice(0, 7) + "-01", { months: -23 }).slice(0, 7)}-01` };
}

// A chosen range from the form: dates are inclusive, so "to" becomes the start of the next one.
export function chosenRange(period, from, to) {
  const out = {};
  if (from) out.from = period === "months" ? `${from}-01` : from;
  if (to) {
    if (period === "hours") out.to = to;
    else if (period === "days") out.to = shift(to, { days: 1 }).slice(0, 10);
    else out.to = shift(`${to}-01`, { months: 1 }).slice(0, 10);
  }
  return out;
}

export function listOf(doc, kind) {
  return doc && Array.isArray(doc[kind]) ? doc[kind] : rowsOf(doc);
}

// "2026-12-01T22:00:00+01:00" or recid "26120122" -> wall-clock parts as a Date (labels only)
export function startOf(row) {
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d))?/.exec(String(row.start || ""));
  if (m) return new Date(+m[1], +m[2] - 1, +m[3], +(m[4] || 0));
  const s = String(row.recid);
  const part = (i) => parseInt(s.slice(i, i + 2), 10) || 0;
  return new Date(2000 + part(0), Math.max(0, part(2) - 1), part(4) || 1, part(6));
}

// One entry per period: usage from the server's range view; for a bare firmware list (no usage
// given) the difference to the period before, as the firmware's own pages compute it.
export function periodsOf(doc, kind) {
  const rows = listOf(doc, kind).filter((r) => r && r.recid !== undefined && !/^0+$/.test(String(r.recid)));
  if (rows.some((r) => "usage" in r || r.missing)) {
    return rows.map((r) => ({
      recid: String(r.recid), date: startOf(r), missing: !!r.missing, gap: !!r.gap, corrected: !!r.corrected,
      usage: r.usage ? Object.fromEntries(KEYS.map((k) => [k, num(r.usage[k])])) : null,
      costs: num(r.costs),
    }));
  }
  const sorted = rows.map((r) => ({ r, date: startOf(r) })).sort((a, b) => a.date - b.date);
  const out = [];
  for (let i = 1; i < sorted.length; i++) {
    const usage = {};
    for (const k of KEYS) {
      const d = num(sorted[i].r[k]) - num(sorted[i - 1].r[k]);
      usage[k] = d >= 0 ? +d.toFixed(3) : null; // a register going down: a new meter, no usage
    }
    out.push({ recid: String(sorted[i].r.recid), date: sorted[i].date, usage, costs: null });
  }
  return out;
}

export function label(period, d) {
  if (period === "hours") return `${pad(d.getHours())}:00`;
  if (period === "days") return `${pad(d.getDate())}-${pad(d.getMonth() + 1)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
}

export function fullLabel(period, d) {
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  if (period === "hours") return `${day} ${pad(d.getHours())}:00`;
  if (period === "days") return day;
  return label(period, d);
}

// Costs from the tariff settings, as the server computes them: import minus export plus gas;
// the fixed network costs (per month in the firmware) on month rows only.
export function cost(use, period, settings) {
  const t = (name) => num(settings[name]) ?? 0;
  const variable =
    (use.edt1 ?? 0) * t("ed_tariff1") + (use.edt2 ?? 0) * t("ed_tariff2") -
    (use.ert1 ?? 0) * t("er_tariff1") - (use.ert2 ?? 0) * t("er_tariff2") + (use.gdt ?? 0) * t("gd_tariff");
  return variable + (period === "months" ? t("electr_netw_costs") + t("gas_netw_costs") : 0);
}

export const sumImport = (u) => (u && u.edt1 !== null && u.edt2 !== null ? +(u.edt1 + u.edt2).toFixed(3) : null);


// The firmware's month view: the last twelve months, each beside the same month a year earlier.
export function yearBefore(periods) {
  const key = (d) => `${d.getFullYear()}-${d.getMonth()}`;
  const byKey = new Map(periods.map((p) => [key(p.date), p]));
  const shown = periods.slice(-12);
  const previous = shown.map((p) => byKey.get(key(new Date(p.date.getFullYear() - 1, p.date.getMonth(), 1))) || null);
  return { shown, previous };
}
