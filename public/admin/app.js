// Parley control panel: sign-in (cookie session + CSRF header), the forced password change, the tenant picker
// and the sections, routed by the URL hash (#/widgets, #/widgets/<id>, …). Each section is a module under
// sections/ exporting render(ctx, container, arg). API reference: docs/http-api.md; screens: docs/panel.md.
import { api, ApiError, session, cookie, describe } from '../common/api.js';
import { h, $, withBusy } from '../common/dom.js';

const SECTIONS = [
  { id: 'widgets', label: 'Widgets', module: './sections/widgets.js' },
  { id: 'conversations', label: 'Conversations', module: './sections/conversations.js' },
  { id: 'leads', label: 'Leads', module: './sections/leads.js' },
  { id: 'analytics', label: 'Analytics', module: './sections/analytics.js' },
  { id: 'agents', label: 'Agents', module: './sections/agents.js' },
  { id: 'canned', label: 'Canned responses', module: './sections/canned.js' },
  { id: 'knowledge-base', label: 'Knowledge base', module: './sections/knowledge_base.js', plugin: 'knowledge_base' },
  { id: 'webhooks', label: 'Webhooks', module: './sections/webhooks.js', plugin: 'crm_webhooks', noAgents: true },
  { id: 'whatsapp', label: 'WhatsApp', module: './sections/whatsapp.js', plugin: 'whatsapp', noAgents: true },
  { id: 'users', label: 'Users and roles', module: './sections/users.js', noAgents: true },
  { id: 'audit', label: 'Audit log', module: './sections/audit.js', noAgents: true },
  { id: 'plugins', label: 'Plugins and rules', module: './sections/plugins.js' },
  { id: 'tenants', label: 'Tenants', module: './sections/tenants.js', superOnly: true },
];

const state = { me: null, tenants: [], tenantId: '', plugins: [], passwordForced: false, renderToken: 0 };

// ---------- messages ----------

export function showError(err, target = $('alert')) {
  target.textContent = typeof err === 'string' ? err : describe(err);
  target.hidden = false;
}

export function clearError(target = $('alert')) {
  target.textContent = '';
  target.hidden = true;
}

let noticeTimer;
export function notice(text) {
  $('notice').textContent = text;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => ($('notice').textContent = ''), 6000);
}

// Session problems send the user back to sign-in or to the password form; true when handled.
function handleSessionError(err) {
  if (!(err instanceof ApiError)) return false;
  if (err.code === 'unauthorized' || err.code === 'session_expired') {
    signedOut();
    showError(err.code === 'session_expired' ? 'Your session has expired. Please sign in again.'
      : 'You are signed out. Please sign in again.');
    return true;
  }
  if (err.code === 'password_change_required') {
    if (state.me) state.me.user.must_change_password = true;
    route();
    return true;
  }
  return false;
}

// Reports an error from a section: session errors are handled, others shown in `target` (or the page alert).
function fail(err, target) {
  if (!handleSessionError(err)) showError(err, target);
}

function showView(id) {
  for (const v of ['view-sign-in', 'view-password', 'view-main']) $(v).hidden = v !== id;
  $('loading').hidden = true;
  const heading = $(id).querySelector('h1');
  if (heading) heading.focus();
}

// ---------- session ----------

function signedIn(me) {
  state.me = me;
  session.csrf = me.csrf_token || cookie('parley_csrf');
  $('account-email').textContent = me.user.email;
  $('account').hidden = false;
}

function signedOut() {
  Object.assign(state, { me: null, tenants: [], tenantId: '', plugins: [] });
  session.csrf = '';
  $('account').hidden = true;
  $('content').replaceChildren();
  $('nav').replaceChildren();
  $('tenant-select').replaceChildren();
  $('sign-in-form').reset();
  showView('view-sign-in');
}

async function route() {
  if (!state.me) return signedOut();
  if (state.me.user.must_change_password) return showPasswordForm(true);
  $('change-password-button').hidden = false;
  showView('view-main');
  try {
    const [{ tenants }, { plugins }] = await Promise.all([api('GET', '/api/v1/tenants'), api('GET', '/api/v1/plugins')]);
    state.tenants = tenants;
    state.plugins = plugins;
    const stored = localStorage.getItem('parley.panel.tenant');
    const wanted = parseHash().tenant || stored;
    state.tenantId = tenants.some((t) => t.id === wanted) ? wanted : tenants.length ? tenants[0].id : '';
    $('tenant-select').replaceChildren(...tenants.map((t) =>
      h('option', { value: t.id }, t.name + (t.is_active ? '' : ' (inactive)'))));
    $('tenant-select').value = state.tenantId;
    await renderSection();
  } catch (err) {
    fail(err);
  }
}

function showPasswordForm(forced) {
  state.passwordForced = forced;
  $('password-form').reset();
  $('password-intro').textContent = forced
    ? 'You signed in with a one-time password. Choose your own password before you continue.'
    : `Change the password of ${state.me.user.email}. Your other sessions will be signed out.`;
  $('password-cancel').hidden = forced;
  $('change-password-button').hidden = forced;
  showView('view-password');
}

$('sign-in-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  clearError();
  const form = e.target;
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!email || !password) return showError('Enter your email and password.');
  await withBusy(form.querySelector('button[type=submit]'), async () => {
    try {
      const me = await api('POST', '/api/v1/auth/login', { email, password, mode: 'cookie' });
      form.password.value = '';
      signedIn(me);
      await route();
    } catch (err) {
      showError(err.code === 'invalid_credentials' ? 'Wrong email or password.' : err);
      form.password.focus();
    }
  });
});

