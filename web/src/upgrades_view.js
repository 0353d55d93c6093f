// Upgrades (#/upgrades): the catalog (each service's running and target version, what is held
// back and why) and the plans with their step progress, approve and abort; one plan's steps
// (#/plans/ID). Plan and step events refresh what they touch.

import { enc, getJson, mutate } from './api.js';
import { fill, h, time } from './dom.js';
import { formatTime, planProgress, stepChange } from './format.js';
import { coalesced } from './refresh.js';
import { errorText } from './service_view.js';

const PLANS_SHOWN = 20;

function stateBadge(state) {
  return h('span', { class: ['badge', `run-${state}`] }, state);
}

function progress(plan) {
  const { done, total } = planProgress(plan);
  return h('span', { class: 'progress' }, h('progress', { max: Math.max(total, 1), value: done, 'aria-label': `${done} of ${total} steps done` }), ` ${done}/${total}`);
}

const CHANGES_SHOWN = 3;

// What a plan changes: "a 1.0.0 → 2.0.0", one line per step (the first few).
function changes(plan) {
  const steps = plan.steps ?? [];
  const lines = steps.slice(0, CHANGES_SHOWN).map((st) => h('div', null, h('span', { class: 'step-service' }, st.service), ' ', stepChange(st)));
  if (steps.length > CHANGES_SHOWN) lines.push(h('div', { class: 'note' }, `and ${steps.length - CHANGES_SHOWN} more`));
  return lines.length ? lines : '—';
}

// The approve and abort buttons a plan in its state takes; `onDone(plan)` gets the plan after.
function planActions(plan, output, onDone) {
  const act = async (button, verb) => {
    button.disabled = true;
    try {
      const after = await mutate('POST', `/api/v1/plans/${plan.id}/${verb}`);
      output.classList.remove('error');
      output.textContent = `Plan ${plan.id} ${verb === 'approve' ? 'approved' : 'aborted'}.`;
      onDone(after);
    } catch (e) {
      output.classList.add('error');
      output.textContent = `Plan ${plan.id}: ${errorText(e)}`;
    } finally {
      button.disabled = false;
    }
  };
  const buttons = [];
  const waiting = plan.state === 'pending';
  if (waiting) {
    const approve = h('button', { type: 'button', class: 'primary', onclick: () => act(approve, 'approve') }, 'Approve');
    buttons.push(approve);
  }
  if (waiting || plan.state === 'running') {
    const abort = h('button', { type: 'button', class: 'danger', onclick: () => act(abort, 'abort') }, 'Abort');
    buttons.push(abort);
  }
  return buttons.length ? h('span', { class: 'buttons' }, buttons) : '—';
}

function planRow(plan, output, onDone) {
  return h(
    'tr',
    { dataset: { plan: plan.id } },
    h('th', { scope: 'row' }, h('a', { href: `#/plans/${plan.id}` }, `#${plan.id}`)),
    h('td', null, stateBadge(plan.state)),
    h('td', null, progress(plan)),
    h('td', { class: 'changes' }, changes(plan)),
    h('td', null, time(plan.created, formatTime(plan.created))),
    h('td', { class: 'why' }, plan.reason || '—'),
    h('td', null, planActions(plan, output, onDone)),
  );
}

