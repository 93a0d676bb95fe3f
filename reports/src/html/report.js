// dsim report: draws the space-time diagram and the history timeline from
// the JSON in #dsim-data. Text reaches the page through textContent only.
"use strict";
(function () {
  const body = document.body;
  window.addEventListener("error", function (e) {
    body.setAttribute("data-error", String(e.message));
  });
  const D = JSON.parse(document.getElementById("dsim-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const K = {};
  D.kinds.forEach(function (name, i) { K[name] = i; });
  // A record: [step, time, kind, lane, from, to, msg, other time, text, reason?]
  const R = D.records;
  const LANE_H = 26, TOP = 22, LEFT = 56, RIGHT = 16;
  const view = { lo: D.view[0], hi: D.view[1] };
  const home = { lo: D.view[0], hi: D.view[1] };
  const first = R.length ? R[0][1] : 0;
  const last = R.length ? Math.max(R[R.length - 1][1], D.end_ns) : D.end_ns;
  const MAX_SHAPES = 20000;
  let selected = null;

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function title(e, text) { el("title", {}, e).textContent = text; }
  function fmt(ns) {
    if (ns >= 1e9) return (ns / 1e9).toFixed(3).replace(/\.?0+$/, "") + "s";
    if (ns >= 1e6) return (ns / 1e6).toFixed(3).replace(/\.?0+$/, "") + "ms";
    if (ns >= 1e3) return (ns / 1e3).toFixed(1).replace(/\.0$/, "") + "µs";
    return ns + "ns";
  }
  function width() { return Math.max(600, (document.getElementById("diagram").clientWidth || 1200) - 2); }
  function x(t, w) { return LEFT + (t - view.lo) / (view.hi - view.lo) * (w - LEFT - RIGHT); }
  function laneName(i) { return i >= 0 && i < D.lanes.length ? D.lanes[i] : "?"; }
  function laneY(i) { return TOP + i * LANE_H + LANE_H / 2; }

  function axis(svg, w, h) {
    const span = view.hi - view.lo;
    const step = Math.pow(10, Math.floor(Math.log10(span / 8 || 1)));
    const mult = span / step > 40 ? 5 : span / step > 20 ? 2 : 1;
    const every = step * mult;
    for (let t = Math.ceil(view.lo / every) * every; t <= view.hi; t += every) {
      const xx = x(t, w);
      el("line", { x1: xx, x2: xx, y1: TOP - 4, y2: h, class: "tick" }, svg);
      el("text", { x: xx + 2, y: 12, class: "axis" }, svg).textContent = fmt(t);
    }
  }

  function lanesOf(svg, w, names) {
    names.forEach(function (name, i) {
      el("line", { x1: LEFT, x2: w - RIGHT, y1: laneY(i), y2: laneY(i), class: "lane-line" }, svg);
      el("text", { x: 4, y: laneY(i) + 4, class: "lane-label" }, svg).textContent = name;
    });
  }

  function spanRect(svg, w, a, b, lane, cls, label) {
    if (b < view.lo || a > view.hi) return;
    const x1 = Math.max(LEFT, x(a, w)), x2 = Math.min(w - RIGHT, x(b, w));
    const r = el("rect", { x: x1, y: TOP + lane * LANE_H + 2, width: Math.max(1, x2 - x1), height: LANE_H - 4, class: cls }, svg);
    title(r, label + " (" + fmt(a) + " .. " + fmt(b) + ")");
  }

  function evClass(kind) {
    const n = D.kinds[kind];
    if (["deliver", "send", "timer", "observe", "invoke", "complete", "timeout", "crash", "restart", "pause", "resume", "clock"].indexOf(n) >= 0) return n;
    return "other";
  }

  function select(i, shape) {
    if (selected) selected.classList.remove("selected");
    selected = shape;
    if (shape) shape.classList.add("selected");
    const r = R[i];
    const box = document.getElementById("details");
    box.textContent = "";
    const head = document.createElement("p");
    head.className = "here";
    head.textContent = "step " + r[0] + "  " + fmt(r[1]) + "  " + laneName(r[3]) + "  " + D.kinds[r[2]] + "  " + r[8];
    box.appendChild(head);
    const facts = [];
    if (r[6] !== null) facts.push("message #" + r[6]);
    if (r[4] >= 0) facts.push("from " + laneName(r[4]));
    if (r[5] >= 0) facts.push("to " + laneName(r[5]));
    if (r[7] !== null) facts.push((D.kinds[r[2]] === "deliver" || D.kinds[r[2]] === "drop" ? "sent " : "due ") + fmt(r[7]));
    if (r[9]) facts.push("dropped: " + r[9]);
    if (facts.length) { const p = document.createElement("p"); p.textContent = facts.join(", "); box.appendChild(p); }
    // What the process observed around it: its observations nearest in the trace.
    const lane = r[3];
    const before = [], after = [];
    for (let j = i - 1; j >= 0 && before.length < 4; j--) if (R[j][3] === lane && R[j][2] === K.observe) before.unshift(j);
    for (let j = i + 1; j < R.length && after.length < 4; j++) if (R[j][3] === lane && R[j][2] === K.observe) after.push(j);
    const h = document.createElement("p");
    h.textContent = before.length + after.length ? "what " + laneName(lane) + " observed around it:" : laneName(lane) + " observed nothing nearby";
    box.appendChild(h);
    before.concat(after).forEach(function (j) {
      const p = document.createElement("p");
      p.className = "obs";
      p.textContent = (j < i ? "before " : "after ") + "step " + R[j][0] + "  " + fmt(R[j][1]) + "  " + R[j][8];
      box.appendChild(p);
    });
  }

  function drawDiagram() {
    const host = document.getElementById("diagram");
    host.textContent = "";
    const w = width();
    const h = TOP + D.lanes.length * LANE_H + 6;
    const svg = el("svg", { width: w, height: h, id: "spacetime", "data-lanes": D.lanes.length,
      "data-window": view.lo + "," + view.hi }, host);
    axis(svg, w, h);
    D.spans.cuts.forEach(function (c) {
      c[2].forEach(function (ls) { spanRect(svg, w, c[0], c[1], ls[0], "cut side" + ls[1], c[3] + " (side " + (ls[1] + 1) + ")"); });
    });
    D.spans.down.forEach(function (s) { spanRect(svg, w, s[0], s[1], s[2], "down", "down"); });
    D.spans.paused.forEach(function (s) { spanRect(svg, w, s[0], s[1], s[2], "paused", "paused"); });
    lanesOf(svg, w, D.lanes);
    const vstep = D.violation ? D.violation.step : -1;
    let arrows = 0, shapes = 0, skipped = 0;
    // Arrows from sends before the window start at its left edge.
    const clip = el("clipPath", { id: "plot" }, el("defs", {}, svg));
    el("rect", { x: LEFT, y: 0, width: w - LEFT - RIGHT, height: h }, clip);
    const arrowLayer = el("g", { id: "arrows", "clip-path": "url(#plot)" }, svg);
    const evLayer = el("g", { id: "events" }, svg);
    for (let i = 0; i < R.length; i++) {
      const r = R[i];
      const kind = D.kinds[r[2]];
      const t = r[1];
      if (kind === "deliver") {
        if (t < view.lo || t > view.hi) continue;
        if (shapes >= MAX_SHAPES) { skipped++; continue; }
        const sent = r[7] === null ? t : r[7];
        const a = el("line", { x1: x(sent, w), y1: laneY(r[4]), x2: x(t, w), y2: laneY(r[3]),
          class: "msg" + (r[0] === vstep ? " violating" : ""), "data-msg": r[6] === null ? "" : r[6], "marker-end": "url(#head)" }, arrowLayer);
        title(a, "#" + r[6] + " " + laneName(r[4]) + " -> " + laneName(r[3]) + ": " + r[8]);
        a.addEventListener("click", select.bind(null, i, a));
        arrows++; shapes++;
        continue;
      }
      if (t < view.lo || t > view.hi) continue;
      if (kind === "drop") {
        if (shapes >= MAX_SHAPES) { skipped++; continue; }
        // Dropped at the sender (partition, loss, no link): a stub towards
        // the receiver, crossed out; dropped at a down receiver: a cross on it.
        const atSender = r[9] !== "receiver-down" && r[9] !== "receiver-crashed";
        const y1 = laneY(r[4]), y2 = laneY(r[5]);
        const xx = x(t, w);
        const ex = atSender ? xx + 12 : xx, ey = atSender ? y1 + (y2 - y1) * 0.35 : y2;
        if (atSender) el("line", { x1: xx, y1: y1, x2: ex, y2: ey, class: "drop-line" }, arrowLayer);
        const g = el("g", { class: "drop" + (r[0] === vstep ? " violating" : ""), "data-msg": r[6] === null ? "" : r[6] }, evLayer);
        el("line", { x1: ex - 4, y1: ey - 4, x2: ex + 4, y2: ey + 4 }, g);
        el("line", { x1: ex - 4, y1: ey + 4, x2: ex + 4, y2: ey - 4 }, g);
        title(g, "dropped #" + r[6] + " " + laneName(r[4]) + " -> " + laneName(r[5]) + " [" + r[9] + "]: " + r[8]);
        g.addEventListener("click", select.bind(null, i, g));
        shapes++;
        continue;
      }
      if (r[3] < 0 || kind === "send" || kind === "held" || kind === "verdict" || kind === "end") continue;
      if (shapes >= MAX_SHAPES) { skipped++; continue; }
      const cls = "ev " + evClass(r[2]) + (r[0] === vstep ? " violating" : "");
      const xx = x(t, w), yy = laneY(r[3]);
      let shape;
      if (kind === "crash" || kind === "restart" || kind === "pause" || kind === "resume" || kind === "clock") {
        shape = el("path", { d: "M" + xx + " " + (yy - 8) + "l6 8l-6 8l-6 -8z", class: cls }, evLayer);
      } else {
        shape = el("circle", { cx: xx, cy: yy, r: kind === "observe" ? 2.5 : 3.5, class: cls }, evLayer);
      }
      title(shape, "step " + r[0] + " " + fmt(t) + " " + laneName(r[3]) + " " + kind + ": " + r[8]);
      shape.addEventListener("click", select.bind(null, i, shape));
      shapes++;
    }
    D.spans.clocks.forEach(function (c) {
      if (c[0] < view.lo || c[0] > view.hi || c[1] < 0) return;
      const m = el("text", { x: x(c[0], w) - 5, y: laneY(c[1]) - 8, class: "axis" }, evLayer);
      m.textContent = "⏱";
      title(m, c[2]);
    });
    if (D.violation && D.violation.time_ns >= view.lo && D.violation.time_ns <= view.hi) {
      const vx = x(D.violation.time_ns, w);
      const v = el("line", { x1: vx, x2: vx, y1: TOP - 6, y2: h, class: "violation-line" }, svg);
      title(v, "the violation, step " + D.violation.step);
    }
    const defs = el("defs", {}, svg);
    const head = el("marker", { id: "head", markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: "auto" }, defs);
    el("path", { d: "M0 0L8 4L0 8z", fill: "#3a6fd8" }, head);
    svg.setAttribute("data-arrows", arrows);
    let note = "showing " + fmt(view.lo) + " .. " + fmt(view.hi) + ", " + arrows + " delivered message(s)";
    if (skipped) note += "; " + skipped + " more not drawn: zoom in";
    if (D.omitted.before || D.omitted.after) note += "; this file holds records " + (D.omitted.before + 1) + ".." + (D.omitted.before + R.length) + " of the run (write the whole trace with --trace FILE)";
    document.getElementById("window-note").textContent = note;
    return arrows;
  }

  function drawTimeline() {
    const host = document.getElementById("timeline");
    host.textContent = "";
    const ops = D.operations;
    if (!ops.length) { host.textContent = "no client operations"; return 0; }
    const w = width();
    const lanes = [];
    const row = {};
    ops.forEach(function (o) { if (!(o[0] in row)) { row[o[0]] = lanes.length; lanes.push(o[0]); } });
    const h = TOP + lanes.length * LANE_H + 6;
    const svg = el("svg", { width: w, height: h, id: "history" }, host);
    axis(svg, w, h);
    lanesOf(svg, w, lanes.map(laneName));
    const ce = D.counterexample;
    const order = {};
    if (ce) ce.prefix.forEach(function (idx, n) { order[idx] = n + 1; });
    let bars = 0;
    ops.forEach(function (o) {
      const end = o[2] === null ? last : o[2];
      if (end < view.lo || o[1] > view.hi) return;
      const x1 = Math.max(LEFT, x(o[1], w)), x2 = Math.min(w - RIGHT, x(end, w));
      const y = TOP + row[o[0]] * LANE_H + 4;
      let cls = "op " + o[3];
      if (ce && o[5] === ce.blocked) cls += " blocked";
      else if (ce && ce.candidates.indexOf(o[5]) >= 0) cls += " candidate";
      const bar = el("rect", { x: x1, y: y, width: Math.max(2, x2 - x1), height: LANE_H - 8, class: cls, "data-op": o[5] }, svg);
      let tip = laneName(o[0]) + " " + o[4] + " (" + o[3] + ", " + fmt(o[1]) + " .. " + (o[2] === null ? "never completed" : fmt(o[2])) + ")";
      if (order[o[5]]) tip += "; linearized as number " + order[o[5]];
      if (ce && o[5] === ce.blocked) tip += "; cannot be linearized after the longest order found";
      if (ce && ce.candidates.indexOf(o[5]) >= 0) tip += "; a candidate that could have come next";
      title(bar, tip);
      if (x2 - x1 > 40) el("text", { x: x1 + 3, y: y + LANE_H - 12, class: "op-label" }, svg).textContent = o[4].slice(0, Math.floor((x2 - x1) / 6));
      if (order[o[5]] && x2 - x1 > 8) el("text", { x: x1 + 1, y: y - 1, class: "lin-order" }, svg).textContent = order[o[5]];
      bars++;
    });
    svg.setAttribute("data-bars", bars);
    return bars;
  }

  function legend() {
    const l = document.getElementById("legend");
    [["arrow", "a delivered message (dashed: the network's second copy)"], ["✕", "a dropped message"],
     ["◆", "crash, restart, pause, resume, clock change"], ["grey", "down"], ["yellow", "paused"],
     ["pink / blue / green", "the sides of a partition"], ["red line", "the violation"]].forEach(function (p) {
      const s = document.createElement("span");
      s.textContent = p[0] + ": " + p[1];
      l.appendChild(s);
    });
  }

  function draw() {
    const arrows = drawDiagram();
    const bars = drawTimeline();
    body.setAttribute("data-arrows", arrows);
    body.setAttribute("data-bars", bars);
  }

  function zoom(factor, at) {
    const span = view.hi - view.lo;
    const centre = at === undefined ? (view.lo + view.hi) / 2 : at;
    let lo = centre - (centre - view.lo) * factor, hi = lo + span * factor;
    if (hi - lo < 1000) return;
    lo = Math.max(Math.min(first, 0), lo);
    hi = Math.min(Math.max(last, hi > last ? last : hi), hi);
    view.lo = Math.floor(lo); view.hi = Math.ceil(Math.max(hi, lo + 1000));
    draw();
  }

  function hook(id, f) { document.getElementById(id).addEventListener("click", f); }
  hook("zoom-in", function () { zoom(0.5); });
  hook("zoom-out", function () { zoom(2); });
  hook("widen", function () {
    const span = view.hi - view.lo;
    view.lo = Math.max(0, view.lo - span); view.hi = Math.min(last, view.hi + span);
    draw();
  });
  hook("whole", function () { view.lo = 0; view.hi = Math.max(last, 1); draw(); });
  hook("to-violation", function () { view.lo = home.lo; view.hi = home.hi; draw(); });
  ["diagram", "timeline"].forEach(function (id) {
    const host = document.getElementById(id);
    host.addEventListener("wheel", function (e) {
      e.preventDefault();
      const rect = host.getBoundingClientRect();
      const w = width();
      const t = view.lo + (e.clientX - rect.left - LEFT) / (w - LEFT - RIGHT) * (view.hi - view.lo);
      zoom(e.deltaY < 0 ? 0.8 : 1.25, t);
    }, { passive: false });
    let drag = null;
    host.addEventListener("mousedown", function (e) { drag = { x: e.clientX, lo: view.lo, hi: view.hi }; });
    window.addEventListener("mouseup", function () { drag = null; });
    window.addEventListener("mousemove", function (e) {
      if (!drag) return;
      const dt = (e.clientX - drag.x) / (width() - LEFT - RIGHT) * (drag.hi - drag.lo);
      if (Math.abs(e.clientX - drag.x) < 3) return;
      view.lo = drag.lo - dt; view.hi = drag.hi - dt;
      draw();
    });
  });

  // A link can open a given window and event: #view=LO,HI&step=N (virtual
  // ns, and a step whose first drawn record is selected).
  function fromHash() {
    const params = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      const i = kv.indexOf("=");
      if (i > 0) params[kv.slice(0, i)] = kv.slice(i + 1);
    });
    if (params.view) {
      const v = params.view.split(",").map(Number);
      if (v.length === 2 && isFinite(v[0]) && isFinite(v[1]) && v[1] > v[0]) { view.lo = v[0]; view.hi = v[1]; }
    }
    return params.step === undefined ? null : Number(params.step);
  }

  legend();
  const step = fromHash();
  draw();
  if (step !== null) {
    for (let i = 0; i < R.length; i++) {
      if (R[i][0] === step && R[i][3] >= 0) { select(i, null); break; }
    }
  }
  body.setAttribute("data-rendered", "ok");
})();
