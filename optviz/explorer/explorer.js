// optviz explorer: one page that replays optimizer paths precomputed by optviz.
//
// The page's data (JSON in the element #optviz-data; schema in optviz/explorer/__init__.py) holds
// the map as a PNG drawn by optviz's renderer, where its axes sit in pixels, and every run's
// points, loss, gradient norm and lr as float32 arrays in base64. This module only draws them:
// paths over the map, curves in the side panels, a step slider, and one slider per swept
// hyperparameter. Nothing is computed here that optviz did not compute.
//
// A read-only API for tests and other tools: window.optvizExplorer (see the end of the file).

const data = JSON.parse(document.getElementById("optviz-data").textContent);
const root = document.getElementById("optviz-explorer");
const $ = (selector) => root.querySelector(selector);

// ------------------------------------------------------------------------------------ the data

function floats(b64) {
  if (!b64) return null;
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

const runs = data.runs;
const arrays = { points: floats(runs.points), loss: floats(runs.loss), grad_norm: floats(runs.grad_norm), lr: floats(runs.lr) };
const offsets = [0];
for (const n of runs.count) offsets.push(offsets[offsets.length - 1] + n);
const dim = data.dim;
const sizes = data.sweep.map((axis) => axis.values.length);
const gridSize = sizes.reduce((a, b) => a * b, 1);
const lastSample = data.steps.length - 1;

const state = { sample: lastSample, playing: false, speed: 1, loop: true, hidden: new Set(), index: sizes.map(() => 0) };

function gridIndex(index = state.index) {
  return index.reduce((g, i, a) => g * sizes[a] + i, 0); // row-major, the last axis fastest
}
const runOf = (series) => series * gridSize + gridIndex();
const count = (run) => runs.count[run];

function stepOf(run, j) { // the step of sample j: the shared steps, then the run's own last step
  return j >= count(run) - 1 ? runs.end[run] : data.steps[j];
}

function value(name, run, j) {
  if (name === "lr") return arrays.lr ? arrays.lr[offsets[run] + j] : runs.base_lr[run];
  return arrays[name][offsets[run] + j];
}

function point(run, j) { // the map's coordinates: (x1, x2), or (x, f(x)) for a 1-D function
  const p = offsets[run] + j;
  return dim === 2 ? [arrays.points[2 * p], arrays.points[2 * p + 1]] : [arrays.points[p], arrays.loss[p]];
}

// ----------------------------------------------------------------------------------- the map

const main = data.main;
const scaled = (v, log) => (log ? Math.log10(v) : v);

function toPixel([x, y]) {
  const [left, top, right, bottom] = main.box;
  const fx = (scaled(x, main.xlog) - scaled(main.xlim[0], main.xlog)) / (scaled(main.xlim[1], main.xlog) - scaled(main.xlim[0], main.xlog));
  const fy = (scaled(y, main.ylog) - scaled(main.ylim[0], main.ylog)) / (scaled(main.ylim[1], main.ylog) - scaled(main.ylim[0], main.ylog));
  return [left + fx * (right - left), bottom + fy * (top - bottom)];
}

function sharpCanvas(canvas, width, height) { // a canvas drawn in CSS pixels, crisp on any screen
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

const mapCanvas = $(".paths");
const mapCtx = sharpCanvas(mapCanvas, data.image.width, data.image.height);
const font = (px) => `${px}px "DejaVu Sans", Verdana, sans-serif`;

function drawPath(ctx, run, upto, color, toXY) {
  const far = 1e4;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = data.style.line;
  ctx.lineJoin = "round";
  ctx.beginPath();
  let pen = false;
  const dots = [];
  for (let j = 0; j <= upto; j++) {
    const [px, py] = toXY(run, j);
    if (!Number.isFinite(px) || !Number.isFinite(py) || Math.abs(px) > far || Math.abs(py) > far) { pen = false; continue; }
    if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
    pen = true;
    dots.push([px, py]);
  }
  ctx.stroke();
  if (upto < 80) for (const [px, py] of dots) { ctx.beginPath(); ctx.arc(px, py, data.style.dot, 0, 2 * Math.PI); ctx.fill(); }
  return dots[dots.length - 1];
}

function drawHead(ctx, at, color) {
  if (!at) return;
  ctx.beginPath();
  ctx.arc(at[0], at[1], data.style.head, 0, 2 * Math.PI);
  ctx.fillStyle = color;
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = data.theme.background;
  ctx.stroke();
}

function drawMap() {
  const ctx = mapCtx;
  ctx.clearRect(0, 0, data.image.width, data.image.height);
  const [left, top, right, bottom] = main.box;
  ctx.save();
  ctx.beginPath();
  ctx.rect(Math.min(left, right), Math.min(top, bottom), Math.abs(right - left), Math.abs(bottom - top));
  ctx.clip();
  const heads = [];
  data.series.forEach((series, s) => {
    if (state.hidden.has(s)) return;
    const run = runOf(s);
    const upto = Math.min(state.sample, count(run) - 1);
    heads.push([drawPath(ctx, run, upto, series.color, (r, j) => toPixel(point(r, j))), series.color]);
  });
  for (const [at, color] of heads) drawHead(ctx, at, color);
  ctx.restore();
  const counter = data.counter;
  if (counter) {
    ctx.font = font(counter.size);
    ctx.fillStyle = data.theme.muted;
    ctx.textAlign = "right";
    ctx.fillText(String(data.steps[state.sample]), counter.x, counter.y);
  }
}

// -------------------------------------------------------------------------------- the panels

const panelCanvas = $(".panels");
const panelSize = { width: data.style.panel_width, height: data.image.height };
const panelCtx = data.panels.length ? sharpCanvas(panelCanvas, panelSize.width, panelSize.height) : null;
const margin = { left: 56, right: 10, top: 14, bottom: 30 };

function panelBoxes() {
  const n = data.panels.length;
  const slot = panelSize.height / n;
  return data.panels.map((name, i) => ({
    name, left: margin.left, right: panelSize.width - margin.right,
    top: i * slot + margin.top, bottom: (i + 1) * slot - margin.bottom,
  }));
}

function panelScale(name) { // limits over the whole runs shown, log when every value is positive
  let lo = Infinity, hi = -Infinity, positive = Infinity;
  data.series.forEach((_, s) => {
    if (state.hidden.has(s)) return;
    const run = runOf(s);
    for (let j = 0; j < count(run); j++) {
      const v = value(name, run, j);
      if (!Number.isFinite(v) || Math.abs(v) > 1e30) continue;
      lo = Math.min(lo, v); hi = Math.max(hi, v);
      if (v > 0) positive = Math.min(positive, v);
    }
  });
  if (!Number.isFinite(lo)) return { log: false, lo: 0, hi: 1 };
  if (name !== "lr" && lo >= 0 && Number.isFinite(positive)) {
    const floor = lo > 0 ? lo : positive / 10;
    let a = Math.log10(floor), b = Math.log10(hi);
    if (b - a < 1) { const mid = (a + b) / 2; a = mid - 0.5; b = mid + 0.5; }
    return { log: true, lo: a - 0.05 * (b - a), hi: b + 0.05 * (b - a), floor };
  }
  const span = hi - lo || Math.abs(hi) * 0.2 || 1;
  return { log: false, lo: lo - 0.08 * span, hi: hi + 0.08 * span };
}

function niceTicks(lo, hi, n) {
  const raw = (hi - lo) / n, power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) ticks.push(Math.abs(t) < 1e-12 * step ? 0 : t);
  return ticks;
}

function logTicks(lo, hi) { // powers of ten, a few of them when the axis spans many; 2 and 5 too when it spans one
  const decades = niceTicks(Math.ceil(lo), Math.floor(hi), 3).filter(Number.isInteger);
  if (decades.length >= 2) return decades.map((e) => [e, `1e${e}`]);
  const ticks = [];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    for (const m of [1, 2, 5]) if (Math.log10(m * 10 ** e) >= lo && Math.log10(m * 10 ** e) <= hi) ticks.push([Math.log10(m * 10 ** e), label(m * 10 ** e)]);
  }
  return ticks;
}

