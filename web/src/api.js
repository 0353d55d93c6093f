// The REST API of maiev serve (docs/OPERATIONS.md, "The API"), same origin. Every failure is an
// ApiError carrying the API's {"error", "message"}. Requests send the kept token; mutations ask
// for it when none is kept, and any request asks again when it is refused (401: a maiev with
// --read-token refuses reads without a token too).

import { askToken, storedToken, storeToken } from './token.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status; // HTTP status; 0 when no answer came
    this.code = code; // the API's `error`, e.g. "invalid", "unauthorized"
  }
}

async function errorOf(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: a proxy's page, say
  }
  const code = typeof body?.error === 'string' ? body.error : `http_${res.status}`;
  const message = typeof body?.message === 'string' ? body.message : `${res.status} ${res.statusText}`;
  return new ApiError(res.status, code, message);
}

async function send(path, init) {
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'unreachable', `maiev did not answer (${e.message})`);
  }
  if (!res.ok) throw await errorOf(res);
  return res.status === 204 ? null : res.json();
}

function headersWith(token, extra) {
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

// GETs `path` with the kept token, if any; after a 401 asks for a token (one dialog for all the
// reads refused at once) and tries again with it.
export async function getJson(path, { signal } = {}) {
  let token = storedToken();
  for (;;) {
    try {
      return await send(path, { headers: headersWith(token, { Accept: 'application/json' }), signal });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      // Another request may have been given a token meanwhile.
      const kept = storedToken();
      if (kept && kept !== token) {
        token = kept;
        continue;
      }
      if (token) storeToken(null);
      token = await askToken(
        token
          ? `The token was refused (${e.message}). Enter it again.`
          : 'This maiev needs a token to show anything: its read token (--read-token) or its API token.',
      );
      if (!token) throw e;
    }
  }
}

// The URL of the event stream with the kept token.
export function eventStreamUrl() {
  const token = storedToken();
  return token ? `/api/v1/events?token=${encodeURIComponent(token)}` : '/api/v1/events';
}

// POSTs (or PUTs, DELETEs) `body` with the API token; asks for the token when none is kept and
// again after a 401. Throws ApiError("no_token") when the dialog was cancelled.
export async function mutate(method, path, body) {
  let token = storedToken();
  if (!token) token = await askToken('This action needs the API token of maiev serve.');
  for (;;) {
    if (!token) throw new ApiError(0, 'no_token', 'no API token given: nothing was sent');
    try {
      return await send(path, {
        method,
        headers: headersWith(token, { Accept: 'application/json', 'Content-Type': 'application/json' }),
        body: JSON.stringify(body ?? {}),
      });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      storeToken(null);
      token = await askToken(`The token was refused (${e.message}). Enter it again.`);
      if (!token) throw e;
    }
  }
}

export const enc = encodeURIComponent;
