// The REST API of maiev serve (docs/OPERATIONS.md, "The API"), same origin. Every failure is an
// ApiError carrying the API's {"error", "message"}; mutations ask for the token when none is
// kept, and again when it is refused (401).

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

export function getJson(path, { signal } = {}) {
  return send(path, { headers: { Accept: 'application/json' }, signal });
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
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/json',
          Authorization: `Bearer ${token}`,
        },
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