const label = (v) => (v === 0 ? "0" : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(0) : String(+v.toPrecision(3)));

function drawPanels() {
  if (!panelCtx) return;
  const ctx = panelCtx, theme = data.theme, total = Math.max(1, data.total);
  ctx.clearRect(0, 0, panelSize.width, panelSize.height);
  ctx.font = font(data.style.font);
  for (const box of panelBoxes()) {
    const scale = panelScale(box.name);
    const yOf = (v) => {
      let t = v;
      if (scale.log) t = Math.log10(v > 0 ? v : scale.floor);
      return box.bottom - ((t - scale.lo) / (scale.hi - scale.lo)) * (box.bottom - box.top);
    };
    const xOf = (step) => box.left + (step / total) * (box.right - box.left);
    ctx.strokeStyle = theme.muted; ctx.lineWidth = 0.8;
    ctx.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
    ctx.fillStyle = theme.foreground; ctx.textAlign = "right"; ctx.textBaseline = "middle";
    const ticks = scale.log ? logTicks(scale.lo, scale.hi) : niceTicks(scale.lo, scale.hi, 3).map((t) => [t, label(t)]);
    for (const [t, text] of ticks) {
      const y = box.bottom - ((t - scale.lo) / (scale.hi - scale.lo)) * (box.bottom - box.top);
      ctx.fillText(text, box.left - 5, y);
      ctx.globalAlpha = 0.25; ctx.beginPath(); ctx.moveTo(box.left, y); ctx.lineTo(box.right, y); ctx.stroke(); ctx.globalAlpha = 1;
    }
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const t of niceTicks(0, total, 4)) ctx.fillText(label(t), xOf(t), box.bottom + 4);
    ctx.textAlign = "left"; ctx.textBaseline = "bottom";
    ctx.fillText(data.panel_labels[box.name], box.left, box.top - 1);
    ctx.save();
    ctx.beginPath(); ctx.rect(box.left, box.top, box.right - box.left, box.bottom - box.top); ctx.clip();
    data.series.forEach((series, s) => {
      if (state.hidden.has(s)) return;
      const run = runOf(s);
      const upto = Math.min(state.sample, count(run) - 1);
      const head = drawPath(ctx, run, upto, series.color, (r, j) => [xOf(stepOf(r, j)), yOf(value(box.name, r, j))]);
      drawHead(ctx, head, series.color);
    });
    ctx.restore();
  }
}

