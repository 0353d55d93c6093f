// The page of maiev serve: a hash router over the views, kept live by the event stream.
//   #/                services        #/services/NAME   one service
//   #/upgrades        catalog, plans  #/plans/ID        one plan

import { eventStreamUrl, getJson } from './api.js';
import { LiveStream } from './live.js';
import { coalesced } from './refresh.js';
import { ServiceView } from './service_view.js';
import { ServicesView } from './services_view.js';
import { wireTokenButton } from './token.js';
import { PlanView, UpgradesView } from './upgrades_view.js';

const LIVE_TEXT = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' };
// The lease changes hands without an event: the badge is read again on the cycles' events, at
// most this often, and whenever the stream (re)opens.
const LEADER_REFRESH_MS = 5000;

// A path segment decoded; as written when it is no valid escape.
function decoded(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function viewOf(hash) {
  const path = hash.replace(/^#/, '') || '/';
  let m = path.match(/^\/services\/([^/]+)$/);
  if (m) return { section: 'services', view: new ServiceView(decoded(m[1])) };
  if (path === '/upgrades') return { section: 'upgrades', view: new UpgradesView() };
  m = path.match(/^\/plans\/(\d+)$/);
  if (m) return { section: 'upgrades', view: new PlanView(m[1]) };
  return { section: 'services', view: new ServicesView() };
}

class App {
  constructor() {
    this.main = document.getElementById('main');
    this.liveBadge = document.getElementById('live');
    this.leaderBadge = document.getElementById('leader');
    this.view = null;
    this.liveState = 'connecting';
    this.leaderReadAt = 0;
    this.readLeader = coalesced(() => this.showLeader());
  }

  start() {
    wireTokenButton(document.getElementById('token-button'));
    window.addEventListener('hashchange', () => this.route(true));
    this.route(false);
    this.readLeader();
    const stream = new LiveStream(eventStreamUrl, {
      onEvent: (type, data) => {
        if (type === 'cycle' && Date.now() - this.leaderReadAt >= LEADER_REFRESH_MS) this.readLeader();
        this.view?.onEvent(type, data);
      },
      onState: (state) => {
        if (state === 'live' && this.liveState !== 'live') this.readLeader();
        this.showLive(state);
      },
      onResync: () => this.view?.load(),
    });
    stream.start();
    // A token given (a maiev with --read-token refuses the stream without one): connect with it.
    document.addEventListener('maiev:token', () => {
      if (this.liveState !== 'live') stream.restart();
      this.readLeader();
    });
  }

  // The badge of this instance's leadership (GET /api/v1/leader): "leading", or "standby" and
  // the leader it knows, since a standby changes nothing (its mutations answer not_leader).
  async showLeader() {
    this.leaderReadAt = Date.now();
    let status;
    try {
      status = await getJson('/api/v1/leader');
    } catch {
      return; // unreachable or refused: the live badge says so; keep what was shown
    }
    const badge = this.leaderBadge;
    badge.hidden = false;
    badge.dataset.leading = String(Boolean(status.leading));
    if (status.leading) {
      badge.textContent = 'leading';
      badge.className = 'leader is-leading';
      badge.title = `This maiev (${status.self}) holds the lease and acts`;
    } else {
      badge.textContent = status.leader ? `standby · leader ${status.leader}` : 'standby · no leader yet';
      badge.className = 'leader is-standby';
      badge.title = `This maiev (${status.self}) is a standby: it shows what it monitors and changes nothing; changes go to the leader`;
    }
  }

  route(focus) {
    this.view?.dispose();
    const { section, view } = viewOf(location.hash);
    this.view = view;
    for (const a of document.querySelectorAll('nav a[data-section]')) {
      if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    this.main.replaceChildren(view.root);
    // A new view is announced by moving the focus to it, as a page load would.
    if (focus) this.main.focus({ preventScroll: false });
    view.load();
  }

  showLive(state) {
    this.liveState = state;
    this.liveBadge.textContent = LIVE_TEXT[state] ?? state;
    this.liveBadge.className = `live is-${state}`;
    this.liveBadge.dataset.state = state;
    this.liveBadge.title = state === 'live' ? 'Updates arrive through the event stream' : 'The event stream is down; the page shows what it read last';
  }
}

new App().start();
