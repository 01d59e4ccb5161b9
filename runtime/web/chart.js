// Charts as plain SVG built with DOM calls (no library, no inline styles, so the CSP stays strict):
// a line for a time series, bars for a ranking or a breakdown, nothing for a single number or a list.
// Colours come from CSS classes (.series-0 ... .series-7); every text is set with textContent.

import { formatCompact, formatDate, formatValue } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
export const MAX_BARS = 25;
export const MAX_SERIES = 8;

/**
 * Which chart suits an answer, or null. columns: describeColumns(); rows: the answer's rows.
 * Returns {type: "line"|"bar", metric, time?, series?, labels?, note}.
 */
export function chooseChart(columns, rows) {
  if (rows.length < 2) return null;
  const metrics = columns.filter((c) => c.kind === "metric");
  if (!metrics.length) return null;
  // a share is what "as a percentage" asked for; otherwise the first metric
  const metric = metrics.find((c) => c.format === "share") || metrics[0];
  const times = columns.filter((c) => c.kind === "time");
  const dims = columns.filter((c) => c.kind === "dimension");
  if (times.length === 1 && dims.length <= 1) {
    const points = new Set(rows.map((r) => r[times[0].index]));
    if (points.size < 2) return null;
    return { type: "line", metric, time: times[0], series: dims[0] || null };
  }
  if (times.length + dims.length === 0 || times.length + dims.length > 2) return null;
  const labels = [...times, ...dims];
  const note = rows.length > MAX_BARS ? `the first ${MAX_BARS} of ${rows.length} rows` : "";
  return { type: "bar", metric, labels, note };
}