export class UpgradesView {
  constructor() {
    this.catalog = h('div');
    this.catalogNote = h('p', { class: 'note' });
    this.plansBody = h('tbody');
    this.plansNote = h('p', { class: 'note' });
    this.output = h('p', { class: 'action-output', role: 'status', 'aria-live': 'polite' });
    this.plans = new Map(); // id → row
    this.root = h(
      'section',
      { 'aria-labelledby': 'upgrades-title' },
      h('h1', { id: 'upgrades-title' }, 'Upgrades'),
      h('section', { class: 'panel', 'aria-labelledby': 'catalog-title' }, h('h2', { id: 'catalog-title' }, 'Catalog'), this.catalogNote, this.catalog),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'plans-title' },
        h('h2', { id: 'plans-title' }, 'Plans'),
        this.plansNote,
        this.output,
        h('div', { class: 'scroll' }, h('table', { id: 'plans', class: 'plans' }, h('thead', null, h('tr', null, ['Plan', 'State', 'Steps', 'Changes', 'Created', 'Reason', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))), this.plansBody)),
      ),
    );
    this.refreshCatalog = coalesced(() => this.loadCatalog());
    this.refreshPlans = coalesced(() => this.loadPlans());
  }

  async load() {
    await Promise.all([this.loadCatalog(), this.loadPlans()]);
  }

  onEvent(type, data) {
    // The catalog is the upgrade loop's latest check, which has no event of its own.
    if (type === 'cycle') this.refreshCatalog();
    if (type === 'plan') this.refreshPlans();
    if (type === 'step') {
      this.refreshPlan(data.plan);
      this.refreshCatalog();
    }
    if (type === 'service' && (data.change === 'added' || data.change === 'removed')) this.refreshCatalog();
  }

  async loadCatalog() {
    let catalog;
    try {
      catalog = await getJson('/api/v1/catalog');
    } catch (e) {
      fill(this.catalogNote, h('span', { class: 'error' }, `The catalog could not be read: ${errorText(e)}`));
      this.catalog.replaceChildren();
      return;
    }
    const notes = [catalog.checked_at ? ['Checked at ', time(catalog.checked_at, formatTime(catalog.checked_at)), '.'] : 'Not checked yet.'];
    if (catalog.error) notes.push(h('span', { class: 'error' }, ` ${catalog.error}`));
    if (catalog.outcome && catalog.outcome !== 'ok') notes.push(h('span', { class: 'error' }, ` No target (${catalog.outcome}): ${catalog.message ?? ''}`));
    if (catalog.needs_approval?.length) notes.push(` Waiting for approval: ${catalog.needs_approval.join(', ')}.`);
    fill(this.catalogNote, notes);
    const rows = [];
    for (const sv of catalog.services ?? []) {
      const atTarget = !sv.target || sv.target === sv.running;
      rows.push(
        h(
          'tr',
          { dataset: { service: sv.name } },
          h('th', { scope: 'row' }, sv.name),
          h('td', null, `${sv.update}/${sv.update_policy}`),
          h('td', null, sv.running ?? '—'),
          h('td', { class: ['nowrap', atTarget ? null : 'pending-target'] }, sv.target ? (atTarget ? `${sv.target} (at target)` : `→ ${sv.target}`) : '—'),
          h('td', null, h('code', { class: 'image' }, sv.image)),
        ),
      );
      const held = (sv.versions ?? []).filter((v) => v.state === 'held_back');
      if (sv.note) rows.push(h('tr', { class: 'sub' }, h('td', { colspan: 5, class: 'note' }, `${sv.name}: ${sv.note}`)));
      for (const v of held) rows.push(h('tr', { class: 'sub' }, h('td', { colspan: 5, class: 'note' }, `${sv.name} ${v.version} ${v.reason}`)));
    }
    if (rows.length === 0) rows.push(h('tr', null, h('td', { colspan: 5, class: 'note' }, 'No service with a version maiev can read.')));
    const unversioned = catalog.unversioned ?? [];
    fill(
      this.catalog,
      h('div', { class: 'scroll' }, h('table', { id: 'catalog', class: 'catalog' }, h('thead', null, h('tr', null, ['Service', 'Update', 'Running', 'Target', 'Image'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, rows))),
      unversioned.length ? h('details', null, h('summary', null, `${unversioned.length} services not upgraded (no known version)`), h('ul', null, unversioned.map((u) => h('li', null, `${u.service}: ${u.reason}`)))) : null,
    );
  }

  async loadPlans() {
    let plans;
    try {
      ({ plans } = await getJson(`/api/v1/plans?limit=${PLANS_SHOWN}`));
    } catch (e) {
      fill(this.plansNote, h('span', { class: 'error' }, `The plans could not be read: ${errorText(e)}`));
      return;
    }
    const count = plans.length === 1 ? 'The latest plan' : `The latest ${plans.length} plans, newest first`;
    this.plansNote.textContent = plans.length ? `${count}.` : 'No plans yet.';
    this.plans.clear();
    const rows = plans.map((p) => this.row(p));
    fill(this.plansBody, rows);
  }

  row(plan) {
    const tr = planRow(plan, this.output, (after) => this.replace(after));
    this.plans.set(plan.id, tr);
    return tr;
  }

  replace(plan) {
    const old = this.plans.get(plan.id);
    if (old) old.replaceWith(this.row(plan));
    else this.refreshPlans();
  }

  async refreshPlan(id) {
    try {
      this.replace(await getJson(`/api/v1/plans/${enc(id)}`));
    } catch {
      this.refreshPlans();
    }
  }

  dispose() {}
}

export class PlanView {
  constructor(id) {
    this.id = id;
    this.head = h('div');
    this.output = h('p', { class: 'action-output', role: 'status', 'aria-live': 'polite' });
    this.steps = h('tbody');
    this.root = h(
      'article',
      { 'aria-labelledby': 'plan-title' },
      h('p', { class: 'crumbs' }, h('a', { href: '#/upgrades' }, '← Upgrades')),
      h('h1', { id: 'plan-title' }, `Plan #${id}`),
      this.head,
      this.output,
      h('div', { class: 'scroll' }, h('table', { id: 'steps' }, h('thead', null, h('tr', null, ['#', 'Service', 'Version', 'State', 'Started', 'Image'].map((t) => h('th', { scope: 'col' }, t)))), this.steps)),
    );
    this.refresh = coalesced(() => this.load());
  }

  async load() {
    try {
      this.render(await getJson(`/api/v1/plans/${enc(this.id)}`));
    } catch (e) {
      fill(this.head, h('p', { class: 'error', role: 'alert' }, `The plan could not be read: ${errorText(e)}`));
    }
  }

  render(plan) {
    fill(
      this.head,
      h('p', { class: 'plan-head' }, stateBadge(plan.state), ' ', progress(plan), ' ', plan.state === 'pending' || plan.state === 'running' ? planActions(plan, this.output, (after) => this.render(after)) : null),
      h('dl', { class: 'facts' }, h('dt', null, 'Reason'), h('dd', { class: 'why' }, plan.reason || '—'), h('dt', null, 'Created'), h('dd', null, time(plan.created, formatTime(plan.created))), h('dt', null, 'Updated'), h('dd', null, time(plan.updated, formatTime(plan.updated)))),
    );
    fill(
      this.steps,
      plan.steps.map((st) => [
        h('tr', null, h('td', { class: 'num' }, st.index + 1), h('th', { scope: 'row' }, st.service), h('td', { class: 'nowrap' }, stepChange(st)), h('td', null, stateBadge(st.state)), h('td', null, time(st.started, formatTime(st.started))), h('td', null, h('code', { class: 'image' }, st.image))),
        st.error ? h('tr', { class: 'sub' }, h('td', { colspan: 6, class: 'error' }, st.error)) : null,
      ]),
    );
  }

  onEvent(type, data) {
    if ((type === 'plan' && String(data.id) === String(this.id)) || (type === 'step' && String(data.plan) === String(this.id))) this.refresh();
  }

  dispose() {}
}
