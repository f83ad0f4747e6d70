// Parley control panel: sign in (cookie session + CSRF header), forced password change, tenants, widgets,
// embed snippets and a small widget editor. Every string from the server is rendered with textContent or
// DOM properties, never as HTML. API reference: docs/http-api.md.

const state = {
  me: null, // GET /api/v1/auth/me (or the login response): {user, tenants, csrf_token}
  csrf: '',
  tenants: [],
  tenantId: '',
  widgets: [],
  passwordForced: false,
};

const $ = (id) => document.getElementById(id);

// ---------- API ----------

class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

function cookie(name) {
  const hit = document.cookie.split('; ').find((c) => c.startsWith(name + '='));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : '';
}

// Calls the API; resolves with the JSON body (null for 204) or throws ApiError with the server's code and message.
async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = state.csrf || cookie('parley_csrf');
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'Cannot reach the server. Check that parleyd is running and try again.');
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(res.status, err.code || 'http_' + res.status, err.message || `The server answered ${res.status}.`,
      res.headers.get('Retry-After'));
  }
  return data;
}

// ---------- messages ----------

function describe(err) {
  if (!(err instanceof ApiError)) return String((err && err.message) || err);
  let text = err.message;
  if (err.retryAfter) text += ` (retry in ${err.retryAfter} s)`;
  return err.status ? `${text} [${err.code}]` : text;
}

function showError(err, target = $('alert')) {
  target.textContent = typeof err === 'string' ? err : describe(err);
  target.hidden = false;
}

function clearError(target = $('alert')) {
  target.textContent = '';
  target.hidden = true;
}