// ------------------------------------------------------------------------------ the controls

const slider = $(".step");
const stepText = $(".step-text");
const playButton = $(".play");
slider.max = String(lastSample);

function show() {
  slider.value = String(state.sample);
  stepText.textContent = `${data.steps[state.sample]} / ${data.total}`;
  playButton.textContent = state.playing ? "❚❚ pause" : "▶ play";
  drawMap();
  drawPanels();
  const heads = data.series.map((_, s) => head(s));
  root.dataset.step = String(data.steps[state.sample]);
  root.dataset.heads = JSON.stringify(heads);
  root.dataset.run = String(gridIndex());
}

function setSample(j) {
  state.sample = Math.max(0, Math.min(lastSample, j));
  show();
}

let clock = null;
function play(on) {
  state.playing = on;
  if (on && state.sample >= lastSample) state.sample = 0;
  let previous = null, carry = 0;
  const tick = (time) => {
    if (!state.playing) return;
    if (previous !== null) carry += ((time - previous) / 1000) * 20 * state.speed; // 20 samples a second at 1×
    previous = time;
    if (carry >= 1) {
      const next = state.sample + Math.floor(carry);
      carry -= Math.floor(carry);
      if (next > lastSample) {
        if (state.loop) state.sample = 0; else { state.sample = lastSample; state.playing = false; }
      } else state.sample = next;
      show();
    }
    if (state.playing) clock = requestAnimationFrame(tick);
  };
  cancelAnimationFrame(clock);
  show();
  if (on) clock = requestAnimationFrame(tick);
}

