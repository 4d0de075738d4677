// The pages' own small SVG charts: bars per period and a rolling line of the last minutes.
// Drawn at the element's pixel width (redrawn on resize) so text stays crisp on a phone.
// Every bar carries data-label, data-series and data-value: what it shows, readable by tests.

const NS = "http://www.w3.org/2000/svg";

function el(name, attrs, parent, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

// A round upper bound for the axis (1, 2, 2.5 or 5 times a power of ten) and its tick step.
export function niceScale(max) {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const power = 10 ** Math.floor(Math.log10(max));
  for (const f of [1, 2, 2.5, 5, 10]) {
    if (f * power >= max) {
      const top = f * power;
      return { top, step: top / (f === 2.5 || f === 5 ? 5 : 4) };
    }
  }
  return { top: 10 * power, step: 2 * power };
}

function fmt(v) {
  return String(+v.toFixed(Math.abs(v) >= 100 ? 0 : 2));
}

function frame(svg, height) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const width = Math.max(240, Math.round(svg.getBoundingClientRect().width) || 600);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("height", String(height));
  return { width, height, left: 44, right: 8, top: 22, bottom: 26 };
}

function axis(svg, box, scale) {
  const plotH = box.height - box.top - box.bottom;
  const g = el("g", { class: "axis" }, svg);
  for (let v = 0; v <= scale.top + scale.step / 2; v += scale.step) {
    const y = box.top + plotH - (v / scale.top) * plotH;
    el("line", { x1: box.left, x2: box.width - box.right, y1: y, y2: y, class: "gridline" }, g);
    el("text", { x: box.left - 4, y: y + 4, "text-anchor": "end" }, g, fmt(v));
  }
  return plotH;
}

// The legend wraps onto more lines on a narrow screen; the plot starts below it.
function legend(svg, box, series) {
  const g = el("g", { class: "legend" }, svg);
  let x = box.left;
  let y = 4;
  for (const s of series) {
    const width = 22 + s.name.length * 6.5;
    if (x > box.left && x + width > box.width - box.right) {
      x = box.left;
      y += 16;
    }
    el("rect", { x, y, width: 10, height: 10, class: s.cls }, g);
    el("text", { x: x + 14, y: y + 9 }, g, s.name);
    x += width;
  }
  box.top = y + 24;
}

// Bars per label. series: [{name, cls, values: [number|null], stack}] - series with the same
// stack key are stacked, different keys stand side by side within a label's slot. ids (optional)
// name each slot's period in data-id.
export function barChart(svg, { labels, ids = [], series, height = 220, empty = "no data yet" }) {
  const box = frame(svg, height);
  const stacks = [...new Set(series.map((s) => s.stack ?? s.name))];
  let max = 0;
  labels.forEach((_, i) => {
    for (const key of stacks) {
      const sum = series
        .filter((s) => (s.stack ?? s.name) === key)
        .reduce((a, s) => a + Math.max(0, s.values[i] ?? 0), 0);
      max = Math.max(max, sum);
    }
  });
  const scale = niceScale(max);
  legend(svg, box, series);
  const plotH = axis(svg, box, scale);
  const plotW = box.width - box.left - box.right;
  if (!labels.length) {
    el("text", { x: box.left + plotW / 2, y: box.top + plotH / 2, "text-anchor": "middle", class: "empty" }, svg, empty);
    return;
  }
  const slot = plotW / labels.length;
  const barW = Math.max(1, (slot * 0.8) / stacks.length);
  const every = Math.max(1, Math.ceil((labels.length * 40) / plotW));
  const bars = el("g", { class: "bars" }, svg);
  const ticks = el("g", { class: "axis xlabels" }, svg);
  labels.forEach((label, i) => {
    stacks.forEach((key, k) => {
      let base = box.top + plotH;
      const x = box.left + i * slot + slot * 0.1 + k * barW;
      for (const s of series.filter((s2) => (s2.stack ?? s2.name) === key)) {
        const v = s.values[i];
        if (v === null || v === undefined) continue;
        const h = (Math.max(0, v) / scale.top) * plotH;
        base -= h;
        const r = el("rect", {
          x: x.toFixed(2), y: base.toFixed(3), width: Math.max(1, barW - 1).toFixed(2), height: h.toFixed(3),
          class: `bar ${s.cls}`, "data-id": ids[i] ?? i, "data-label": label, "data-series": s.name, "data-value": v,
        }, bars);
        el("title", {}, r, `${label} ${s.name}: ${fmt(v)}`);
      }
    });
    if (i % every === 0) {
      el("text", { x: box.left + i * slot + slot / 2, y: box.height - 8, "text-anchor": "middle" }, ticks, label);
    }
  });
  svg.dataset.scaleTop = String(scale.top);
  svg.dataset.plotHeight = String(plotH);
}

// Lines over the last `span` seconds. series: [{name, cls, points: [[epochSeconds, value]]}].
export function lineChart(svg, { series, span = 600, now = Date.now() / 1000, height = 200 }) {
  const box = frame(svg, height);
  const max = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const scale = niceScale(max);
  legend(svg, box, series);
  const plotH = axis(svg, box, scale);
  const plotW = box.width - box.left - box.right;
  const xOf = (t) => box.left + ((t - (now - span)) / span) * plotW;
  const ticks = el("g", { class: "axis xlabels" }, svg);
  for (let m = span / 60; m >= 0; m -= Math.max(1, Math.round(span / 300))) {
    el("text", { x: xOf(now - m * 60), y: box.height - 8, "text-anchor": "middle" }, ticks, m ? `-${m} min` : "now");
  }
  for (const s of series) {
    const pts = s.points.filter((p) => p[0] >= now - span);
    if (!pts.length) continue;
    const d = pts
      .map((p, i) => `${i ? "L" : "M"}${xOf(p[0]).toFixed(1)},${(box.top + plotH - (p[1] / scale.top) * plotH).toFixed(1)}`)
      .join("");
    el("path", { d, class: `line ${s.cls}`, "data-series": s.name, "data-points": pts.length }, svg);
  }
}
