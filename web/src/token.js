// The token: asked once in a dialog of the page and kept in sessionStorage (this tab only, gone
// when it closes). Every request sends it as `Authorization: Bearer TOKEN`, the event stream as
// `?token=` (a browser's EventSource sends no header). The API token (--api-token) allows
// everything; a read token (--read-token) only reads, so a mutation with it asks for the API token.

const KEY = 'maiev.api-token';
let pending = null; // the answer of the dialog while it is open

export function storedToken() {
  try {
    return sessionStorage.getItem(KEY) || null;
  } catch {
    return null; // storage disabled: the token is asked each time
  }
}

export function storeToken(token) {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage disabled
  }
  document.dispatchEvent(new CustomEvent('maiev:token'));
}

// Opens the token dialog with `reason` and resolves with the token entered, or null when it was
// cancelled. Asked again while open, it gives the same answer.
export function askToken(reason) {
  if (pending) return pending;
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  const text = document.getElementById('token-reason');
  if (reason) {
    text.textContent = reason;
    text.classList.toggle('error', /refused/i.test(reason));
  }
  input.value = '';
  pending = new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        pending = null;
        const action = dialog.returnValue;
        if (action === 'forget') {
          storeToken(null);
          resolve(null);
        } else if (action === 'save' && input.value.trim()) {
          storeToken(input.value.trim());
          resolve(input.value.trim());
        } else {
          resolve(null);
        }
      },
      { once: true },
    );
  });
  dialog.returnValue = '';
  dialog.showModal();
  input.focus();
  return pending;
}

// The header's button: shows whether a token is kept, and opens the dialog to change it.
export function wireTokenButton(button) {
  const show = () => {
    const kept = Boolean(storedToken());
    button.textContent = kept ? 'API token ✓' : 'API token';
    button.title = kept ? 'A token is kept for this tab; change or forget it' : 'Enter the API token';
  };
  show();
  document.addEventListener('maiev:token', show);
  button.addEventListener('click', () =>
    askToken('The API token of maiev serve (--api-token), kept in this tab only.'),
  );
}