slider.addEventListener("input", () => setSample(Number(slider.value)));
playButton.addEventListener("click", () => play(!state.playing));
$(".speed").addEventListener("change", (e) => { state.speed = Number(e.target.value); });
$(".loop").addEventListener("change", (e) => { state.loop = e.target.checked; });
document.addEventListener("keydown", (e) => {
  const inSweep = e.target.classList && e.target.classList.contains("sweep-slider");
  if ((e.key === "ArrowLeft" || e.key === "ArrowRight") && !inSweep) {
    e.preventDefault();
    play(false);
    setSample(state.sample + (e.key === "ArrowRight" ? 1 : -1));
  } else if (e.key === " " && e.target.tagName !== "BUTTON") {
    e.preventDefault();
    play(!state.playing);
  }
});

function toggle(s) {
  if (state.hidden.has(s)) state.hidden.delete(s); else state.hidden.add(s);
  for (const el of root.querySelectorAll(`[data-series="${s}"]`)) el.classList.toggle("off", state.hidden.has(s));
  show();
}

function addToggles() {
  const hits = $(".legend-hits"), list = $(".legend-list");
  data.series.forEach((series, s) => {
    const box = data.legend[s] || [0, 0, 0, 0];
    const button = document.createElement("button");
    button.dataset.series = String(s);
    button.title = `show or hide ${series.label}`;
    if (box[2] > box[0]) { // over the entry the picture's legend has
      Object.assign(button.style, { left: `${box[0] - 3}px`, top: `${box[1] - 3}px`, width: `${box[2] - box[0] + 6}px`, height: `${box[3] - box[1] + 6}px` });
      hits.append(button);
    } else { // a compact key lists no entry: a button below the map
      button.textContent = series.label;
      button.style.borderColor = series.color;
      list.append(button);
    }
  });
  hits.addEventListener("click", (e) => { if (e.target.dataset.series) toggle(Number(e.target.dataset.series)); });
  list.addEventListener("click", (e) => { if (e.target.dataset.series) toggle(Number(e.target.dataset.series)); });
}

// ---------------------------------------------------------------------------------- the sweep

const fmt = (v) => (v === null || v === undefined ? "—" : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(+v.toPrecision(4)));

function addSweep() {
  const box = $(".sweep");
  data.sweep.forEach((axis, a) => {
    const row = document.createElement("label");
    const name = document.createElement("span");
    name.textContent = axis.name;
    const input = document.createElement("input");
    Object.assign(input, { type: "range", min: "0", max: String(axis.values.length - 1), step: "1", value: "0", className: "sweep-slider" });
    input.dataset.axis = axis.name;
    const shown = document.createElement("output");
    input.addEventListener("input", () => select(a, Number(input.value)));
    row.append(name, input, shown);
    box.append(row);
  });
  if (data.sweep.length) drawGrid(); else $(".grid").hidden = true;
  $(".grid").title = data.sweep.map((axis, a) => `${["across", "up"][a]}: ${axis.name}`).join(", ") + ", darker: lower final loss";
  $(".grid").addEventListener("click", (e) => {
    const rect = e.target.getBoundingClientRect(), [nx, ny] = gridShape();
    const i = Math.floor(((e.clientX - rect.left) / rect.width) * nx), k = Math.floor(((rect.bottom - e.clientY) / rect.height) * ny);
    if (data.sweep.length === 1) select(0, i); else { state.index[0] = i; select(1, k); }
  });
}

const gridShape = () => [sizes[0] || 1, sizes[1] || 1];

function drawGrid() { // the swept grid coloured by series 0's final loss (darker is lower); a dot marks the setting shown
  if (data.sweep.length > 2) return;
  const canvas = $(".grid"), [nx, ny] = gridShape(), cell = Math.max(3, Math.min(12, Math.floor(240 / Math.max(nx, ny))));
  const ctx = sharpCanvas(canvas, nx * cell, ny * cell);
  const finals = runs.final_loss.slice(0, gridSize).map((v) => (v !== null && v > 0 ? Math.log10(v) : v === 0 ? -30 : null));
  const known = finals.filter((v) => v !== null);
  const lo = Math.min(...known), hi = Math.max(...known);
  for (let i = 0; i < nx; i++) for (let k = 0; k < ny; k++) {
    const v = finals[data.sweep.length === 1 ? i : i * ny + k];
    ctx.fillStyle = v === null ? data.theme.background : `hsl(215, 45%, ${20 + 70 * ((v - lo) / (hi - lo || 1))}%)`;
    ctx.fillRect(i * cell, (ny - 1 - k) * cell, cell, cell);
  }
  const [i, k] = [state.index[0], state.index[1] || 0];
  ctx.strokeStyle = data.theme.foreground; ctx.lineWidth = 2;
  ctx.strokeRect(i * cell + 1, (ny - 1 - k) * cell + 1, cell - 2, cell - 2);
}

