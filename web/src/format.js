// What the page shows of the API's JSON, as pure functions (no DOM, no clock unless given):
// numbers, durations, times, a service's key metrics and next trigger, history series, plan
// progress. Tested with `node --test` (web/test/format.test.mjs).

// The API writes an infinite number as "inf" (JSON has none): a latency while nothing drains
// a waiting queue.
export function toNumber(value) {
  if (value === 'inf') return Infinity;
  if (value === '-inf') return -Infinity;
  return typeof value === 'number' ? value : null;
}

// 3, 0.25, 13.3, 1.2k, ∞; '—' for a missing value.
export function formatNumber(value) {
  const v = toNumber(value);
  if (v === null || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${trim(v / 1e6, 1)}M`;
  if (abs >= 1e4) return `${trim(v / 1e3, 1)}k`;
  if (Number.isInteger(v)) return String(v);
  if (abs >= 100) return String(Math.round(v));
  return trim(v, abs >= 10 ? 1 : 2);
}

function trim(v, digits) {
  return String(Number(v.toFixed(digits)));
}

// Seconds as "450 ms", "13.3 s", "2m 05s", "1h 02m", "3d 4h"; '—' when missing.
export function formatSeconds(value) {
  const v = toNumber(value);
  if (v === null || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return '∞';
  if (v < 1) return `${Math.round(v * 1000)} ms`;
  if (v < 60) return `${trim(v, 1)} s`;
  return formatDuration(v);
}

// A duration of whole seconds: "5s", "2m 05s", "1h 02m", "3d 4h".
export function formatDuration(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, '0');
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m ${pad(total % 60)}s`;
  if (total < 86400) return `${Math.floor(total / 3600)}h ${pad(Math.floor((total % 3600) / 60))}m`;
  return `${Math.floor(total / 86400)}d ${Math.floor((total % 86400) / 3600)}h`;
}

// An RFC 3339 time as local "HH:MM:SS", with the date when it is not the day of `now`.
export function formatTime(iso, now = new Date()) {
  if (!iso) return '—';
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const pad = (n) => String(n).padStart(2, '0');
  const clock = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
  const sameDay = t.toDateString() === now.toDateString();
  if (sameDay) return clock;
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${clock}`;
}

// The metrics of a service's first resource that the table shows, plus how many resources it
// has: {resource, waiting, latency, consumers, count}. Values are null without fresh metrics.
export function keyMetrics(service) {
  const resources = service.resources ?? [];
  const first = resources[0];
  const m = first ? service.metrics?.[first.name] : null;
  return {
    resource: first?.name ?? null,
    waiting: m ? toNumber(m.waiting) : null,
    latency: m ? toNumber(m.latency) : null,
    consumers: m ? toNumber(m.consumers) : null,
    count: resources.length,
  };
}

// Which trigger fires at the next cycle, from the latest cycle's values:
// {direction: 'up'|'down'|null, text, detail}. A paused service or one without rules fires none.
export function nextTrigger(service) {
  const up = service.triggers?.scale_up ?? '';
  const down = service.triggers?.scale_down ?? '';
  const detail = [up && `scale_up: ${up}`, down && `scale_down: ${down}`].filter(Boolean).join('\n');
  if (service.state === 'paused') return { direction: null, text: 'paused', detail };
  if (service.state !== 'monitored' || (!up && !down)) {
    return { direction: null, text: '—', detail: 'no rules' };
  }
  if (service.scale_up) {
    const atMax = service.replicas >= service.max;
    return { direction: 'up', text: atMax ? 'scale_up (at max)' : 'scale_up', detail };
  }
  if (service.scale_down) {
    const atMin = service.replicas <= service.min;
    return { direction: 'down', text: atMin ? 'scale_down (at min)' : 'scale_down', detail };
  }
  return { direction: null, text: 'none', detail };
}

// A service's rules as a list, in the config's order: [{name, value, since, sinceSeconds,
// expression}].
export function ruleList(service) {
  return Object.entries(service.rules ?? {}).map(([name, r]) => ({
    name,
    value: Boolean(r.value),
    since: r.since ?? null,
    sinceSeconds: typeof r.since_seconds === 'number' ? r.since_seconds : null,
    expression: r.expression ?? '',
  }));
}

// One history point of a service status, as a history sample would give it; null before the
// service's first cycle.
export function pointOfStatus(service) {
  if (!service.evaluated_at) return null;
  const m = keyMetrics(service);
  return {
    t: Date.parse(service.evaluated_at) / 1000,
    replicas: service.replicas,
    running: service.running_tasks ?? null,
    waiting: m.waiting,
    latency: m.latency,
  };
}

// The points of GET /services/NAME/history, oldest first: [{t (unix seconds), replicas,
// running, waiting, latency}] of the first resource.
export function historyPoints(history) {
  const resource = history?.resources?.[0];
  return (history?.samples ?? []).map((sample) => {
    const m = resource ? sample.metrics?.[resource] : null;
    return {
      t: Date.parse(sample.time) / 1000,
      replicas: sample.replicas,
      running: sample.running_tasks ?? null,
      waiting: m ? toNumber(m.waiting) : null,
      latency: m ? toNumber(m.latency) : null,
    };
  });
}

// Adds `point` to `points` (sorted by t) unless one of that time is there, and drops the points
// older than `windowSeconds` before it. Returns whether anything changed.
export function addPoint(points, point, windowSeconds) {
  if (!point) return false;
  const last = points.at(-1);
  if (last && point.t <= last.t) return false;
  points.push(point);
  while (points.length > 0 && points[0].t < point.t - windowSeconds) points.shift();
  return true;
}

// An SVG path of `values` (null: a gap) across `width` × `height`, y scaled to [0, max]; ''
// when there is nothing to draw. `step`: a staircase (replicas change in steps).
export function sparkPath(values, width, height, max, step = false) {
  if (values.length === 0 || !(max > 0)) return '';
  const dx = values.length > 1 ? width / (values.length - 1) : 0;
  const y = (v) => (height - 1 - (Math.min(v, max) / max) * (height - 2)).toFixed(1);
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    const finite = v !== null && Number.isFinite(v) ? v : v === Infinity ? max : null;
    if (finite === null) {
      pen = false;
      return;
    }
    const x = (i * dx).toFixed(1);
    if (!pen) {
      d += `M${x} ${y(finite)}`;
      pen = true;
    } else if (step) {
      d += `H${x}V${y(finite)}`;
    } else {
      d += `L${x} ${y(finite)}`;
    }
  });
  return d;
}

// Steps done of a plan, and its steps in all.
export function planProgress(plan) {
  const steps = plan.steps ?? [];
  return { done: steps.filter((st) => st.state === 'done').length, total: steps.length };
}

// "1.0.0 → 2.0.0", or "deploy 2.0.0" for a step without a previous version.
export function stepChange(step) {
  return step.from ? `${step.from} → ${step.to}` : `deploy ${step.to}`;
}

// "3 → 4" with the direction's arrow.
export function replicaChange(decision) {
  const arrow = { up: '↑', down: '↓' }[decision.direction] ?? '·';
  return `${arrow} ${decision.old_replicas} → ${decision.new_replicas}`;
}
