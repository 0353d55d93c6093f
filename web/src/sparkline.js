// The services table's sparkline: waiting messages (an area) and replicas (a staircase) over
// the last minutes, as a small SVG. It needs no chart library.

import { s } from './dom.js';
import { formatNumber, sparkPath } from './format.js';

const WIDTH = 120;
const HEIGHT = 28;

// An <svg> of `points` ({t, replicas, waiting}), replicas scaled to at least `maxReplicas`.
export function sparkline(points, maxReplicas) {
  const waiting = points.map((p) => p.waiting);
  const replicas = points.map((p) => p.replicas);
  const finite = (vs) => vs.filter((v) => v !== null && Number.isFinite(v));
  const maxWaiting = Math.max(1, ...finite(waiting));
  const topReplicas = Math.max(1, maxReplicas || 0, ...finite(replicas));
  const area = sparkPath(waiting, WIDTH, HEIGHT, maxWaiting);
  const line = sparkPath(replicas, WIDTH, HEIGHT, topReplicas, true);
  const label = points.length
    ? `replicas ${Math.min(...finite(replicas))} to ${Math.max(...finite(replicas), 0)}, ` +
      `waiting up to ${formatNumber(Math.max(0, ...finite(waiting)))}`
    : 'no samples yet';
  return s(
    'svg',
    {
      class: 'spark',
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      width: WIDTH,
      height: HEIGHT,
      role: 'img',
      'aria-label': `Last 15 minutes: ${label}`,
    },
    s('title', null, `Last 15 minutes: ${label}`),
    area && s('path', { class: 'spark-waiting', d: area }),
    line && s('path', { class: 'spark-replicas', d: line }),
  );
}