$('password-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  clearError();
  const form = e.target;
  const current = form.current_password.value;
  const next = form.new_password.value;
  if (!current || !next) return showError('Fill in the current and the new password.');
  if (next !== form.confirm_password.value) {
    showError('The two new passwords are not the same.');
    return form.confirm_password.focus();
  }
  await withBusy(form.querySelector('button[type=submit]'), async () => {
    try {
      await api('POST', '/api/v1/auth/password', { current_password: current, new_password: next });
      form.reset();
      signedIn(await api('GET', '/api/v1/auth/me'));
      notice('Your password has been changed.');
      await route();
    } catch (err) {
      fail(err);
    }
  });
});

$('password-cancel').addEventListener('click', () => {
  clearError();
  route();
});

$('change-password-button').addEventListener('click', () => {
  clearError();
  showPasswordForm(false);
});

$('sign-out-button').addEventListener('click', async (e) => {
  clearError();
  await withBusy(e.target, async () => {
    try {
      await api('POST', '/api/v1/auth/logout');
    } catch (err) {
      // Already signed out or expired: the goal is reached anyway.
      if (!(err instanceof ApiError) || err.status !== 401) return showError(err);
    }
    signedOut();
    notice('You are signed out.');
  });
});

// ---------- tenants, roles and sections ----------

// "#/widgets/<id>?tenant=<uuid>" → {section: 'widgets', arg: '<id>', tenant: '<uuid>'}.
function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const [section, ...rest] = (path || '').split('/');
  return { section: section || 'widgets', arg: rest.join('/'), tenant: new URLSearchParams(query || '').get('tenant') };
}

function roleIn(tenantId) {
  const m = (state.me.tenants || []).find((t) => t.id === tenantId);
  return m ? m.role : '';
}

// What the signed-in user may do in the current tenant, handed to every section.
function context() {
  const isSuper = !!state.me.user.is_super_admin;
  const role = isSuper ? 'super_admin' : roleIn(state.tenantId);
  const tenant = state.tenants.find((t) => t.id === state.tenantId) || null;
  const loaded = (id) => state.plugins.some((p) => p.id === id && p.state === 'loaded');
  return {
    me: state.me, tenant, tenantId: state.tenantId, role, isSuper,
    canWrite: isSuper || role === 'client_admin',
    plugins: state.plugins, pluginLoaded: loaded,
    // API helpers with the tenant header set for agent and plugin routes.
    get: (path, opts) => api('GET', path, undefined, { tenant: state.tenantId, ...opts }),
    send: (method, path, body, opts) => api(method, path, body, { tenant: state.tenantId, ...opts }),
    notice, fail, clearError, showError,
    go: (hash) => (location.hash = hash),
    refreshTenants: route,
  };
}

function visibleSections(ctx) {
  return SECTIONS.filter((s) => (!s.superOnly || ctx.isSuper) && (!s.plugin || ctx.pluginLoaded(s.plugin)) &&
    (!s.noAgents || ctx.role !== 'agent') && (ctx.tenantId || s.id === 'tenants' || s.id === 'plugins'));
}

const ROLE_LABEL = { super_admin: 'super admin', client_admin: 'client admin', client_user: 'read-only', agent: 'agent' };

async function renderSection() {
  if (!state.me || state.me.user.must_change_password) return;
  const ctx = context();
  const { section, arg } = parseHash();
  const sections = visibleSections(ctx);
  const current = sections.find((s) => s.id === section) || sections[0];
  $('role-badge').textContent = ROLE_LABEL[ctx.role] || '';
  $('role-badge').hidden = !ctx.role;
  $('nav').replaceChildren(h('ul', {}, sections.map((s) => h('li', {},
    h('a', { href: '#/' + s.id, 'aria-current': s === current ? 'page' : false }, s.label)))));
  const content = $('content');
  if (!current) {
    content.replaceChildren(h('h1', {}, 'Nothing to show'), h('p', { className: 'empty' }, 'You are not a member of any tenant yet.'));
    return;
  }
  const token = ++state.renderToken;
  content.setAttribute('aria-busy', 'true');
  try {
    const mod = await import(current.module);
    if (token !== state.renderToken) return; // another navigation started meanwhile
    const box = h('div', { className: 'section', 'data-section': current.id });
    content.replaceChildren(box);
    await mod.render(ctx, box, arg);
  } catch (err) {
    if (token === state.renderToken) fail(err);
  } finally {
    if (token === state.renderToken) content.removeAttribute('aria-busy');
  }
}

$('tenant-select').addEventListener('change', (e) => {
  state.tenantId = e.target.value;
  localStorage.setItem('parley.panel.tenant', state.tenantId);
  clearError();
  const { section } = parseHash();
  if (location.hash === '#/' + section) renderSection();
  else location.hash = '#/' + section;
});

window.addEventListener('hashchange', () => {
  clearError();
  renderSection().then(() => {
    const heading = $('content').querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  });
});

// ---------- start ----------

(async () => {
  try {
    signedIn(await api('GET', '/api/v1/auth/me'));
    await route();
  } catch (err) {
    signedOut();
    if (!(err instanceof ApiError) || err.status !== 401) showError(err);
  }
})();
