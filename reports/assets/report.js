// faultline run report: draws the timeline and plots from the JSON in
// <script id="report-data">. No libraries, no network. Errors are written
// into #script-errors (and body[data-script-errors]) so a headless browser
// test can see them; body[data-rendered="yes"] marks a complete render.
(function () {
  'use strict';
  var errorBox = document.getElementById('script-errors');
  function recordError(message) {
    errorBox.hidden = false;
    var d = document.createElement('div');
    d.className = 'script-error';
    d.textContent = 'script error: ' + String(message);
    errorBox.appendChild(d);
    document.body.setAttribute('data-script-errors', String(errorBox.childElementCount));
  }
  window.addEventListener('error', function (e) { recordError(e.message || e); });

  var OUTCOME = ['#2e7d32', '#c62828', '#ef6c00'];  // ok, fail, info
  var FAULT = {partition: '#e57373', packet: '#ffb74d', netem: '#ffb74d', pause: '#90caf9', kill: '#b0bec5',
               clock: '#ce93d8', zombie: '#a1887f'};
  var PALETTE = ['#1565c0', '#c62828', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#5d4037', '#ad1457'];
  function faultColour(f) { return FAULT[f] || '#fff176'; }

  function secs(us) {
    var s = us / 1e6;
    return (Math.abs(s) < 1 ? s.toFixed(3) : s.toFixed(Math.abs(s) < 100 ? 2 : 1)) + ' s';
  }

  // Sizes a canvas to its CSS box at the device's pixel ratio.
  function setup(canvas) {
    var dpr = window.devicePixelRatio || 1;
    var w = Math.max(200, canvas.clientWidth || canvas.parentNode.clientWidth || 800);
    var h = parseInt(canvas.getAttribute('height'), 10) || 200;
    if (canvas.style.height) h = parseInt(canvas.style.height, 10);
    canvas.style.height = h + 'px';
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    var ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = '11px sans-serif';
    return {ctx: ctx, w: w, h: h};
  }

  // Round tick positions between t0 and t1 (µs).
  function ticks(t0, t1, n) {
    var span = Math.max(t1 - t0, 1), raw = span / n;
    var mag = Math.pow(10, Math.floor(Math.log10(raw))), norm = raw / mag;
    var step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
    var out = [], t = Math.ceil(t0 / step) * step;
    for (; t <= t1 && out.length < 50; t += step) out.push(t);
    return out;
  }

  function shade(ctx, windows, x, t0, t1, top, bottom) {
    windows.forEach(function (w) {
      if (w.stop < t0 || w.start > t1) return;
      var a = x(Math.max(w.start, t0)), b = x(Math.min(w.stop, t1));
      ctx.fillStyle = faultColour(w.fault);
      ctx.globalAlpha = 0.25;
      ctx.fillRect(a, top, Math.max(1, b - a), bottom - top);
      ctx.globalAlpha = 1;
    });
  }

  function timeAxis(ctx, x, t0, t1, y, n) {
    ctx.fillStyle = '#555';
    ctx.textAlign = 'center';
    ticks(t0, t1, n).forEach(function (t) { ctx.fillText(secs(t), x(t), y); });
    ctx.textAlign = 'left';
  }

  // A cell's outcome shares as a key: 0 for an empty cell, else 1 + fail
  // sixteenths * 17 + info sixteenths (the rest is ok).
  function shareKey(cnt, cell) {
    var c = cell * 3, ok = cnt[c], fail = cnt[c + 1], info = cnt[c + 2], n = ok + fail + info;
    if (!n) return 0;
    var f = Math.round(16 * fail / n), i = Math.min(16 - f, Math.round(16 * info / n));
    return 1 + f * 17 + i;
  }
  var shareColours = new Map();
  // The outcome colours mixed by those shares.
  function shareColour(key) {
    if (shareColours.has(key)) return shareColours.get(key);
    var f = Math.floor((key - 1) / 17), i = (key - 1) % 17, o = 16 - f - i;
    var rgb = [0, 1, 2].map(function (k) {
      var part = function (hex) { return parseInt(hex.substr(1 + 2 * k, 2), 16); };
      return Math.round((o * part(OUTCOME[0]) + f * part(OUTCOME[1]) + i * part(OUTCOME[2])) / 16);
    });
    var css = 'rgb(' + rgb.join(',') + ')';
    shareColours.set(key, css);
    return css;
  }

  function main() {
    var D = JSON.parse(document.getElementById('report-data').textContent);
    var O = D.ops, N = O.p.length, dur = Math.max(D.duration, 1);
    var S = O.s, E = new Float64Array(N), maxDur = 0, i;
    for (i = 0; i < N; i++) {
      E[i] = O.e[i] < 0 ? dur : O.e[i];
      if (E[i] - S[i] > maxDur) maxDur = E[i] - S[i];
    }
    // Operations by start time (the history is nearly sorted already).
    var order = new Uint32Array(N);
    for (i = 0; i < N; i++) order[i] = i;
    var sorted = true;
    for (i = 1; i < N && sorted; i++) sorted = S[i - 1] <= S[i];
    if (!sorted) order = Uint32Array.from(Array.prototype.slice.call(order).sort(function (a, b) { return S[a] - S[b]; }));
    // One row per client worker when the worker count is known (process ids
    // of a worker differ by multiples of it), else one per process.
    var workers = D.workers > 0 ? D.workers : 0;
    function laneOf(p) { return workers ? p % workers : p; }
    var procs = Array.from(new Set(Array.prototype.map.call(O.p, laneOf))).sort(function (a, b) { return a - b; });
    var lane = new Map(), rowOf = {get: function (p) { return lane.get(laneOf(p)); }};
    procs.forEach(function (p, r) { lane.set(p, r); });
    var laneName = workers ? 'W' : 'P';
    var witness = new Set();
    D.anomalies.forEach(function (a) { a.ops.forEach(function (ix) { witness.add(ix); }); });

    // ---- timeline -------------------------------------------------------
    var canvas = document.getElementById('timeline'), tip = document.getElementById('tooltip');
    var rows = Math.max(procs.length, 1);
    var rowH = Math.max(1, Math.min(14, Math.floor(400 / rows)));
    var LEFT = 56, TOP = 22, RIGHT = 10;
    canvas.style.height = (TOP + rows * rowH + 8) + 'px';
    var view = {t0: 0, t1: dur}, hits = null, drag = null, plotW = 0;
    function xOf(t) { return LEFT + (t - view.t0) / (view.t1 - view.t0) * plotW; }
    function tOf(px) { return view.t0 + (px - LEFT) / plotW * (view.t1 - view.t0); }
    function firstFrom(t) {  // first position in `order` whose start >= t
      var lo = 0, hi = N;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (S[order[mid]] < t) lo = mid + 1; else hi = mid; }
      return lo;
    }
    function drawTimeline() {
      var c = setup(canvas), ctx = c.ctx;
      plotW = c.w - LEFT - RIGHT;
      var bottom = TOP + rows * rowH;
      shade(ctx, D.windows, xOf, view.t0, view.t1, TOP, bottom);
      timeAxis(ctx, xOf, view.t0, view.t1, 12, 8);
      ctx.fillStyle = '#333';
      var every = Math.ceil(12 / rowH);
      for (var r = 0; r < rows; r += every) if (procs.length) ctx.fillText(laneName + procs[r], 2, TOP + r * rowH + Math.min(rowH, 11));
      var from = firstFrom(view.t0 - maxDur), to = firstFrom(view.t1 + 1), visible = [];
      for (var k = from; k < to; k++) { var j = order[k]; if (E[j] >= view.t0) visible.push(j); }
      var h = Math.max(1, rowH - (rowH > 3 ? 1 : 0)), marks = [];
      if (visible.length > 5000) {
        // Level of detail: one cell per pixel column and row, coloured by
        // the share of each outcome among the operations in it (in
        // sixteenths), so one failure among thousands of oks stays green and
        // only a window where most operations failed turns red; runs of
        // equal colour are drawn as one rect.
        hits = null;
        var W = Math.ceil(plotW), cnt = new Uint32Array(rows * W * 3);
        visible.forEach(function (j) {
          var row = rowOf.get(O.p[j]);
          var a = Math.max(0, Math.floor(xOf(S[j]) - LEFT)), b = Math.min(W - 1, Math.floor(xOf(E[j]) - LEFT));
          var base = row * W, t = O.t[j];
          for (var x = a; x <= b; x++) cnt[(base + x) * 3 + t]++;
          if (witness.has(O.i[j])) marks.push(j);
        });
        var failCells = 0, mostlyFailCells = 0;
        for (var row = 0; row < rows; row++) {
          var base = row * W, x = 0;
          while (x < W) {
            var v = shareKey(cnt, base + x);
            if (!v) { x++; continue; }
            var start = x;
            while (x < W && shareKey(cnt, base + x) === v) {
              var c = (base + x) * 3;
              if (cnt[c + 1]) failCells++;
              if (2 * cnt[c + 1] > cnt[c] + cnt[c + 1] + cnt[c + 2]) mostlyFailCells++;
              x++;
            }
            ctx.fillStyle = shareColour(v);
            ctx.fillRect(LEFT + start, TOP + row * rowH, x - start, h);
          }
        }
        // What the aggregated view showed, for tests and tooling.
        canvas.setAttribute('data-fail-cells', String(failCells));
        canvas.setAttribute('data-mostly-fail-cells', String(mostlyFailCells));
      } else {
        hits = [];
        visible.forEach(function (j) {
          var row = rowOf.get(O.p[j]), a = xOf(Math.max(S[j], view.t0)), b = xOf(Math.min(E[j], view.t1));
          var y = TOP + row * rowH;
          ctx.fillStyle = OUTCOME[O.t[j]];
          ctx.fillRect(a, y, Math.max(1, b - a), h);
          hits.push([a, y, Math.max(2, b - a), h, j]);
          if (witness.has(O.i[j])) marks.push(j);
        });
      }
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 1.5;
      marks.forEach(function (j) {
        var a = xOf(Math.max(S[j], view.t0)), b = xOf(Math.min(E[j], view.t1));
        ctx.strokeRect(a - 1, TOP + rowOf.get(O.p[j]) * rowH - 1, Math.max(3, b - a + 2), h + 2);
      });
      if (drag && drag.x1 !== undefined && !drag.pan) {
        ctx.fillStyle = 'rgba(21,101,192,0.15)';
        ctx.fillRect(Math.min(drag.x0, drag.x1), TOP, Math.abs(drag.x1 - drag.x0), bottom - TOP);
      }
      document.getElementById('timeline-range').textContent =
        secs(view.t0) + ' – ' + secs(view.t1) + ', ' + visible.length + ' operations' +
        (hits ? '' : ' (aggregated per pixel; zoom in for single operations)');
      canvas.setAttribute('data-visible-ops', String(visible.length));
    }
    function zoomTo(t0, t1) {
      var min = 1000;
      if (t1 - t0 < min) { var mid = (t0 + t1) / 2; t0 = mid - min / 2; t1 = mid + min / 2; }
      view.t0 = Math.max(-dur * 0.05, t0);
      view.t1 = Math.min(dur * 1.05, t1);
      drawTimeline();
      // The range goes into the address (#t=1.25-3.5, seconds), so a zoomed
      // view can be shared as a link; some browsers refuse this for file://.
      try {
        history.replaceState(null, '', '#t=' + (view.t0 / 1e6).toFixed(6) + '-' + (view.t1 / 1e6).toFixed(6));
      } catch (e) { /* the view still works without the link */ }
    }
    function zoomBy(f, at) {
      if (at === undefined) at = (view.t0 + view.t1) / 2;
      zoomTo(at - (at - view.t0) * f, at + (view.t1 - at) * f);
    }
    function localX(e) { return e.clientX - canvas.getBoundingClientRect().left; }
    function localY(e) { return e.clientY - canvas.getBoundingClientRect().top; }
    canvas.addEventListener('mousedown', function (e) {
      drag = {x0: localX(e), pan: e.shiftKey, t0: view.t0, t1: view.t1};
    });
    canvas.addEventListener('mousemove', function (e) {
      var x = localX(e), y = localY(e);
      if (drag) {
        drag.x1 = x;
        if (drag.pan) {
          var dt = (drag.x0 - x) / plotW * (drag.t1 - drag.t0);
          view.t0 = drag.t0 + dt; view.t1 = drag.t1 + dt;
        }
        drawTimeline();
        return;
      }
      var text = '';
      if (hits) {
        for (var k = 0; k < hits.length; k++) {
          var hh = hits[k];
          if (x >= hh[0] && x <= hh[0] + hh[2] && y >= hh[1] && y <= hh[1] + hh[3]) {
            var j = hh[4];
            text = 'P' + O.p[j] + ' ' + D.fnames[O.f[j]] + (O.k[j] >= 0 ? ' ' + D.keys[O.k[j]] : '') + ' ' + O.v[j] +
              ' (' + ['ok', 'fail', 'info'][O.t[j]] + ') ' + secs(S[j]) + ' – ' + (O.e[j] < 0 ? 'never completed' : secs(E[j])) +
              ', node ' + D.nodes[O.n[j]] + ', index ' + O.i[j];
            break;
          }
        }
      } else if (x > LEFT) {
        var row = Math.floor((y - TOP) / rowH);
        if (row >= 0 && row < procs.length) text = (workers ? 'worker ' : 'P') + procs[row] + ' at ' + secs(tOf(x)) + ': zoom in for single operations';
      }
      tip.hidden = !text;
      tip.textContent = text;
      tip.style.left = Math.min(x + 12, canvas.clientWidth - 320) + 'px';
      tip.style.top = (y + 14) + 'px';
    });
    window.addEventListener('mouseup', function (e) {
      if (!drag) return;
      var d = drag;
      drag = null;
      if (!d.pan && d.x1 !== undefined && Math.abs(d.x1 - d.x0) > 4) {
        zoomTo(tOf(Math.min(d.x0, d.x1)), tOf(Math.max(d.x0, d.x1)));
      } else {
        drawTimeline();
      }
    });
    canvas.addEventListener('mouseleave', function () { tip.hidden = true; });
    canvas.addEventListener('wheel', function (e) {
      e.preventDefault();
      zoomBy(e.deltaY > 0 ? 1.25 : 0.8, tOf(localX(e)));
    }, {passive: false});
    document.getElementById('zoom-in').addEventListener('click', function () { zoomBy(0.5); });
    document.getElementById('zoom-out').addEventListener('click', function () { zoomBy(2); });
    document.getElementById('zoom-reset').addEventListener('click', function () { zoomTo(0, dur); });
    Array.prototype.forEach.call(document.querySelectorAll('.show-in-timeline'), function (link) {
      link.addEventListener('click', function () {
        var a = D.anomalies[parseInt(link.getAttribute('data-anomaly'), 10)];
        var pad = Math.max((a.to - a.from) * 0.5, 50000);
        zoomTo(a.from - pad, a.to + pad);
      });
    });

    // ---- plots ------------------------------------------------------------
    var B = D.buckets, nb = B.ok.length, bw = Math.max(B.width, 1);
    function frame(id, yMin, yMax, log, yLabel) {
      var canvas = document.getElementById(id), c = setup(canvas), ctx = c.ctx;
      var L = 56, R = 10, T = 8, Bm = 22, w = c.w - L - R, h = c.h - T - Bm;
      // Log scale padded around the data, at least one decade tall.
      var lmin = Math.log10(Math.max(yMin, 1e-3)) - 0.15, lmax = Math.log10(Math.max(yMax, 1e-3)) + 0.15;
      if (lmax - lmin < 1) { var mid = (lmin + lmax) / 2; lmin = mid - 0.5; lmax = mid + 0.5; }
      var f = {
        ctx: ctx,
        x: function (t) { return L + Math.max(0, Math.min(1, t / dur)) * w; },  // bucket centres may pass the end
        y: function (v) {
          var r = log ? (Math.log10(Math.max(v, 1e-3)) - lmin) / (lmax - lmin) : (v - yMin) / ((yMax - yMin) || 1);
          return T + h - Math.max(0, Math.min(1, r)) * h;
        }
      };
      shade(ctx, D.windows, f.x, 0, dur, T, T + h);
      ctx.strokeStyle = '#999';
      ctx.strokeRect(L, T, w, h);
      timeAxis(ctx, f.x, 0, dur, T + h + 15, 10);
      ctx.fillStyle = '#555';
      var labels = log ? [] : [yMin, (yMin + yMax) / 2, yMax];
      if (log) for (var p = Math.ceil(lmin); p <= Math.floor(lmax); p++) labels.push(Math.pow(10, p));
      labels.forEach(function (v) { ctx.fillText(String(+v.toPrecision(3)), 2, f.y(v) + 4); });
      if (yLabel) ctx.fillText(yLabel, L + 4, T + 12);
      return f;
    }
    function line(f, points, colour, step) {
      if (!points.length) return;
      f.ctx.strokeStyle = colour;
      f.ctx.lineWidth = 1.5;
      f.ctx.beginPath();
      points.forEach(function (pt, k) {
        var x = f.x(pt[0]), y = f.y(pt[1]);
        if (k === 0) f.ctx.moveTo(x, y);
        else {
          if (step) f.ctx.lineTo(x, f.y(points[k - 1][1]));
          f.ctx.lineTo(x, y);
        }
      });
      f.ctx.stroke();
    }
    function legend(f, items, x) {
      items.forEach(function (it, k) {
        f.ctx.fillStyle = it[1];
        f.ctx.fillText(it[0], x + k * 70, 20);
      });
    }

    // Latency: every ok operation as a dot, quantiles per bucket as lines.
    var lo = Infinity, hi = 0;
    for (i = 0; i < N; i++) if (O.t[i] === 0) { var l = (E[i] - S[i]) / 1000; if (l < lo) lo = l; if (l > hi) hi = l; }
    if (!isFinite(lo)) { lo = 0.1; hi = 10; }
    var lat = frame('plot-latency', Math.max(lo, 0.01), Math.max(hi, 0.1), true, '');
    lat.ctx.fillStyle = 'rgba(21,101,192,0.25)';
    for (i = 0; i < N; i++) if (O.t[i] === 0) lat.ctx.fillRect(lat.x(E[i]) - 0.75, lat.y((E[i] - S[i]) / 1000) - 0.75, 1.5, 1.5);
    [['p50', '#2e7d32'], ['p95', '#ef6c00'], ['p99', '#c62828']].forEach(function (q) {
      var pts = [];
      for (var b = 0; b < nb; b++) if (B[q[0]][b] > 0) pts.push([(b + 0.5) * bw, B[q[0]][b]]);
      line(lat, pts, q[1], false);
    });
    legend(lat, [['p50', '#2e7d32'], ['p95', '#ef6c00'], ['p99', '#c62828']], 80);

    // Throughput by outcome.
    var perS = 1e6 / bw, tmax = 1;
    for (var b = 0; b < nb; b++) tmax = Math.max(tmax, (B.ok[b] + B.fail[b] + B.info[b]) * perS);
    var thr = frame('plot-throughput', 0, tmax, false, '');
    [['ok', OUTCOME[0]], ['fail', OUTCOME[1]], ['info', OUTCOME[2]]].forEach(function (s) {
      var pts = [];
      for (var b2 = 0; b2 < nb; b2++) pts.push([(b2 + 0.5) * bw, B[s[0]][b2] * perS]);
      line(thr, pts, s[1], false);
    });
    legend(thr, [['ok', OUTCOME[0]], ['fail', OUTCOME[1]], ['info', OUTCOME[2]]], 80);

    // Clock offsets, as steps from the clock fault windows.
    // The page has the panel only when the run had clock faults.
    var clockNodes = Object.keys(D.clock);
    if (clockNodes.length && document.getElementById('plot-clock')) {
      var cmin = 0, cmax = 0;
      clockNodes.forEach(function (n) { D.clock[n].forEach(function (p) { cmin = Math.min(cmin, p[1]); cmax = Math.max(cmax, p[1]); }); });
      var clk = frame('plot-clock', cmin, cmax === cmin ? cmin + 1 : cmax, false, '');
      clockNodes.forEach(function (n, k) {
        var pts = [[0, 0]].concat(D.clock[n]);
        pts.push([dur, pts[pts.length - 1][1]]);
        line(clk, pts, PALETTE[k % PALETTE.length], true);
      });
      legend(clk, clockNodes.map(function (n, k) { return [n, PALETTE[k % PALETTE.length]]; }), 80);
    }

    // Membership: one row per (observer, member), coloured by state until the next change.
    var mcanvas = document.getElementById('plot-membership');
    if (!D.membership.length) {
      mcanvas.hidden = true;
      document.getElementById('membership-empty').hidden = false;
    } else {
      var pairs = [], idx = new Map();
      D.membership.forEach(function (m) {
        var key = m[1] + ' sees ' + m[2];
        if (!idx.has(key)) { idx.set(key, pairs.length); pairs.push({key: key, changes: []}); }
        pairs[idx.get(key)].changes.push(m);
      });
      var mh = Math.max(3, Math.min(16, Math.floor(300 / pairs.length)));
      mcanvas.style.height = (pairs.length * mh + 34) + 'px';
      var mf = frame('plot-membership', 0, 1, false, ''), MT = 8;
      var STATE = {alive: '#66bb6a', suspect: '#ffa726', dead: '#e53935', left: '#78909c'};
      pairs.forEach(function (p, r) {
        mf.ctx.fillStyle = '#333';
        if (mh >= 9) mf.ctx.fillText(p.key, 2, MT + r * mh + mh - 2);
        p.changes.forEach(function (m, k) {
          var end = k + 1 < p.changes.length ? p.changes[k + 1][0] : dur;
          mf.ctx.fillStyle = STATE[m[3]] || '#9e9e9e';
          mf.ctx.fillRect(mf.x(m[0]), MT + r * mh + 1, Math.max(1, mf.x(end) - mf.x(m[0])), mh - 2);
        });
      });
    }

    // Which colour is which fault.
    var legendBox = document.getElementById('fault-legend'), seen = {};
    D.windows.forEach(function (w) {
      if (seen[w.fault]) return;
      seen[w.fault] = true;
      var span = document.createElement('span');
      span.style.background = faultColour(w.fault);
      span.className = 'fault-chip';
      span.textContent = w.fault;
      legendBox.appendChild(span);
    });

    var linked = /^#t=(-?[0-9.]+)-(-?[0-9.]+)$/.exec(location.hash);
    if (linked && +linked[2] > +linked[1]) {
      view.t0 = +linked[1] * 1e6;
      view.t1 = +linked[2] * 1e6;
    }
    drawTimeline();
    var pending = null;
    window.addEventListener('resize', function () {
      clearTimeout(pending);
      pending = setTimeout(drawTimeline, 100);
    });
  }

  try {
    var started = performance.now();
    main();
    document.body.setAttribute('data-render-ms', String(Math.round(performance.now() - started)));
    document.body.setAttribute('data-rendered', 'yes');
  } catch (e) {
    recordError(e && e.stack ? e.stack : e);
  }
})();
