// The signed-in user's account in the browser: the access token kept for this tab, the
// sign-in form and the password change (the forced one after an admin created the user,
// and a voluntary one from the home page). The lobby and the home page both use them.

import { ApiError, changePassword, login } from './api.js';
import { h, mount, setState } from './dom.js';

const BEARER_KEY = 'conclave.accessToken';

function session() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/** storedBearer is the access token this tab signed in with, or null. */
export function storedBearer() {
  const s = session();
  return s ? s.getItem(BEARER_KEY) : null;
}

/** storeBearer keeps (or with null forgets) the access token of this tab. */
export function storeBearer(tok) {
  const s = session();
  if (!s) return;
  if (tok) s.setItem(BEARER_KEY, tok);
  else s.removeItem(BEARER_KEY);
}

/**
 * passwordFields builds the new-password pair of inputs with their labels and checks: it
 * returns {nodes, value(), check()} where check() says what is wrong, or ''.
 */
function passwordFields() {
  const next = h('input', { id: 'new-password', name: 'new-password', type: 'password', autocomplete: 'new-password', required: true });
  const again = h('input', { id: 'new-password-again', name: 'new-password-again', type: 'password', autocomplete: 'new-password', required: true });
  return {
    nodes: [h('label', { for: 'new-password', text: 'New password' }), next,
      h('label', { for: 'new-password-again', text: 'New password again' }), again],
    value: () => next.value,
    check: () => {
      if (!next.value) return 'Enter a new password.';
      if (next.value !== again.value) return 'The two new passwords differ.';
      return '';
    },
    focus: () => next.focus(),
  };
}

/** changeError is the words for a refused password change. */
function changeError(ex) {
  if (!(ex instanceof ApiError)) return (ex && ex.message) || 'The password could not be changed.';
  const field = ex.fieldMessage('newPassword');
  if (field) return `The new password ${field}.`;
  if (ex.status === 400 && /current/i.test(ex.message)) return 'The current password is wrong.';
  if (ex.status === 401) return 'Your session has ended: sign in again.';
  return ex.message || 'The password could not be changed.';
}

/**
 * forcedChange shows the form of a password change the server requires before anything
 * else (a user created by an admin signs in for the first time); current is the password
 * just used to sign in. It resolves with the new access token.
 */
export function forcedChange(bearer, current, { title = 'Choose your password', next = 'continue' } = {}) {
  return new Promise((resolve) => {
    setState('change-password');
    document.title = 'Change your password · Conclave';
    const fields = passwordFields();
    // After a reload the password used to sign in is not known any more: ask for it.
    const cur = current ? null : h('input', { id: 'current-password', name: 'current-password', type: 'password', autocomplete: 'current-password', required: true });
    const err = h('p', { class: 'form-error', role: 'alert', id: 'password-error' });
    const submit = h('button', { id: 'password-submit', type: 'submit', class: 'primary', text: 'Change password and ' + next });
    const form = h('form', { class: 'card signin', 'aria-labelledby': 'password-title', novalidate: true },
      h('h1', { id: 'password-title', text: title }),
      h('p', { class: 'muted', text: 'Your account was created with a temporary password. Choose your own password to continue.' }),
      cur ? [h('label', { for: 'current-password', text: 'Temporary password' }), cur] : null,
      fields.nodes, err, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = cur && !cur.value ? 'Enter the temporary password you signed in with.' : fields.check();
      if (err.textContent) return;
      submit.disabled = true;
      try {
        const res = await changePassword(bearer, current || cur.value, fields.value());
        storeBearer(res.accessToken);
        resolve(res.accessToken);
      } catch (ex) {
        err.textContent = changeError(ex);
      } finally {
        submit.disabled = false;
      }
    });
    mount(h('main', { class: 'center' }, form));
    if (cur) cur.focus();
    else fields.focus();
  });
}

/**
 * passwordForm is the voluntary password change of the home page: a form element that
 * calls onChanged(accessToken) after a change.
 */
export function passwordForm(bearer, onChanged) {
  const current = h('input', { id: 'current-password', name: 'current-password', type: 'password', autocomplete: 'current-password', required: true });
  const fields = passwordFields();
  const err = h('p', { class: 'form-error', role: 'alert', id: 'password-error' });
  const ok = h('p', { class: 'form-ok', role: 'status', id: 'password-ok' });
  const submit = h('button', { id: 'password-submit', type: 'submit', text: 'Change password' });
  const form = h('form', { class: 'password-form', 'aria-labelledby': 'password-title', novalidate: true },
    h('h2', { id: 'password-title', text: 'Change your password' }),
    h('label', { for: 'current-password', text: 'Current password' }), current,
    fields.nodes, err, ok, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    ok.textContent = '';
    err.textContent = current.value ? fields.check() : 'Enter your current password.';
    if (err.textContent) return;
    submit.disabled = true;
    try {
      const res = await changePassword(bearer(), current.value, fields.value());
      storeBearer(res.accessToken);
      form.reset();
      ok.textContent = 'Your password was changed. Your other sessions were signed out.';
      onChanged(res.accessToken);
    } catch (ex) {
      err.textContent = changeError(ex);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/**
 * signIn shows the sign-in form and resolves with an access token; a user that must
 * change its password does so first. title and intro say what signing in is for.
 */
export function signIn({ title = 'Sign in', intro = '', why = '', next = 'continue' } = {}) {
  return new Promise((resolve) => {
    setState('signin');
    document.title = 'Sign in · Conclave';
    const user = h('input', { id: 'signin-user', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
    const pass = h('input', { id: 'signin-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const err = h('p', { class: 'form-error', role: 'alert', id: 'signin-error' });
    const submit = h('button', { id: 'signin-submit', type: 'submit', class: 'primary', text: 'Sign in' });
    const form = h('form', { class: 'card signin', 'aria-labelledby': 'signin-title', novalidate: true },
      h('h1', { id: 'signin-title', text: title }),
      intro ? h('p', { class: 'muted', text: intro }) : null,
      h('label', { for: 'signin-user', text: 'User id' }), user,
      h('label', { for: 'signin-password', text: 'Password' }), pass,
      err, submit);
    if (why) err.textContent = why;
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = '';
      if (!user.value.trim() || !pass.value) {
        err.textContent = 'Enter your user id and password.';
        return;
      }
      submit.disabled = true;
      let res;
      try {
        res = await login(user.value.trim(), pass.value);
      } catch (ex) {
        if (ex instanceof ApiError && (ex.status === 401 || ex.status === 400 || ex.status === 404)) {
          err.textContent = 'Wrong user id or password.';
        } else {
          err.textContent = (ex && ex.message) || 'Sign-in failed.';
        }
        submit.disabled = false;
        return;
      }
      if (res.mustChangePassword) {
        resolve(await forcedChange(res.accessToken, pass.value, { next }));
        return;
      }
      storeBearer(res.accessToken);
      resolve(res.accessToken);
    });
    mount(h('main', { class: 'center' }, form));
    user.focus();
  });
}
