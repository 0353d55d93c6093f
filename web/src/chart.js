// A service's history chart (uPlot): replicas and running tasks on the left axis, waiting
// messages on the right one, latency (seconds) as a series to switch on in the legend. uPlot is
// loaded on first use; if it cannot be, the chart says so and the rest of the page is unaffected.

import { h, fill } from './dom.js';

let uPlotLoad = null;

function loadUPlot() {
  uPlotLoad ??= import('./uplot.js').then((m) => m.default);
  return uPlotLoad;
}

const HEIGHT = 260;

function cssColor(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function options(uPlot, width) {
  const text = cssColor('--fg', '#222');
  const grid = cssColor('--grid', '#ddd');
  const stepped = uPlot.paths.stepped({ align: 1 });
  const axis = (extra) => ({ stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, ...extra });
  return {
    width,
    height: HEIGHT,
    scales: {
      // At least a minute wide, so that the first samples do not spread over sub-second ticks.
      x: { time: true, range: (u, min, max) => [Math.min(min, max - 60), max] },
      n: { range: (u, min, max) => [0, Math.max(2, max + 1)] }, w: { range: (u, min, max) => [0, Math.max(10, max * 1.1)] }, s: {} },
    axes: [
      axis({}),
      axis({ scale: 'n', label: 'replicas' }),
      axis({ scale: 'w', side: 1, label: 'waiting', grid: { show: false } }),
    ],
    // One sample per cycle: points would hide the lines.
    series: [
      {},
      // Replica counts change in steps, at the cycle that changed them.
      { label: 'replicas', scale: 'n', stroke: cssColor('--replicas', '#2563eb'), width: 2, paths: stepped },
      { label: 'running', scale: 'n', stroke: cssColor('--running', '#16a34a'), width: 1, dash: [4, 3], paths: stepped },
      { label: 'waiting', scale: 'w', stroke: cssColor('--waiting', '#d97706'), width: 1.5 },
      { label: 'latency (s)', scale: 's', stroke: cssColor('--latency', '#9333ea'), width: 1, show: false },
    ].map((series, i) => (i === 0 ? series : { ...series, points: { show: false } })),
    legend: { live: true },
  };
}

// uPlot's columns of `points` ({t, replicas, running, waiting, latency}); an infinite latency
// (nothing drains the queue) is left out.
function columns(points) {
  const finite = (v) => (v !== null && Number.isFinite(v) ? v : null);
  return [
    points.map((p) => p.t),
    points.map((p) => p.replicas),
    points.map((p) => p.running),
    points.map((p) => finite(p.waiting)),
    points.map((p) => finite(p.latency)),
  ];
}

export class HistoryChart {
  constructor() {
    this.root = h('div', { class: 'chart' });
    this.plot = null;
    this.failed = false;
    this.resize = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize({ width: this.width(), height: HEIGHT });
    });
    this.resize.observe(this.root);
  }

  width() {
    return Math.max(280, Math.floor(this.root.clientWidth || 600));
  }

  // Draws `points` (oldest first).
  async update(points) {
    if (this.failed) return;
    let uPlot;
    try {
      uPlot = await loadUPlot();
    } catch (e) {
      this.failed = true;
      fill(this.root, h('p', { class: 'note' }, `The chart could not be loaded (${e.message}); the numbers are in the tables.`));
      return;
    }
    const data = columns(points);
    if (points.length === 0) {
      if (!this.plot) fill(this.root, h('p', { class: 'note' }, 'No samples yet: the chart starts with the next cycle.'));
      return;
    }
    if (!this.plot) {
      this.root.replaceChildren();
      this.plot = new uPlot(options(uPlot, this.width()), data, this.root);
      return;
    }
    this.plot.setData(data);
  }

  destroy() {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }
}