let noticeTimer;
function notice(text) {
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

// ---------- DOM helpers ----------

// h('a', {href: '/x', className: 'y'}, 'text', child): properties are set as properties (attributes for
// aria-*, data-*, for), strings become text nodes.
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('aria-') || k.startsWith('data-') || k === 'for' || k === 'role') el.setAttribute(k, v === true ? '' : v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el[k] = v;
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

function showView(id) {
  for (const v of ['view-sign-in', 'view-password', 'view-main']) $(v).hidden = v !== id;
  $('loading').hidden = true;
  const heading = $(id).querySelector('h1');
  if (heading) heading.focus();
}

async function withBusy(button, fn) {
  button.disabled = true;
  try {
    return await fn();
  } finally {
    button.disabled = false;
  }
}

// ---------- session ----------

function signedIn(me) {
  state.me = me;
  state.csrf = me.csrf_token || cookie('parley_csrf');
  $('account-email').textContent = me.user.email;
  $('account').hidden = false;
}

function signedOut() {
  Object.assign(state, { me: null, csrf: '', tenants: [], tenantId: '', widgets: [] });
  $('account').hidden = true;
  $('widget-list').replaceChildren();
  $('tenant-select').replaceChildren();
  $('sign-in-form').reset();
  showView('view-sign-in');
}

function route() {
  if (!state.me) return signedOut();
  if (state.me.user.must_change_password) return showPasswordForm(true);
  $('change-password-button').hidden = false;
  showView('view-main');
  loadTenants();
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
      route();
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
      route();
    } catch (err) {
      if (!handleSessionError(err)) showError(err);
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

// ---------- tenants ----------

function roleIn(tenantId) {
  const m = (state.me.tenants || []).find((t) => t.id === tenantId);
  return m ? m.role : '';
}

function canManage(tenantId) {
  return state.me.user.is_super_admin || roleIn(tenantId) === 'client_admin';
}

async function loadTenants() {
  clearError();
  try {
    const { tenants } = await api('GET', '/api/v1/tenants');
    state.tenants = tenants;
    const select = $('tenant-select');
    select.replaceChildren(...tenants.map((t) => h('option', { value: t.id }, t.name + (t.is_active ? '' : ' (inactive)'))));
    if (!tenants.length) {
      $('tenant-meta').textContent = '';
      $('widget-list').replaceChildren(h('p', { className: 'empty' }, 'You are not a member of any tenant yet.'));
      return;
    }
    const wanted = new URLSearchParams(location.hash.slice(1)).get('tenant');
    state.tenantId = tenants.some((t) => t.id === wanted) ? wanted : tenants[0].id;
    select.value = state.tenantId;
    await loadWidgets();
  } catch (err) {
    if (!handleSessionError(err)) showError(err);
  }
}

$('tenant-select').addEventListener('change', (e) => {
  state.tenantId = e.target.value;
  history.replaceState(null, '', '#tenant=' + encodeURIComponent(state.tenantId));
  clearError();
  loadWidgets();
});

$('reload-button').addEventListener('click', () => {
  clearError();
  loadTenants();
});

// ---------- widgets ----------

async function loadWidgets() {
  const tenantId = state.tenantId;
  const tenant = state.tenants.find((t) => t.id === tenantId);
  const role = state.me.user.is_super_admin ? 'super admin' : roleIn(tenantId).replace('_', ' ');
  $('tenant-meta').textContent = `Plan ${tenant.plan} · ${tenant.slug}${role ? ' · you: ' + role : ''}`;
  const list = $('widget-list');
  list.setAttribute('aria-busy', 'true');
  try {
    const { widgets } = await api('GET', `/api/v1/tenants/${tenantId}/widgets`);
    if (tenantId !== state.tenantId) return; // the user picked another tenant meanwhile
    state.widgets = widgets;
    // The embed snippets, one request per widget, in parallel; a failure shows in its card.
    const embeds = await Promise.all(widgets.map((w) =>
      api('GET', `/api/v1/tenants/${tenantId}/widgets/${w.id}/embed`).catch((err) => ({ error: err }))));
    if (tenantId !== state.tenantId) return;
    list.replaceChildren(...widgets.map((w, i) => widgetCard(w, embeds[i])));
    if (!widgets.length) list.append(h('p', { className: 'empty' }, 'This tenant has no widgets yet.'));
  } catch (err) {
    if (!handleSessionError(err)) showError(err);
  } finally {
    list.removeAttribute('aria-busy');
  }
}

// '#abc' → '#aabbcc', '#aabbccdd' → '#aabbcc' (input type=color takes #rrggbb only).
function toColorInput(c) {
  if (!/^#([\da-f]{3}|[\da-f]{6}|[\da-f]{8})$/i.test(c || '')) return '#3b82f6';
  if (c.length === 4) return ('#' + c[1] + c[1] + c[2] + c[2] + c[3] + c[3]).toLowerCase();
  return c.slice(0, 7).toLowerCase();
}

function splitDomains(text) {
  return text.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
}

// Clipboard API first; the execCommand fallback covers plain http (not a secure context) and refusals.
function copyWithSelection(text) {
  const area = h('textarea', { value: text, readOnly: true, className: 'offscreen' });
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

async function copyText(text, button) {
  let ok = false;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      /* fall back below */
    }
  }
  if (!ok) ok = copyWithSelection(text);
  button.focus();
  if (!ok) return showError('Could not copy automatically: select the snippet and copy it by hand.');
  button.textContent = 'Copied';
  notice('Snippet copied to the clipboard.');
  setTimeout(() => (button.textContent = 'Copy'), 2000);
}

function embedBlock(widget, embed) {
  if (!embed || embed.error) {
    return h('p', { className: 'error-text' }, 'Could not load the embed snippets: ' + describe(embed && embed.error));
  }
  const forms = [
    ['Script tag', embed.forms.script_tag],
    ['Key in the URL', embed.forms.query],
    ['ChatWidget.setup', embed.forms.setup],
  ];
  return h('div', { className: 'embeds' }, forms.map(([label, code], i) => {
    const id = `embed-${widget.id}-${i}`;
    const button = h('button', { type: 'button', className: 'secondary small', 'aria-describedby': id + '-label' }, 'Copy');
    button.addEventListener('click', () => copyText(code, button));
    return h('div', { className: 'embed' },
      h('div', { className: 'embed-head' }, h('span', { id: id + '-label' }, label), button),
      h('pre', { id }, h('code', {}, code)));
  }));
}

function widgetCard(w, embed) {
  const b = w.config.branding || {};
  const be = w.config.behavior || {};
  const manage = canManage(w.tenant_id);
  const p = `w-${w.id}`;
  const version = h('dd', {}, String(w.version));
  const card = h('article', { className: 'card', 'aria-labelledby': p + '-name' });

  const status = h('p', { className: 'form-status', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { className: 'form-error', role: 'alert', hidden: true });
  const name = h('input', { id: p + '-edit-name', name: 'name', type: 'text', value: w.name, required: true, maxLength: 200 });
  const colorValue = toColorInput(b.primary_color);
  const colorText = h('output', { id: p + '-color-value', 'for': p + '-edit-color' }, colorValue);
  const color = h('input', { id: p + '-edit-color', name: 'primary_color', type: 'color', value: colorValue,
    'aria-describedby': p + '-color-value' });
  color.addEventListener('input', () => (colorText.textContent = color.value));
  const welcome = h('textarea', { id: p + '-edit-welcome', name: 'welcome_message', rows: 3, maxLength: 2000,
    value: be.welcome_message || '' });
  const domains = h('input', { id: p + '-edit-domains', name: 'allowed_domains', type: 'text',
    value: (w.allowed_domains || []).join(', '), 'aria-describedby': p + '-domains-hint' });
  const save = h('button', { type: 'submit' }, 'Save changes');

  const form = h('form', { className: 'edit-form', noValidate: true },
    h('fieldset', { disabled: !manage },
      h('legend', {}, 'Edit widget'),
      !manage && h('p', { className: 'hint' }, 'Your role in this tenant is read-only.'),
      h('label', { 'for': name.id }, 'Name'), name,
      h('label', { 'for': color.id }, 'Primary colour'), h('div', { className: 'color-row' }, color, colorText),
      h('label', { 'for': welcome.id }, 'Welcome message'), welcome,
      h('label', { 'for': domains.id }, 'Allowed domains'), domains,
      h('p', { className: 'hint', id: p + '-domains-hint' },
        'Comma separated, e.g. www.example.com, *.example.com. Empty allows every domain.'),
      h('div', { className: 'actions' }, save), error, status));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(error);
    status.textContent = '';
    if (!name.value.trim()) {
      showError('The name cannot be empty.', error);
      return name.focus();
    }
    // Send only what changed, with expected_version so a concurrent edit is refused instead of overwritten.
    const patch = { expected_version: w.version };
    if (name.value.trim() !== w.name) patch.name = name.value.trim();
    const config = {};
    if (color.value !== colorValue) config.branding = { primary_color: color.value };
    if (welcome.value !== (be.welcome_message || '')) config.behavior = { welcome_message: welcome.value };
    if (Object.keys(config).length) patch.config = config;
    const newDomains = splitDomains(domains.value);
    if (newDomains.join(',') !== (w.allowed_domains || []).join(',')) patch.allowed_domains = newDomains;
    if (Object.keys(patch).length === 1) {
      status.textContent = 'Nothing to save: no field has changed.';
      return;
    }
    await withBusy(save, async () => {
      try {
        const updated = await api('PATCH', `/api/v1/tenants/${w.tenant_id}/widgets/${w.id}`, patch);
        const i = state.widgets.findIndex((x) => x.id === w.id);
        if (i >= 0) state.widgets[i] = updated;
        const fresh = widgetCard(updated, embed);
        card.replaceWith(fresh);
        const msg = `Saved “${updated.name}”: now version ${updated.version}.`;
        fresh.querySelector('.form-status').textContent = msg;
        fresh.querySelector('details').open = true;
        fresh.querySelector('button[type=submit]').focus();
        notice(msg);
      } catch (err) {
        if (handleSessionError(err)) return;
        showError(err.code === 'version_conflict'
          ? `${describe(err)} Someone else changed this widget: press Reload and make your change again.` : err, error);
      }
    });
  });

  const domainList = (w.allowed_domains || []).length ? w.allowed_domains.join(', ') : 'any (no restriction)';
  card.append(
    h('header', { className: 'card-head' },
      h('h2', { id: p + '-name' }, w.name),
      h('span', { className: 'badge ' + (w.is_active ? 'on' : 'off') }, w.is_active ? 'active' : 'inactive')),
    h('dl', { className: 'facts' },
      h('dt', {}, 'Public key'), h('dd', {}, h('code', {}, w.public_key)),
      h('dt', {}, 'Site id'), h('dd', {}, w.site_id || '—'),
      h('dt', {}, 'Version'), version,
      h('dt', {}, 'Allowed domains'), h('dd', {}, domainList),
      h('dt', {}, 'Primary colour'),
      h('dd', {}, h('span', { className: 'swatch', style: `background:${toColorInput(b.primary_color)}` }),
        ' ', b.primary_color || '')),
    h('h3', {}, 'Embed code'),
    embedBlock(w, embed),
    h('details', { className: 'edit' }, h('summary', {}, 'Edit widget'), form));
  return card;
}

// ---------- start ----------

(async () => {
  try {
    signedIn(await api('GET', '/api/v1/auth/me'));
    route();
  } catch (err) {
    signedOut();
    if (!(err instanceof ApiError) || err.status !== 401) showError(err);
  }
})();
