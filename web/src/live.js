// The event stream GET /api/v1/events (Server-Sent Events) that keeps the page live: no polling.
// The browser reconnects by itself after a dropped connection, sending Last-Event-ID; when it
// gives up (an answer that is no event stream, e.g. while the daemon restarts behind a proxy)
// this opens a new one after a growing pause. After any gap the page reloads what it shows, as
// events may have been missed.

export const EVENT_TYPES = ['decision', 'service', 'config_error', 'plan', 'step', 'cycle'];

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;

export class LiveStream {
  // onEvent(type, data): one event, its data parsed; onState('connecting'|'live'|'reconnecting');
  // onResync(): the stream is back after a gap. `url()` is asked at each connection (it carries
  // the token kept at the time).
  constructor(url, { onEvent, onState, onResync }) {
    this.url = url;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onResync = onResync;
    this.retryMs = FIRST_RETRY_MS;
    this.gap = false; // an error since the last open
    this.source = null;
    this.timer = null;
  }

  start() {
    this.onState('connecting');
    this.connect();
  }

  // A new connection now (the token changed, say), closing the current one.
  restart() {
    if (this.timer) clearTimeout(this.timer);
    this.source?.close();
    this.retryMs = FIRST_RETRY_MS;
    this.gap = true; // what happened meanwhile is reloaded once the new one is open
    this.onState('connecting');
    this.connect();
  }

  connect() {
    this.timer = null;
    const source = new EventSource(this.url());
    this.source = source;
    source.onopen = () => {
      this.retryMs = FIRST_RETRY_MS;
      this.onState('live');
      if (this.gap) {
        this.gap = false;
        this.onResync();
      }
    };
    source.onerror = () => {
      this.gap = true;
      this.onState('reconnecting');
      if (source.readyState !== EventSource.CLOSED || this.timer) return;
      source.close();
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (e) => {
        let data;
        try {
          data = JSON.parse(e.data);
        } catch {
          return; // not one line of JSON: not an event of this contract
        }
        this.onEvent(type, data);
      });
    }
  }
}
