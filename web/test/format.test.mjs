// The page's pure functions (web/src/format.js): `node --test web/test/format.test.mjs`. CTest
// runs it as web_format_test (label unit).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  addPoint,
  formatDuration,
  formatNumber,
  formatSeconds,
  formatTime,
  historyPoints,
  keyMetrics,
  nextTrigger,
  planProgress,
  pointOfStatus,
  replicaChange,
  ruleList,
  sparkPath,
  stepChange,
  toNumber,
} from '../src/format.js';

const service = {
  name: 'worker',
  state: 'monitored',
  replicas: 2,
  running_tasks: 2,
  min: 1,
  max: 4,
  resources: [{ name: 'rmq', queue: 'jobs' }],
  metrics: { rmq: { waiting: 120, latency: 'inf', consumers: 2 } },
  rules: {
    backlog: { value: true, since: '2026-12-01T19:51:20.000Z', since_seconds: 12.7, expression: 'rmq:waiting > 0' },
    idle: { value: false, since: '2026-12-01T19:50:00.000Z', since_seconds: 93, expression: 'rmq:waiting == 0' },
  },
  triggers: { scale_up: 'rules:backlog', scale_down: 'rules:idle' },
  scale_up: true,
  scale_down: false,
  evaluated_at: '2026-12-01T19:51:33.000Z',
};

test('numbers read the API\'s "inf" and stay short', () => {
  assert.equal(toNumber('inf'), Infinity);
  assert.equal(toNumber(null), null);
  assert.equal(toNumber('3'), null);
  assert.equal(formatNumber(3), '3');
  assert.equal(formatNumber(0.256), '0.26');
  assert.equal(formatNumber(13.333), '13.3');
  assert.equal(formatNumber(133.3), '133');
  assert.equal(formatNumber(12345), '12.3k');
  assert.equal(formatNumber(2.5e6), '2.5M');
  assert.equal(formatNumber('inf'), '∞');
  assert.equal(formatNumber(null), '—');
  assert.equal(formatNumber(undefined), '—');
});

test('seconds and durations', () => {
  assert.equal(formatSeconds(0.45), '450 ms');
  assert.equal(formatSeconds(13.33), '13.3 s');
  assert.equal(formatSeconds(125), '2m 05s');
  assert.equal(formatSeconds('inf'), '∞');
  assert.equal(formatSeconds(null), '—');
  assert.equal(formatDuration(5.9), '5s');
  assert.equal(formatDuration(3720), '1h 02m');
  assert.equal(formatDuration(3 * 86400 + 4 * 3600), '3d 4h');
  assert.equal(formatDuration(-3), '0s');
});

test('times show the date only when it is not today', () => {
  const t = new Date(2026, 11, 1, 19, 5, 7);
  assert.equal(formatTime(t.toISOString(), new Date(2026, 11, 1, 23, 0, 0)), '19:05:07');
  assert.equal(formatTime(t.toISOString(), new Date(2026, 11, 2, 1, 0, 0)), '2026-12-01 19:05:07');
  assert.equal(formatTime(null), '—');
  assert.equal(formatTime('not a time'), 'not a time');
});

test('key metrics are those of the first resource', () => {
  assert.deepEqual(keyMetrics(service), { resource: 'rmq', waiting: 120, latency: Infinity, consumers: 2, count: 1 });
  assert.deepEqual(keyMetrics({ ...service, metrics: { rmq: null } }), { resource: 'rmq', waiting: null, latency: null, consumers: null, count: 1 });
  assert.equal(keyMetrics({ resources: [] }).resource, null);
});

test('the next trigger follows the latest values, the bounds and the state', () => {
  assert.equal(nextTrigger(service).direction, 'up');
  assert.equal(nextTrigger(service).text, 'scale_up');
  assert.match(nextTrigger(service).detail, /scale_up: rules:backlog/);
  assert.equal(nextTrigger({ ...service, replicas: 4 }).text, 'scale_up (at max)');
  assert.equal(nextTrigger({ ...service, scale_up: false, scale_down: true }).direction, 'down');
  assert.equal(nextTrigger({ ...service, scale_up: false, scale_down: true, replicas: 1 }).text, 'scale_down (at min)');
  assert.equal(nextTrigger({ ...service, scale_up: false }).text, 'none');
  assert.equal(nextTrigger({ ...service, state: 'paused' }).text, 'paused');
  assert.equal(nextTrigger({ ...service, state: 'sized' }).direction, null);
});

test('rules keep the config\'s order', () => {
  const rules = ruleList(service);
  assert.deepEqual(rules.map((r) => r.name), ['backlog', 'idle']);
  assert.equal(rules[0].value, true);
  assert.equal(rules[1].sinceSeconds, 93);
  assert.deepEqual(ruleList({}), []);
});

test('history points and the window of the sparkline', () => {
  const history = {
    service: 'worker',
    resources: ['rmq'],
    samples: [
      { time: '2026-12-01T19:51:31.000Z', replicas: 1, running_tasks: 1, metrics: { rmq: { waiting: 5, latency: 'inf' } } },
      { time: '2026-12-01T19:51:32.000Z', replicas: 2, running_tasks: null, metrics: { rmq: null } },
    ],
  };
  const points = historyPoints(history);
  assert.deepEqual(points[0], { t: Date.parse('2026-12-01T19:51:31.000Z') / 1000, replicas: 1, running: 1, waiting: 5, latency: Infinity });
  assert.equal(points[1].waiting, null);
  assert.equal(addPoint(points, pointOfStatus(service), 900), true);
  assert.equal(points.length, 3);
  assert.equal(addPoint(points, pointOfStatus(service), 900), false, 'a cycle is added once');
  assert.equal(addPoint(points, { ...pointOfStatus(service), t: points[0].t + 901 }, 900), true);
  assert.equal(points[0].t, Date.parse('2026-12-01T19:51:32.000Z') / 1000, 'older points fall out');
  assert.equal(pointOfStatus({ ...service, evaluated_at: null }), null);
  assert.deepEqual(historyPoints({}), []);
});

test('spark paths scale, step and leave gaps', () => {
  assert.equal(sparkPath([], 100, 20, 1), '');
  assert.equal(sparkPath([1, 2], 100, 20, 0), '');
  assert.equal(sparkPath([0, 2], 100, 20, 2), 'M0.0 19.0L100.0 1.0');
  assert.equal(sparkPath([0, 2], 100, 20, 2, true), 'M0.0 19.0H100.0V1.0');
  assert.equal(sparkPath([1, null, 1], 100, 20, 2), 'M0.0 10.0M100.0 10.0');
  assert.equal(sparkPath([Infinity], 100, 20, 2), 'M0.0 1.0');
});

test('plans and decisions read as lines', () => {
  assert.deepEqual(planProgress({ steps: [{ state: 'done' }, { state: 'running' }] }), { done: 1, total: 2 });
  assert.deepEqual(planProgress({}), { done: 0, total: 0 });
  assert.equal(stepChange({ from: '1.0.0', to: '2.0.0' }), '1.0.0 → 2.0.0');
  assert.equal(stepChange({ from: null, to: '2.0.0' }), 'deploy 2.0.0');
  assert.equal(replicaChange({ direction: 'up', old_replicas: 1, new_replicas: 3 }), '↑ 1 → 3');
  assert.equal(replicaChange({ direction: 'none', old_replicas: 2, new_replicas: 2 }), '· 2 → 2');
});
