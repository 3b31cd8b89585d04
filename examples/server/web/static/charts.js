// charts.js: small SVG charts drawn from data, with text labels and a
// <title> per bar for hover and screen readers.

const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * barChart draws vertical bars. items: [{label, value, title?, cls?}]; cls
 * adds classes to the bar, which is how bars get their own colour (the
 * stylesheet sets .chart .bar's fill, so a fill attribute would lose).
 * opts: {title, height, format(value), integer}. integer (default: every
 * value is a whole number, as counts are) puts the axis's ticks on whole
 * numbers: its top is rounded up to an even number, so that the middle
 * tick is whole too, and a top of 1 has no middle tick.
 *
 * The viewBox width is capped (MAX_W), so that however many bars there are
 * the chart keeps its aspect ratio and a readable height once CSS scales it
 * to the card's width: bars narrow as their number grows, value labels are
 * dropped when bars get too thin for them, and only every k-th bucket is
 * labelled on the axis so that labels never overlap.
 */
const MAX_W = 640;
export function barChart(items, opts = {}) {
  const n = items.length;
  // A label is about 6.5 units a character at the 11px axis font, plus a gap;
  // a chart of few bars is made wide enough to label every one.
  const longest = Math.max(1, ...items.map((d) => String(d.label).length));
  const labelW = longest * 6.5 + 8;
  const W = Math.min(MAX_W, Math.max(320, n * 44, n * labelW + 44)), H = opts.height || 180, pad = { l: 36, r: 8, t: 14, b: 34 };
  const integer = opts.integer ?? items.every((d) => Number.isInteger(d.value));
  let max = Math.max(1, ...items.map((d) => d.value));
  if (integer && max > 1) max = Math.ceil(max / 2) * 2;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": opts.title || "chart", preserveAspectRatio: "xMidYMid meet" });
  const fmt = opts.format || ((v) => String(v));
  const iw = W - pad.l - pad.r, ih = H - pad.t - pad.b;
  // grid lines at 0, half and max
  for (const f of integer && max === 1 ? [0, 1] : [0, 0.5, 1]) {
    const y = pad.t + ih - ih * f;
    svg.appendChild(s("line", { x1: pad.l, x2: W - pad.r, y1: y, y2: y, class: "grid" }));
    svg.appendChild(s("text", { x: pad.l - 4, y: y + 4, "text-anchor": "end", class: "axis" }, fmt(Math.round(max * f * 100) / 100)));
  }
  const bw = iw / Math.max(1, n);
  // Label every k-th bucket, so that labels never overlap.
  const need = Math.max(1, Math.ceil(labelW / bw));
  // rounded up to a step that reads well for hours and days
  const every = [1, 2, 3, 4, 6, 12, 24].find((k) => k >= need) || Math.ceil(need / 24) * 24;
  const showValues = bw >= 18;
  items.forEach((d, i) => {
    const bh = (d.value / max) * ih;
    const x = pad.l + i * bw + bw * 0.15;
    const r = s("rect", { x, y: pad.t + ih - bh, width: Math.max(bw * 0.7, 1), height: Math.max(bh, d.value > 0 ? 1 : 0), class: ("bar " + (d.cls || "")).trim(), rx: Math.min(2, bw * 0.2) });
    r.appendChild(s("title", {}, d.title || `${d.label}: ${fmt(d.value)}`));
    svg.appendChild(r);
    if (d.value > 0 && showValues) svg.appendChild(s("text", { x: x + bw * 0.35, y: pad.t + ih - bh - 3, "text-anchor": "middle", class: "val" }, fmt(d.value)));
    if (i % every === 0) svg.appendChild(s("text", { x: x + bw * 0.35, y: H - pad.b + 16, "text-anchor": "middle", class: "axis" }, d.label));
  });
  return svg;
}

/** hbars draws labelled horizontal bars, good for category splits. */
export function hbars(items, opts = {}) {
  const rowH = 24, W = 360, lw = 96, H = items.length * rowH + 4;
  const max = Math.max(1, ...items.map((d) => d.value));
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart hbars", role: "img", "aria-label": opts.title || "chart" });
  items.forEach((d, i) => {
    const y = i * rowH + 2, w = ((W - lw - 40) * d.value) / max;
    svg.appendChild(s("text", { x: lw - 6, y: y + 15, "text-anchor": "end", class: "axis" }, d.label));
    const r = s("rect", { x: lw, y: y + 3, width: Math.max(w, d.value > 0 ? 1 : 0), height: rowH - 8, rx: 2, class: "bar " + (d.cls || "") });
    r.appendChild(s("title", {}, `${d.label}: ${d.value}`));
    svg.appendChild(r);
    svg.appendChild(s("text", { x: lw + w + 4, y: y + 15, class: "val" }, String(d.value)));
  });
  return svg;
}
