/**
 * The admin token for starting and cancelling sweeps: asked once, in a dialog, and kept in
 * sessionStorage (this tab only, gone when it closes). A token the coordinator refuses is
 * forgotten at once and the refusal is shown where the action was started.
 */
import { AuthError } from '../core/errors';
import { h, notice } from './dom';

const KEY = 'ofa-farm.admin-token';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/** Shows the token dialog; resolves with the token, or null when the person cancels. */
function askToken(): Promise<string | null> {
  return new Promise((resolve) => {
    const input = h('input', { type: 'password', name: 'admin-token', id: 'admin-token', autocomplete: 'off', required: true, size: 48 });
    const dialog = h(
      'dialog',
      { id: 'admin-dialog' },
      h(
        'form',
        { method: 'dialog' },
        h('h3', {}, 'Admin token'),
        h('p', { class: 'muted' }, 'Starting and cancelling sweeps needs the coordinator’s admin token (printed when it first started, or in .ofa-farm/admin-token). It is kept for this browser tab only.'),
        h('label', { for: 'admin-token' }, 'Token '),
        input,
        h('div', { class: 'actions' }, h('button', { type: 'submit', value: 'ok', id: 'admin-token-ok' }, 'Use token'), h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel')),
      ),
    );
    dialog.addEventListener('close', () => {
      const token = dialog.returnValue === 'ok' ? input.value.trim() : '';
      dialog.remove();
      resolve(token || null);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

/**
 * Runs `call` with the admin token (asking for it when none is kept). Messages (refusal, other
 * errors, success) go into `status`. Returns the call's result, or null when it did not succeed.
 */
export async function withAdmin<T>(status: HTMLElement, what: string, call: (token: string) => Promise<T>): Promise<T | null> {
  let token = storedToken();
  if (!token) {
    token = await askToken();
    if (!token) {
      status.replaceChildren(notice(`${what}: no admin token given`, 'info'));
      return null;
    }
    sessionStorage.setItem(KEY, token);
  }
  try {
    return await call(token);
  } catch (error) {
    if (error instanceof AuthError) {
      forgetToken();
      status.replaceChildren(notice(`Refused: ${error.message}. ${what} was not done; you will be asked for the token again.`));
    } else {
      status.replaceChildren(notice(`${what} failed: ${error instanceof Error ? error.message : String(error)}`));
    }
    return null;
  }
}
