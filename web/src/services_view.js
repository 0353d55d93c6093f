// The services table (#/): each service's state, replicas, bounds, key metrics, rules, the
// trigger that fires next and a sparkline of the last 15 minutes. Refreshed on each cycle event;
// a decision event changes its row at once, before the refresh.

import { getJson, enc } from './api.js';
import { h, fill } from './dom.js';
import {
  addPoint,
  formatDuration,
  formatNumber,
  formatSeconds,
  formatTime,
  historyPoints,
  keyMetrics,
  nextTrigger,
  pointOfStatus,
  ruleList,
} from './format.js';
import { coalesced } from './refresh.js';
import { sparkline } from './sparkline.js';

const HISTORY_MINUTES = 15;
const PARALLEL_HISTORY_FETCHES = 4;

const COLUMNS = [
  ['Service', ''],
  ['State', ''],
  ['Desired', 'num'],
  ['Running', 'num'],
  ['Min–max', 'num'],
  ['Waiting', 'num'],
  ['Latency', 'num'],
  ['Rules (value, for how long)', ''],
  ['Fires next', ''],
  [`Last ${HISTORY_MINUTES} min`, ''],
];

export function stateBadge(state) {
  return h('span', { class: ['badge', `state-${state}`] }, state);
}

// A rule as a chip: its name, ✓ or ✗, and for how long it has had that value.
export function ruleChip(rule) {
  const since = rule.sinceSeconds === null ? '' : ` ${formatDuration(rule.sinceSeconds)}`;
  return h(
    'span',
    {
      class: ['rule', rule.value ? 'rule-true' : 'rule-false'],
      title: `${rule.name} = ${rule.expression}\n${rule.value ? 'true' : 'false'} since ${rule.since ?? '—'}`,
    },
    h('span', { class: 'rule-name' }, rule.name),
    h('span', { 'aria-label': rule.value ? 'true' : 'false' }, rule.value ? ' ✓' : ' ✗'),
    since,
  );
}

function triggerCell(service) {
  const next = nextTrigger(service);
  const arrow = { up: '↑ ', down: '↓ ' }[next.direction] ?? '';
  return h('span', { class: ['trigger', next.direction && `trigger-${next.direction}`], title: next.detail }, arrow + next.text);
}

export class ServicesView {
  constructor() {
    this.rows = new Map(); // name → {tr, service, key, spark}
    this.points = new Map(); // name → history points, once its history was read
    this.wanted = []; // names whose history is to be read (their row came into view)
    this.fetching = 0;
    this.lastCycle = null;
    this.marked = false;
    this.summary = h('p', { class: 'note', 'aria-live': 'off' });
    this.error = h('p', { class: 'error', role: 'alert', hidden: true });
    this.body = h('tbody');
    const head = h('thead', null, h('tr', null, COLUMNS.map(([label, cls]) => h('th', { scope: 'col', class: cls || null }, label))));
    this.root = h(
      'section',
      { 'aria-labelledby': 'services-title' },
      h('h1', { id: 'services-title' }, 'Services'),
      this.summary,
      this.error,
      h('div', { class: 'scroll' }, h('table', { class: 'services', id: 'services' }, head, this.body)),
    );
    this.refresh = coalesced(() => this.load());
    this.observer = new IntersectionObserver((entries) => this.onVisible(entries), { rootMargin: '200px' });
  }

  async load() {
    try {
      const { services } = await getJson('/api/v1/services');
      this.error.hidden = true;
      this.render(services);
    } catch (e) {
      this.error.hidden = false;
      this.error.textContent = `The services could not be read: ${e.message}`;
    }
  }

  onEvent(type, data) {
    if (type === 'decision') this.applyDecision(data);
    if (type === 'cycle') this.lastCycle = data;
    if (['cycle', 'decision', 'service', 'config_error'].includes(type)) this.refresh();
  }

  // A decision's new size shown at once; the refresh that follows brings the rest.
  applyDecision(decision) {
    const row = this.rows.get(decision.service);
    if (!row) return;
    this.renderRow(row, { ...row.service, replicas: decision.new_replicas }, true);
  }

