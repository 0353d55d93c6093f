// One service (#/services/NAME): its status and why it has its size, the actions (scale,
// pause/resume), metrics, rules and triggers, the history chart, its decisions with their
// reasons, and its scale config. Cycle events refresh it; its decision events are prepended at
// once.

import { ApiError, enc, getJson, mutate } from './api.js';
import { HistoryChart } from './chart.js';
import { append, fill, h, time } from './dom.js';
import {
  addPoint,
  formatDuration,
  formatNumber,
  formatSeconds,
  formatTime,
  historyPoints,
  nextTrigger,
  pointOfStatus,
  replicaChange,
  ruleList,
} from './format.js';
import { coalesced } from './refresh.js';
import { stateBadge } from './services_view.js';

const HISTORY_MINUTES = 15;
const DECISIONS_PER_PAGE = 20;
const METRICS = ['exists', 'waiting', 'latency', 'consumers', 'unacked', 'call_rate', 'exec_rate', 'rate', 'age', 'stalled'];

// The API's error as a line: "invalid: body.replicas: …".
export function errorText(e) {
  if (e instanceof ApiError) return `${e.message} (${e.status ? `${e.status} ` : ''}${e.code})`;
  return String(e?.message ?? e);
}

function section(title, id, ...children) {
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

function table(caption, headers, rows) {
  return h(
    'table',
    null,
    caption && h('caption', { class: 'sr-only' }, caption),
    h('thead', null, h('tr', null, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows),
  );
}

function metricValue(name, value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (name === 'latency' || name === 'age') return formatSeconds(value);
  return formatNumber(value);
}

export class ServiceView {
  constructor(name) {
    this.name = name;
    this.service = null;
    this.points = [];
    this.decisionIds = new Set();
    this.nextCursor = null;
    this.scaleEdited = false;

    this.title = h('h1', { id: 'service-title' }, name);
    this.status = h('div', { class: 'status' });
    this.error = h('p', { class: 'error', role: 'alert', hidden: true });
    this.metrics = h('div', { class: 'scroll' });
    this.rules = h('div', { class: 'scroll' });
    this.config = h('pre', { class: 'config', tabindex: '0' });
    this.configSummary = h('summary', null, 'Scale config');
    this.chart = new HistoryChart();
    this.chartCaption = h('figcaption', { class: 'note' });
    this.decisionRows = h('tbody');
    this.moreDecisions = h('button', { type: 'button', class: 'quiet', hidden: true, onclick: () => this.loadDecisions(true) }, 'Older decisions');
    this.actions = this.buildActions();

    // Hidden until the service was read: an unknown name shows its error alone.
    this.body = h('div', { hidden: true });
    this.root = h(
      'article',
      { 'aria-labelledby': 'service-title', class: 'service' },
      h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← Services')),
      this.title,
      this.error,
      this.body,
    );
    append(
      this.body,
      this.status,
      this.actions.root,
      section(`Last ${HISTORY_MINUTES} minutes`, 'history-title', h('figure', { class: 'history' }, this.chart.root, this.chartCaption)),
      section('Metrics', 'metrics-title', this.metrics),
      section('Rules and triggers', 'rules-title', this.rules),
      section(
        'Decisions',
        'decisions-title',
        h('div', { class: 'scroll' }, h('table', { class: 'decisions', id: 'decisions' }, h('caption', { class: 'sr-only' }, 'Scaling decisions, newest first'), h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Replicas'), h('th', { scope: 'col' }, 'Why'))), this.decisionRows)),
        this.moreDecisions,
      ),
      h('section', { class: 'panel' }, h('details', { class: 'config' }, this.configSummary, this.config)),
    );
    this.refresh = coalesced(() => this.loadService());
    this.refreshHistory = coalesced(() => this.loadHistory());
  }

  buildActions() {
    const output = h('p', { class: 'action-output', role: 'status', 'aria-live': 'polite' });
    const replicas = h('input', { id: 'scale-replicas', type: 'number', min: '0', step: '1', required: true, inputmode: 'numeric', oninput: () => (this.scaleEdited = true) });
    const force = h('input', { id: 'scale-force', type: 'checkbox' });
    const scaleButton = h('button', { type: 'submit', class: 'primary' }, 'Scale');
    const pauseButton = h('button', { type: 'button', id: 'pause-button', onclick: () => this.togglePause() }, 'Pause');
    const form = h(
      'form',
      { class: 'scale', onsubmit: (e) => { e.preventDefault(); this.scale(); } },
      h('label', { for: 'scale-replicas' }, 'Replicas'),
      replicas,
      h('label', { class: 'check' }, force, ' beyond min/max'),
      scaleButton,
    );
    const root = section('Actions', 'actions-title', h('div', { class: 'actions' }, form, pauseButton), h('p', { class: 'note' }, 'Scaling by hand pauses autoscaling of the service until it is resumed.'), output);
    return { root, output, replicas, force, scaleButton, pauseButton };
  }

  async load() {
    await Promise.all([this.loadService(), this.loadHistory(), this.loadDecisions(false)]);
  }

  async loadService() {
    try {
      this.service = await getJson(`/api/v1/services/${enc(this.name)}`);
      this.error.hidden = true;
      this.body.hidden = false;
      this.render();
      if (addPoint(this.points, pointOfStatus(this.service), HISTORY_MINUTES * 60)) this.drawChart();
    } catch (e) {
      this.error.hidden = false;
      if (e.status === 404) this.body.hidden = true;
      this.error.textContent = e.status === 404 ? `There is no service named ${this.name} (any more).` : `The service could not be read: ${errorText(e)}`;
    }
  }

  async loadHistory() {
    try {
      const history = await getJson(`/api/v1/services/${enc(this.name)}/history?minutes=${HISTORY_MINUTES}`);
      this.points = historyPoints(history);
      this.drawChart();
    } catch (e) {
      if (e.status !== 404) fill(this.chartCaption, `The history could not be read: ${errorText(e)}`);
    }
  }

  async loadDecisions(older) {
    let url = `/api/v1/decisions?service=${enc(this.name)}&limit=${DECISIONS_PER_PAGE}`;
    if (older && this.nextCursor) url += `&cursor=${this.nextCursor}`;
    try {
      const page = await getJson(url);
      if (!older) {
        this.decisionRows.replaceChildren();
        this.decisionIds.clear();
      }
      for (const d of page.decisions) this.addDecision(d, false);
      this.nextCursor = page.next_cursor;
      this.moreDecisions.hidden = page.next_cursor === null;
      if (this.decisionIds.size === 0) this.decisionRows.append(h('tr', { class: 'empty' }, h('td', { colspan: 3, class: 'note' }, 'No decisions yet.')));
    } catch (e) {
      fill(this.decisionRows, h('tr', null, h('td', { colspan: 3, class: 'error' }, `The decisions could not be read: ${errorText(e)}`)));
    }
  }

  addDecision(d, first) {
    if (this.decisionIds.has(d.id)) return;
    this.decisionIds.add(d.id);
    this.decisionRows.querySelector('tr.empty')?.remove();
    const tr = h(
      'tr',
      { class: first ? 'changed' : null, dataset: { id: d.id } },
      h('td', null, time(d.time, formatTime(d.time))),
      h('td', { class: ['num', `dir-${d.direction}`] }, replicaChange(d)),
      h('td', { class: 'why' }, d.reason || '—'),
    );
    if (first) this.decisionRows.prepend(tr);
    else this.decisionRows.append(tr);
  }

  onEvent(type, data) {
    if (type === 'cycle') {
      this.refresh();
      return;
    }
    if (data.service !== this.name) return;
    if (type === 'decision') {
      this.addDecision(data, true);
      if (this.service) this.render({ ...this.service, replicas: data.new_replicas });
    }
    if (['decision', 'service', 'config_error'].includes(type)) this.refresh();
  }

  render(service = this.service) {
    const sv = service;
    fill(this.title, sv.name, ' ', stateBadge(sv.state));
    const next = nextTrigger(sv);
    const rows = [
      ['Replicas', h('span', { id: 'service-replicas' }, `${sv.replicas} desired, ${sv.running_tasks ?? '—'} running`)],
      ['Bounds', sv.state === 'unconfigured' || sv.state === 'invalid' ? '—' : `${sv.min} to ${sv.max}`],
      ['Why', h('span', { class: 'why' }, sv.last_reason || '—')],
      ['Fires next', h('span', { title: next.detail }, next.text)],
      ['Image', h('code', { class: 'image' }, sv.image)],
      ['Mode', sv.mode],
      ['Config', sv.config_origin ? `from the ${sv.config_origin.replace('_', ' ')}` : 'none'],
      ['Evaluated', time(sv.evaluated_at, formatTime(sv.evaluated_at))],
      ['Last change', time(sv.last_change, formatTime(sv.last_change))],
    ];
    fill(this.status, h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])), sv.config_errors?.length ? h('div', { class: 'error', role: 'alert' }, h('p', null, 'The scale config is invalid:'), h('ul', null, sv.config_errors.map((e) => h('li', null, e)))) : null);
    this.renderActions(sv);
    this.renderMetrics(sv);
    this.renderRules(sv);
    const config = sv.config ? JSON.stringify(sv.config, null, 2) : 'No valid scale config.';
    if (this.config.textContent !== config) this.config.textContent = config;
    const origin = sv.config_origin ? `, from the ${sv.config_origin.replace('_', ' ')}` : '';
    this.configSummary.textContent = sv.config ? `Scale config: min ${sv.min}, max ${sv.max}, ${ruleList(sv).length} rules${origin}` : 'Scale config: none';
  }

  renderActions(sv) {
    const a = this.actions;
    a.pauseButton.textContent = sv.paused && sv.state === 'paused' ? 'Resume autoscaling' : 'Pause autoscaling';
    a.pauseButton.disabled = sv.state === 'unconfigured' || sv.state === 'invalid';
    if (!this.scaleEdited && document.activeElement !== a.replicas) a.replicas.value = String(sv.replicas);
    if (sv.state !== 'unconfigured' && sv.state !== 'invalid') {
      a.replicas.title = `${sv.min} to ${sv.max} without “beyond min/max”`;
    }
  }

  renderMetrics(sv) {
    const resources = sv.resources ?? [];
    if (resources.length === 0) {
      fill(this.metrics, h('p', { class: 'note' }, 'No resources: the service has no rules.'));
      return;
    }
    const rows = resources.map((r) => {
      const m = sv.metrics?.[r.name];
      return h('tr', null, h('th', { scope: 'row' }, r.name, h('br'), h('code', { class: 'note' }, r.queue)), METRICS.map((name) => h('td', { class: 'num' }, m ? metricValue(name, m[name]) : '—')));
    });
    fill(this.metrics, table('Metrics of each resource', ['Resource', ...METRICS], rows));
  }

  renderRules(sv) {
    const rules = ruleList(sv);
    const rows = rules.map((r) =>
      h('tr', null, h('th', { scope: 'row' }, r.name), h('td', null, h('code', null, r.expression)), h('td', { class: r.value ? 'rule-true' : 'rule-false' }, r.value ? 'true' : 'false'), h('td', null, r.sinceSeconds === null ? '—' : `for ${formatDuration(r.sinceSeconds)}`, r.since ? h('span', { class: 'note' }, ` (since ${formatTime(r.since)})`) : null)),
    );
    for (const [trigger, value] of [['scale_up', sv.scale_up], ['scale_down', sv.scale_down]]) {
      const expression = sv.triggers?.[trigger];
      if (!expression) continue;
      const fires = sv.state === 'paused' ? 'autoscaling is paused' : 'fires at the next cycle';
      rows.push(h('tr', { class: 'trigger-row' }, h('th', { scope: 'row' }, trigger), h('td', null, h('code', null, expression)), h('td', { class: value ? 'rule-true' : 'rule-false' }, value ? 'true' : 'false'), h('td', null, value ? fires : '')));
    }
    if (rows.length === 0) {
      fill(this.rules, h('p', { class: 'note' }, 'No rules.'));
      return;
    }
    fill(this.rules, table('Rules and triggers', ['Rule', 'Expression', 'Value', 'Since'], rows));
  }

  drawChart() {
    this.chart.update(this.points);
    const last = this.points.at(-1);
    fill(this.chartCaption, last ? `Latest: ${last.replicas} replicas, ${last.running ?? '—'} running, ${formatNumber(last.waiting)} waiting, latency ${formatSeconds(last.latency)} (${this.points.length} samples, one per cycle).` : 'No samples yet.');
  }

  async scale() {
    const a = this.actions;
    const replicas = Number(a.replicas.value);
    if (!Number.isInteger(replicas) || replicas < 0) {
      this.say('Replicas must be a whole number, 0 or more.', true);
      return;
    }
    await this.act(a.scaleButton, async () => {
      const r = await mutate('POST', `/api/v1/services/${enc(this.name)}/scale`, { replicas, force: a.force.checked });
      this.scaleEdited = false;
      return `Scaled from ${r.previous} to ${r.replicas}; autoscaling is paused.`;
    });
  }

  async togglePause() {
    const resume = this.service?.state === 'paused';
    await this.act(this.actions.pauseButton, async () => {
      await mutate('POST', `/api/v1/services/${enc(this.name)}/${resume ? 'resume' : 'pause'}`);
      return resume ? 'Autoscaling resumed.' : 'Autoscaling paused.';
    });
  }

  // Runs an action with its button disabled, then says how it went and refreshes.
  async act(button, action) {
    button.disabled = true;
    try {
      this.say(await action(), false);
    } catch (e) {
      this.say(errorText(e), true);
    } finally {
      button.disabled = false;
    }
    await this.refresh();
  }

  say(text, isError) {
    const out = this.actions.output;
    out.textContent = text;
    out.classList.toggle('error', isError);
    out.setAttribute('role', isError ? 'alert' : 'status');
  }

  dispose() {
    this.chart.destroy();
  }
}
