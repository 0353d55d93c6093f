// The page of maiev serve: a hash router over the views, kept live by the event stream.
//   #/                services        #/services/NAME   one service
//   #/upgrades        catalog, plans  #/plans/ID        one plan

import { LiveStream } from './live.js';
import { ServiceView } from './service_view.js';
import { ServicesView } from './services_view.js';
import { wireTokenButton } from './token.js';
import { PlanView, UpgradesView } from './upgrades_view.js';

const LIVE_TEXT = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' };

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
    this.view = null;
  }

  start() {
    wireTokenButton(document.getElementById('token-button'));
    window.addEventListener('hashchange', () => this.route(true));
    this.route(false);
    new LiveStream('/api/v1/events', {
      onEvent: (type, data) => this.view?.onEvent(type, data),
      onState: (state) => this.showLive(state),
      onResync: () => this.view?.load(),
    }).start();
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
    this.liveBadge.textContent = LIVE_TEXT[state] ?? state;
    this.liveBadge.className = `live is-${state}`;
    this.liveBadge.dataset.state = state;
    this.liveBadge.title = state === 'live' ? 'Updates arrive through the event stream' : 'The event stream is down; the page shows what it read last';
  }
}

new App().start();