  render(services) {
    const seen = new Set();
    let previous = null;
    for (const service of services) {
      seen.add(service.name);
      let row = this.rows.get(service.name);
      if (!row) {
        row = { tr: h('tr', { dataset: { service: service.name } }), key: null, service: null, spark: null };
        this.rows.set(service.name, row);
      }
      // Keep the API's order (by name) without moving rows that are in place.
      const next = previous ? previous.nextSibling : this.body.firstChild;
      if (row.tr !== next) this.body.insertBefore(row.tr, next);
      previous = row.tr;
      this.renderRow(row, service, false);
      const points = this.points.get(service.name);
      if (points && addPoint(points, pointOfStatus(service), HISTORY_MINUTES * 60)) this.drawSpark(row);
    }
    for (const [name, row] of this.rows) {
      if (seen.has(name)) continue;
      this.observer.unobserve(row.tr);
      row.tr.remove();
      this.rows.delete(name);
      this.points.delete(name);
    }
    if (services.length === 0) {
      fill(this.body, h('tr', null, h('td', { colspan: COLUMNS.length, class: 'note' }, 'No services in the swarm.')));
    } else if (this.body.querySelector('td[colspan]')) {
      this.body.querySelector('td[colspan]').parentElement.remove();
    }
    this.renderSummary(services);
    if (!this.marked) {
      this.marked = true;
      // The browser test reads it: the time to the first table.
      performance.mark('maiev:services-table');
    }
  }

  renderSummary(services) {
    const monitored = services.filter((sv) => sv.state === 'monitored').length;
    const paused = services.filter((sv) => sv.state === 'paused').length;
    let text = `${services.length} ${services.length === 1 ? 'service' : 'services'}: ${monitored} monitored, ${paused} paused.`;
    if (this.lastCycle) {
      text += ` Last cycle ${formatTime(this.lastCycle.time)} (${formatNumber(this.lastCycle.duration_ms)} ms).`;
    }
    this.summary.textContent = text;
  }

  renderRow(row, service, changed) {
    const m = keyMetrics(service);
    const rules = ruleList(service);
    const key = JSON.stringify([service.state, service.replicas, service.running_tasks, service.min, service.max, m, rules, service.scale_up, service.scale_down, service.config_errors]);
    const oldReplicas = row.service?.replicas;
    row.service = service;
    if (key === row.key) return;
    row.key = key;
    const more = m.count > 1 ? h('span', { class: 'note' }, ` (${m.resource}, +${m.count - 1})`) : null;
    const cells = [
      h('th', { scope: 'row' }, h('a', { href: `#/services/${enc(service.name)}` }, service.name), service.mode === 'global' ? h('span', { class: 'note' }, ' global') : null),
      h('td', null, stateBadge(service.state), service.config_errors?.length ? h('span', { class: 'error-text', title: service.config_errors.join('\n') }, ' ⚠') : null),
      h('td', { class: ['num', changed || (oldReplicas !== undefined && oldReplicas !== service.replicas) ? 'changed' : null], dataset: { col: 'replicas' } }, String(service.replicas)),
      h('td', { class: 'num', dataset: { col: 'running' } }, service.running_tasks ?? '—'),
      h('td', { class: 'num' }, service.state === 'unconfigured' || service.state === 'invalid' ? '—' : `${service.min}–${service.max}`),
      h('td', { class: 'num' }, formatNumber(m.waiting), more),
      h('td', { class: 'num' }, formatSeconds(m.latency)),
      h('td', { class: 'rules' }, rules.length ? rules.map(ruleChip) : '—'),
      h('td', null, triggerCell(service)),
    ];
    if (!row.spark) {
      row.spark = h('td', { class: 'spark-cell' }, h('span', { class: 'note' }, '…'));
      this.observer.observe(row.tr);
    }
    // The labels head each cell where the table is shown as cards (a phone's width).
    [...cells, row.spark].forEach((cell, i) => cell.setAttribute('data-label', COLUMNS[i][0]));
    row.tr.replaceChildren(...cells, row.spark);
  }

  drawSpark(row) {
    const points = this.points.get(row.service.name) ?? [];
    fill(row.spark, sparkline(points, row.service.max));
  }

  onVisible(entries) {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const name = entry.target.dataset.service;
      this.observer.unobserve(entry.target);
      if (!this.points.has(name)) this.wanted.push(name);
    }
    this.pump();
  }

  // Reads the histories of rows that came into view, a few at a time.
  pump() {
    while (this.fetching < PARALLEL_HISTORY_FETCHES && this.wanted.length) {
      const name = this.wanted.shift();
      this.fetching += 1;
      getJson(`/api/v1/services/${enc(name)}/history?minutes=${HISTORY_MINUTES}`)
        .then((history) => {
          const row = this.rows.get(name);
          if (!row) return;
          const points = historyPoints(history);
          addPoint(points, pointOfStatus(row.service), HISTORY_MINUTES * 60);
          this.points.set(name, points);
          this.drawSpark(row);
        })
        .catch((e) => {
          const row = this.rows.get(name);
          if (row?.spark) fill(row.spark, h('span', { class: 'note', title: e.message }, 'n/a'));
        })
        .finally(() => {
          this.fetching -= 1;
          this.pump();
        });
    }
  }

  dispose() {
    this.observer.disconnect();
  }
}
