// The example app's page: register, log in with cookies, who am I, sessions,
// log out. The tokens are HttpOnly cookies: this script never sees them, it
// only calls the API on its own origin. A 401 gets one cookie refresh
// (POST /auth/refresh, the only path the refresh cookie is sent to) and one
// retry; a second failure shows the logged-out state.
'use strict';

const $ = (selector) => document.querySelector(selector);

// SignedOut is thrown when the session is gone and the page shows the
// logged-out state.
class SignedOut extends Error {}

// call sends one request to the API; body, when given, is sent as JSON.
function call(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return fetch(path, init);
}

// authed sends a request that needs the session. On a 401 it refreshes the
// cookies once and repeats the request; if that fails too, it throws
// SignedOut, which run turns into the logged-out state.
async function authed(method, path, body) {
  let res = await call(method, path, body);
  if (res.status !== 401) return res;
  const refreshed = await call('POST', '/auth/refresh');
  if (refreshed.status === 429 || refreshed.status >= 500) {
    throw new Error(await problem(refreshed)); // try again later; still logged in
  }
  if (refreshed.ok) res = await call(method, path, body);
  if (res.status === 401) throw new SignedOut();
  return res;
}

// problem is the message of an error response ({"error": "..."}).
async function problem(res) {
  let msg = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body && typeof body.error === 'string') msg = body.error;
  } catch { /* not JSON: keep the status */ }
  const retry = res.headers.get('Retry-After');
  return retry ? `${msg} (retry in ${retry} s)` : msg;
}

// rendered marks the end of an update, for people (the status line) and for
// tests (data-state, data-renders).
function rendered(state, message, isError) {
  const status = $('#status');
  status.textContent = message || '';
  status.classList.toggle('error', Boolean(isError));
  document.body.dataset.state = state;
  document.body.dataset.renders = String(Number(document.body.dataset.renders) + 1);
}

function showSignedOut(message, isError) {
  $('#signed-in').hidden = true;
  $('#signed-out').hidden = false;
  $('#me').querySelectorAll('dd').forEach((dd) => { dd.textContent = ''; });
  $('#sessions tbody').replaceChildren();
  rendered('out', message, isError);
}

// timeElement shows an RFC 3339 time in local time; null means never.
function timeElement(value) {
  if (!value) return document.createTextNode('never');
  const t = document.createElement('time');
  t.dateTime = value;
  t.textContent = new Date(value).toLocaleString();
  return t;
}

// nextLink returns the rel="next" target of a Link header, if any.
function nextLink(header) {
  for (const part of (header || '').split(',')) {
    const m = part.match(/<([^>]*)>\s*;\s*rel="?next"?/);
    if (m) return m[1];
  }
  return null;
}

// fetchSessions lists every session, following rel="next" links.
async function fetchSessions() {
  const all = [];
  let path = '/auth/sessions';
  for (let page = 0; path && page < 50; page++) {
    const res = await authed('GET', path);
    if (!res.ok) throw new Error(await problem(res));
    all.push(...(await res.json()));
    path = nextLink(res.headers.get('Link'));
  }
  return all;
}

function renderMe(me) {
  for (const dd of $('#me').querySelectorAll('dd')) {
    const v = me[dd.dataset.field];
    dd.replaceChildren(dd.dataset.field.endsWith('_at') ? timeElement(v) : document.createTextNode(String(v)));
  }
}

function renderSessions(list) {
  const rows = list.map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.id = String(s.id);
    if (s.current) tr.classList.add('current');
    const cells = [
      document.createTextNode(String(s.id)),
      document.createTextNode(s.current ? `${s.device} (this browser)` : s.device),
      timeElement(s.created_at),
      timeElement(s.expires_at),
    ];
    for (const c of cells) {
      const td = document.createElement('td');
      td.append(c);
      tr.append(td);
    }
    const td = document.createElement('td');
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'revoke';
    btn.dataset.id = String(s.id);
    btn.textContent = 'Revoke';
    btn.setAttribute('aria-label', `Revoke session ${s.id} (${s.device})`);
    td.append(btn);
    tr.append(td);
    return tr;
  });
  $('#sessions tbody').replaceChildren(...rows);
}

// load shows who is logged in and their sessions, or the logged-out state.
async function load(message) {
  const res = await authed('GET', '/me');
  if (!res.ok) throw new Error(await problem(res));
  const me = await res.json();
  const sessions = await fetchSessions();
  renderMe(me);
  renderSessions(sessions);
  $('#signed-out').hidden = true;
  $('#signed-in').hidden = false;
  rendered('in', message);
}

// run performs one user action, showing any failure in the status line and
// a lost session as the logged-out state with signedOutMessage.
async function run(action, signedOutMessage = 'Your session has ended; please log in again.') {
  document.body.dataset.state = 'busy';
  try {
    await action();
  } catch (err) {
    if (err instanceof SignedOut) {
      showSignedOut(signedOutMessage);
      return;
    }
    if ($('#signed-in').hidden) {
      showSignedOut(err.message, true);
    } else {
      rendered('in', err.message, true);
    }
  }
}

function formValues(form) {
  return Object.fromEntries(new FormData(form));
}

function onLogin(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  run(async () => {
    const { username, password, device } = formValues(form);
    const res = await call('POST', '/auth/login/cookie', { username, password, device });
    if (!res.ok) throw new Error(await problem(res));
    form.reset();
    try {
      await load(`Logged in as ${username}.`);
    } catch (err) {
      if (!(err instanceof SignedOut)) throw err;
      // Logged in, yet the next request had no cookie: the browser refused
      // the Secure cookies of a plain-HTTP origin that is not localhost.
      throw new Error('The browser did not keep the session cookies: open the page over HTTPS or on ' +
        '127.0.0.1 / localhost, or run the app with COOKIE_INSECURE=true.');
    }
  });
}

function onRegister(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  run(async () => {
    const { username, password } = formValues(form);
    const beta = form.elements.beta.checked;
    const res = await call('POST', '/auth/register', { username, password, beta });
    if (!res.ok) throw new Error(await problem(res));
    form.reset();
    $('#login-form').elements.username.value = username;
    $('#login-form').elements.password.focus();
    rendered('out', `Registered ${username}; now log in.`);
  });
}

// logout ends this session (POST /auth/logout) or all of them
// (POST /auth/logout-all).
function logout(path, message) {
  run(async () => {
    const res = await authed('POST', path);
    if (!res.ok) throw new Error(await problem(res));
    showSignedOut(message);
  }, message); // a session already gone is logged out too
}

function onRevoke(ev) {
  const btn = ev.target.closest('button.revoke');
  if (!btn) return;
  const current = btn.closest('tr').classList.contains('current');
  run(async () => {
    const res = await authed('DELETE', `/auth/sessions/${encodeURIComponent(btn.dataset.id)}`);
    if (!res.ok && res.status !== 404) throw new Error(await problem(res));
    if (current) {
      showSignedOut('This browser\'s session was revoked.');
      return;
    }
    await load(`Session ${btn.dataset.id} revoked.`);
  });
}

document.addEventListener('DOMContentLoaded', () => {
  $('#login-form').addEventListener('submit', onLogin);
  $('#register-form').addEventListener('submit', onRegister);
  $('#reload').addEventListener('click', () => run(() => load()));
  $('#logout').addEventListener('click', () => logout('/auth/logout', 'Logged out.'));
  $('#logout-all').addEventListener('click', () => logout('/auth/logout-all', 'Logged out on every device.'));
  $('#sessions tbody').addEventListener('click', onRevoke);
  run(() => load(), ''); // a first visit is logged out without a message
});