function select(a, i) {
  state.index[a] = Math.max(0, Math.min(sizes[a] - 1, i));
  root.querySelectorAll(".sweep label").forEach((row, b) => {
    row.querySelector("input").value = String(state.index[b]);
    row.querySelector("output").textContent = fmt(data.sweep[b].values[state.index[b]]);
  });
  const run = runOf(0);
  $(".final").textContent = data.sweep.length ? `final loss ${fmt(runs.final_loss[run])}${runs.diverged[run] ? ` · diverged at step ${runs.diverged[run]}` : ""}` : "";
  if (data.sweep.length) drawGrid();
  show();
}

// ----------------------------------------------------------------------------------- hovering

const tip = $(".tip");

function describe(s, j) {
  const run = runOf(s), p = offsets[run] + j, x = dim === 2 ? [arrays.points[2 * p], arrays.points[2 * p + 1]] : [arrays.points[p]];
  return `${data.series[s].label}\nstep ${stepOf(run, j)}\nx = (${x.map(fmt).join(", ")})\nloss ${fmt(arrays.loss[p])}\n|∇f| ${fmt(arrays.grad_norm[p])}`;
}

function showTip(e, text) {
  if (!text) { tip.hidden = true; return; }
  tip.textContent = text;
  tip.hidden = false;
  tip.style.left = `${e.pageX + 14}px`;
  tip.style.top = `${e.pageY + 10}px`;
}

mapCanvas.addEventListener("mousemove", (e) => {
  const rect = mapCanvas.getBoundingClientRect(), mx = e.clientX - rect.left, my = e.clientY - rect.top;
  let best = null, bestDistance = 144; // within 12 pixels
  data.series.forEach((_, s) => {
    if (state.hidden.has(s)) return;
    const run = runOf(s);
    for (let j = 0; j <= Math.min(state.sample, count(run) - 1); j++) {
      const [px, py] = toPixel(point(run, j)), d = (px - mx) ** 2 + (py - my) ** 2;
      if (d < bestDistance) { bestDistance = d; best = [s, j]; }
    }
  });
  showTip(e, best && describe(...best));
});
panelCanvas.addEventListener("mousemove", (e) => {
  const rect = panelCanvas.getBoundingClientRect(), box = panelBoxes()[0];
  const step = ((e.clientX - rect.left - box.left) / (box.right - box.left)) * data.total;
  const j = data.steps.findIndex((k) => k >= step);
  const shown = data.series.map((_, s) => s).filter((s) => !state.hidden.has(s));
  showTip(e, j < 0 || step < 0 ? "" : shown.map((s) => describe(s, Math.min(j, count(runOf(s)) - 1))).join("\n\n"));
});
for (const el of [mapCanvas, panelCanvas]) el.addEventListener("mouseleave", () => { tip.hidden = true; });

// ------------------------------------------------------------------------ the read-only API

function head(s) { // where series s's head is: its step and map coordinates
  const run = runOf(s), j = Math.min(state.sample, count(run) - 1);
  return { series: s, hidden: state.hidden.has(s), step: stepOf(run, j), point: point(run, j), pixel: toPixel(point(run, j)) };
}

function path(s) { // the points of series s at the setting shown (all of its samples)
  const run = runOf(s);
  return Array.from({ length: count(run) }, (_, j) => [stepOf(run, j), ...point(run, j).slice(0, dim)]);
}

window.optvizExplorer = Object.freeze({ data, head, path, setSample, select, toggle, play, state: () => ({ ...state, hidden: [...state.hidden] }) });

addToggles();
addSweep();
if (data.sweep.length) select(0, 0); else show();