function el(name, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/** Round tick values covering [lo, hi]: 0, 50K, 100K ... */
export function niceTicks(lo, hi, count = 5) {
  if (lo === hi) {
    hi = lo === 0 ? 1 : lo + Math.abs(lo) * 0.5;
  }
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const start = Math.floor(lo / step) * step;
  const ticks = [];
  for (let v = start; v < hi + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function textWidth(text, px) {
  return text.length * px * 0.58; // close enough for a system sans-serif; labels are also clipped
}

function clip(text, maxWidth, px) {
  if (textWidth(text, px) <= maxWidth) return text;
  const keep = Math.max(1, Math.floor(maxWidth / (px * 0.58)) - 1);
  return `${text.slice(0, keep)}…`;
}

/** The series of a line chart: [{name, points: Map(time -> value)}], largest total first. */
function lineSeries(spec, rows) {
  const byName = new Map();
  for (const r of rows) {
    const name = spec.series ? formatValue(r[spec.series.index]) : spec.metric.label;
    if (!byName.has(name)) byName.set(name, { name, points: new Map(), total: 0 });
    const s = byName.get(name);
    const v = r[spec.metric.index];
    if (typeof v === "number") {
      s.points.set(r[spec.time.index], v);
      s.total += Math.abs(v);
    }
  }
  const all = [...byName.values()];
  if (spec.series) all.sort((a, b) => b.total - a.total);
  return { shown: all.slice(0, MAX_SERIES), hidden: Math.max(0, all.length - MAX_SERIES) };
}

function renderLine(spec, rows, width) {
  const height = width < 480 ? 220 : 280;
  const font = width < 480 ? 11 : 12;
  const times = [...new Set(rows.map((r) => r[spec.time.index]))].sort();
  const { shown, hidden } = lineSeries(spec, rows);
  const values = shown.flatMap((s) => [...s.points.values()]);
  const lo = Math.min(0, ...values);
  const ticks = niceTicks(lo, Math.max(...values, lo));
  const yMin = ticks[0];
  const yMax = ticks[ticks.length - 1];
  const labels = ticks.map((t) => formatCompact(t, spec.metric.format));
  const left = Math.max(...labels.map((l) => textWidth(l, font))) + 14;
  const box = { left, right: width - 16, top: 12, bottom: height - 30 };
  const x = (i) => box.left + (times.length === 1 ? 0 : (i * (box.right - box.left)) / (times.length - 1));
  const y = (v) => box.bottom - ((v - yMin) / (yMax - yMin || 1)) * (box.bottom - box.top);

  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "chart-svg line-chart" });
  const grid = el("g", { class: "grid" });
  ticks.forEach((t, i) => {
    grid.append(el("line", { x1: box.left, x2: box.right, y1: y(t), y2: y(t) }));
    grid.append(el("text", { x: box.left - 8, y: y(t) + font / 3, "text-anchor": "end", "font-size": font }, labels[i]));
  });
  svg.append(grid);
  const axis = el("g", { class: "axis" });
  const room = Math.max(1, Math.ceil((times.length * textWidth(formatDate(times[0], spec.time.grain), font) * 1.3) / (box.right - box.left)));
  times.forEach((t, i) => {
    if (i % room !== 0 && i !== times.length - 1) return;
    const anchor = i === 0 ? "start" : i === times.length - 1 ? "end" : "middle";
    axis.append(el("text", { x: x(i), y: height - 10, "text-anchor": anchor, "font-size": font }, formatDate(t, spec.time.grain)));
  });
  svg.append(axis);
  shown.forEach((s, k) => {
    const g = el("g", { class: `series series-${k}` });
    const pts = times.map((t, i) => (s.points.has(t) ? [x(i), y(s.points.get(t)), t, s.points.get(t)] : null));
    let path = "";
    let pen = "M";
    for (const p of pts) {
      if (!p) {
        pen = "M"; // a missing bucket breaks the line rather than inventing a value
        continue;
      }
      path += `${pen}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
      pen = "L";
    }
    g.append(el("path", { d: path, class: "line" }));
    for (const p of pts.filter(Boolean)) {
      const dot = el("circle", { cx: p[0].toFixed(1), cy: p[1].toFixed(1), r: shown.length > 3 ? 2.5 : 3.5, class: "dot" });
      dot.append(el("title", {}, `${s.name}, ${formatDate(p[2], spec.time.grain)}: ${formatValue(p[3], spec.metric.format)}`));
      g.append(dot);
    }
    svg.append(g);
  });
  const legend = spec.series ? shown.map((s, k) => ({ name: s.name, k })) : [];
  const note = hidden ? `the ${MAX_SERIES} largest of ${shown.length + hidden} series` : "";
  return { svg, legend, note, summary: `${times.length} points${spec.series ? `, ${shown.length} series` : ""}` };
}

function renderBars(spec, rows, width) {
  const font = width < 480 ? 11 : 12;
  const shown = rows.slice(0, MAX_BARS);
  const names = shown.map((r) => spec.labels.map((c) => (c.kind === "time" ? formatDate(r[c.index], c.grain) : formatValue(r[c.index]))).join(" · "));
  const values = shown.map((r) => (typeof r[spec.metric.index] === "number" ? r[spec.metric.index] : 0));
  const texts = values.map((v) => formatValue(v, spec.metric.format));
  const longest = Math.max(...names.map((n) => textWidth(n, font))) + 8;
  // on a narrow screen each label goes above its bar rather than being cut to a few letters
  const stacked = longest > width * 0.38;
  const labelWidth = stacked ? 0 : longest;
  const valueWidth = Math.max(...texts.map((t) => textWidth(t, font))) + 10;
  const thickness = width < 480 ? 14 : 18;
  const labelRow = stacked ? font + 6 : 0;
  const row = labelRow + thickness + 8;
  const height = shown.length * row + 4;
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const box = { left: stacked ? 0 : labelWidth + 8, right: width - valueWidth };
  const scale = (v) => ((v - lo) / (hi - lo || 1)) * (box.right - box.left);
  const zero = box.left + scale(0);

  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "chart-svg bar-chart" });
  shown.forEach((_, i) => {
    const top = i * row + 4;
    const barTop = top + labelRow;
    const middle = barTop + thickness / 2 + font / 3;
    const v = values[i];
    const g = el("g", { class: "bar series-0" });
    const x0 = v < 0 ? box.left + scale(v) : zero;
    g.append(el("rect", { x: x0.toFixed(1), y: barTop, width: Math.max(1, Math.abs(scale(v) - scale(0))).toFixed(1), height: thickness, rx: 2 }));
    g.append(el("title", {}, `${names[i]}: ${texts[i]}`));
    svg.append(g);
    if (stacked) {
      svg.append(el("text", { x: 0, y: top + font, "font-size": font, class: "bar-label" }, clip(names[i], width - 4, font)));
    } else {
      svg.append(el("text", { x: labelWidth, y: middle, "text-anchor": "end", "font-size": font, class: "bar-label" }, names[i]));
    }
    const end = v < 0 ? zero : box.left + scale(v);
    svg.append(el("text", { x: (end + 6).toFixed(1), y: middle, "font-size": font, class: "bar-value" }, texts[i]));
  });
  return { svg, legend: [], note: spec.note, summary: `${shown.length} bars` };
}

/**
 * Draws spec into figure (a <figure> holding a .chart-area div), sized to the figure's width; called
 * again when the width changes. Returns nothing; replaces what was drawn before.
 */
export function drawChart(figure, spec, rows) {
  const area = figure.querySelector(".chart-area");
  const width = Math.max(240, Math.floor(area.clientWidth || 600));
  const drawn = spec.type === "line" ? renderLine(spec, rows, width) : renderBars(spec, rows, width);
  const what = spec.type === "line" ? "Line chart" : "Bar chart";
  drawn.svg.setAttribute("role", "img");
  drawn.svg.setAttribute("aria-label", `${what} of ${spec.metric.label.toLowerCase()}: ${drawn.summary}. The table below has every value.`);
  area.replaceChildren(drawn.svg);
  const legend = figure.querySelector(".legend");
  legend.replaceChildren(
    ...drawn.legend.map(({ name, k }) => {
      const li = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = `swatch series-${k}`;
      swatch.setAttribute("aria-hidden", "true");
      li.append(swatch, document.createTextNode(name));
      return li;
    }),
  );
  legend.hidden = drawn.legend.length === 0;
  const note = figure.querySelector(".chart-note");
  note.textContent = drawn.note ? `Showing ${drawn.note}.` : "";
  note.hidden = !drawn.note;
}
