// Refreshes driven by events, at most one request in flight per refresh: events that come
// while it runs ask for one more run after it, not one each.

// `fn` (async) wrapped so that calls while it runs coalesce into a single run after it.
export function coalesced(fn) {
  let running = null;
  let again = false;
  return function run() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await fn();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}
