// WhatsApp (plugin whatsapp): numbers with their health and sealed secrets (the verify token shown once), the
// 24-hour window, keyword flows edited as JSON with the server's errors pointing at the node, and template
// broadcasts from a CSV or to the contacts with a tag, with the per-row rejections and live progress (pushed over
// the realtime socket, polled only while it is down). Routes: /api/v1/plugins/whatsapp/… (plugins/whatsapp/README.md);
// #/whatsapp/broadcasts/<id> is one broadcast's page.
import { ApiError, session, cookie } from '../../common/api.js';
import { h, table, withBusy, showFieldError, clearFieldErrors, formatTime } from '../../common/dom.js';
import { heading, field, formMessages, writeButton, readOnlyNote, lines } from './ui.js';
import { Realtime } from '../../inbox/realtime.js';

const BASE = '/api/v1/plugins/whatsapp';
const POLL_MS = 3000;

// What POST /broadcasts answered, kept for the broadcast's page it leads to (the rejected rows are only in that answer).
const creationReports = new Map();

// Like ctx.send, but a failure keeps the server's whole error object in err.body: the 422s of flows
// (details: [{path, message}]) and broadcasts (rejected: [{row, reason}]) carry more than a message.
async function sendKeepingDetails(ctx, method, path, body) {
  const headers = { Accept: 'application/json', 'Content-Type': 'application/json', 'X-Parley-Tenant': ctx.tenantId };
  const csrf = session.csrf || cookie('parley_csrf');
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(BASE + path, { method, headers, body: JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection and try again.');
  }
  const data = await res.json().catch(() => null);
  if (res.ok) return data;
  const e = (data && data.error) || {};
  const err = new ApiError(res.status, e.code || 'http_' + res.status, e.message || `The server answered ${res.status}.`,
    res.headers.get('Retry-After'));
  err.body = e;
  throw err;
}

// el.append without the nulls and falses of controls a role does not get (append(null) would add "null").
function append(el, ...nodes) {
  el.append(...nodes.filter((n) => n !== null && n !== undefined && n !== false));
}

// Runs fn for a button; errors go to `target` (or the page alert), session errors are handled by ctx.fail.
function act(ctx, button, fn, target) {
  return withBusy(button, async () => {
    try {
      await fn();
    } catch (err) {
      ctx.fail(err, target && Object.assign(target, { hidden: false }));
    }
  });
}

// "Healthy · last webhook … · last send …" or "Unhealthy: access token expired (code 190: …) · …".
export function healthLine(health) {
  const e = health.token_error;
  const why = health.healthy ? 'Healthy'
    : `Unhealthy: access token ${health.token_state}` + (e ? ` (${e.code ? 'code ' + e.code + ': ' : ''}${e.message || 'no detail'})` : '') +
      ' — replace the token';
  return `${why} · last webhook ${health.last_webhook_at ? formatTime(health.last_webhook_at) : 'never'}` +
    ` · last send ${health.last_send_at ? formatTime(health.last_send_at) : 'never'}`;
}

// "nodes.route.cases[0].next" → {node: 'route', rest: 'cases[0].next'}; other paths have no node.
export function flowErrorPlace(path) {
  const m = /^nodes\.([^.[]+)\.?(.*)$/.exec(path || '');
  return m ? { node: m[1], rest: m[2] } : { node: '', rest: path || '' };
}

export async function render(ctx, el, arg = '') {
  const [kind, id] = arg.split('/');
  if (kind === 'broadcasts' && id) return renderBroadcast(ctx, el, id);
  const [{ numbers }, { widgets }, { flows }, { broadcasts }] = await Promise.all([ctx.get(BASE + '/numbers'),
    ctx.get(`/api/v1/tenants/${ctx.tenantId}/widgets`), ctx.get(BASE + '/flows'), ctx.get(BASE + '/broadcasts')]);
  const reload = async () => {
    el.replaceChildren();
    await render(ctx, el);
  };
  const widgetName = (wid) => (widgets.find((w) => w.id === wid) || { name: wid }).name;
  append(el, ...heading('WhatsApp', 'Your WhatsApp Business numbers as a channel: the same conversations, bots and agents as the widget.'),
    readOnlyNote(ctx), numbersPart(ctx, numbers, widgets, widgetName, reload, (node) => el.querySelector('h1').after(node)), windowNote(numbers),
    flowsPart(ctx, flows, widgets, widgetName, reload), broadcastsPart(ctx, broadcasts, numbers));
}

// ---------- numbers ----------

function numbersPart(ctx, numbers, widgets, widgetName, reload, reveal) {
  const box = h('section', { 'aria-labelledby': 'wa-numbers' }, h('h2', { id: 'wa-numbers' }, 'Numbers'));
  const out = h('div', { role: 'status', 'aria-live': 'polite' });
  const error = h('p', { className: 'form-error', role: 'alert', hidden: true });
  box.append(out, error, table('WhatsApp numbers', [
    ['Number', (n) => [n.display_number, h('br'), h('small', {}, 'id ' + n.phone_number_id)]],
    ['Widget', (n) => widgetName(n.widget_id)],
    ['Health', (n) => [h('span', { className: 'badge ' + (n.health.healthy ? 'health-healthy' : 'health-failing') },
      n.health.healthy ? 'healthy' : 'unhealthy'), ' ', h('span', { className: 'health-line' }, healthLine(n.health))]],
    ['Secrets', (n) => `access token ${n.access_token || '—'}, app secret ${n.app_secret || '—'}, verify token ${n.verify_token || '—'}`],
    ['', (n) => ctx.canWrite && h('div', { className: 'actions' },
      writeButton(ctx, 'Replace token', () => out.replaceChildren(tokenForm(ctx, n, reload)),
        { className: 'small secondary', 'aria-label': `Replace the access token of ${n.display_number}` }),
      writeButton(ctx, 'Remove', (ev) => act(ctx, ev.target, async () => {
        if (!confirm(`Disconnect ${n.display_number}? Its conversations stay; nothing more is received or sent.`)) return;
        await ctx.send('DELETE', `${BASE}/numbers/${n.phone_number_id}`);
        await reload();
        ctx.notice(`${n.display_number} disconnected.`);
      }, error), { className: 'small secondary', 'aria-label': `Remove ${n.display_number}` }))],
  ], numbers, 'No number connected yet.'));
  if (ctx.canWrite) box.append(numberForm(ctx, widgets, reload, reveal));
  return box;
}

function tokenForm(ctx, n, reload) {
  const token = h('input', { type: 'password', autocomplete: 'off', 'data-field': 'access_token' });
  const msgs = formMessages();
  const form = h('form', { className: 'inline-form', noValidate: true },
    h('h3', {}, `New access token for ${n.display_number}`), field('Access token', token, 'Replacing it makes the number healthy again and releases held sends.'),
    h('div', { className: 'actions' }, h('button', { type: 'submit', 'data-write': true }, 'Save token'),
      h('button', { type: 'button', className: 'secondary', onclick: () => form.remove() }, 'Cancel')), msgs.box);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!token.value) return showFieldError(form, 'access_token', 'Paste the new token.');
    return act(ctx, form.querySelector('button[type=submit]'), async () => {
      await ctx.send('PATCH', `${BASE}/numbers/${n.phone_number_id}`, { access_token: token.value });
      await reload();
      ctx.notice(`The access token of ${n.display_number} was replaced.`);
    }, msgs.error);
  });
  return form;
}

// reveal(node) puts the once-only verify token at the top of the re-rendered section.
function numberForm(ctx, widgets, reload, reveal) {
  const input = (name, props = {}) => h('input', { 'data-field': name, autocomplete: 'off', ...props });
  const id = input('phone_number_id', { inputMode: 'numeric' });
  const waba = input('business_account_id', { inputMode: 'numeric' });
  const display = input('display_number', { placeholder: '+1 555 078 3881' });
  const widget = h('select', { 'data-field': 'widget_id' }, widgets.map((w) => h('option', { value: w.id }, w.name)));
  const secret = input('app_secret', { type: 'password' });
  const token = input('access_token', { type: 'password' });
  const verify = input('verify_token', { type: 'password' });
  const tplName = input('window_template.name', { placeholder: 'follow_up' });
  const tplLang = input('window_template.language', { value: 'en_US' });
  const tplParams = input('window_template.parameters', { placeholder: '{{name}}' });
  const msgs = formMessages();
  const form = h('form', { className: 'inline-form', noValidate: true }, h('h2', {}, 'Connect a number'),
    field('Phone number ID', id, 'WhatsApp → API Setup in Meta’s dashboard.'), field('Business account ID', waba),
    field('Display number', display), field('Widget', widget, 'Its bot, knowledge base, flows and settings answer this number.'),
    field('App secret', secret, 'App settings → Basic; it signs every webhook.'), field('Access token', token, 'A system user’s permanent token.'),
    field('Verify token', verify, 'Optional, 8 characters or more; left empty, one is made for you.'),
    field('Window template', tplName, 'Optional: sent instead of a free-form message outside the 24-hour window.'),
    field('Template language', tplLang), field('Template parameters', tplParams, 'Comma separated; {{name}} is the contact’s name.'),
    h('div', { className: 'actions' }, h('button', { type: 'submit', 'data-write': true }, 'Connect number')), msgs.box);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    msgs.error.hidden = true;
    const body = { phone_number_id: id.value.trim(), business_account_id: waba.value.trim(), display_number: display.value.trim(),
      widget_id: widget.value, app_secret: secret.value, access_token: token.value, verify_token: verify.value || undefined };
    if (tplName.value.trim()) body.window_template = { name: tplName.value.trim(), language: tplLang.value.trim() || 'en_US', parameters: lines(tplParams.value) };
    await withBusy(form.querySelector('button[type=submit]'), async () => {
      try {
        const r = await ctx.send('POST', BASE + '/numbers', body);
        await reload();
        ctx.notice(`${r.number.display_number} connected.`);
        reveal(h('div', { className: 'secret-box', role: 'status' },
          h('p', {}, `The verify token of ${r.number.display_number}, shown this once (paste it into Meta’s webhook settings with the callback URL `,
            h('code', {}, location.origin + r.number.webhook_path), '): '), h('code', { className: 'verify-token' }, r.verify_token)));
      } catch (err) {
        if (!err.field || !showFieldError(form, err.field.replace(/\[\d+\]$/, ''), err.message)) ctx.fail(err, Object.assign(msgs.error, { hidden: false }));
      }
    });
  });
  return form;
}

function windowNote(numbers) {
  return h('section', { 'aria-labelledby': 'wa-window' }, h('h2', { id: 'wa-window' }, 'The 24-hour window'),
    h('p', {}, 'Agents and bots can send free-form messages only within 24 hours of the contact’s last message (Meta’s rule). ' +
      'Outside it the number’s window template is sent instead; without one the message fails with “outside_window”. ' +
      'The inbox tells the agent before they type.'),
    numbers.length ? h('ul', {}, numbers.map((n) => h('li', {}, `${n.display_number}: ` + (n.window_template && n.window_template.name
      ? `template “${n.window_template.name}” (${n.window_template.language})` : 'no window template')))) : null);
}

// ---------- flows ----------

function flowsPart(ctx, flows, widgets, widgetName, reload) {
  const box = h('section', { 'aria-labelledby': 'wa-flows' }, h('h2', { id: 'wa-flows' }, 'Flows'),
    h('p', { className: 'hint' }, 'Keyword-triggered conversation scripts (docs/flows.md), per widget, tried in creation order.'));
  const error = h('p', { className: 'form-error', role: 'alert', hidden: true });
  const editor = ctx.canWrite ? flowEditor(ctx, widgets, reload) : null;
  box.append(error, table('Flows', [
    ['Name', (f) => f.name], ['Widget', (f) => widgetName(f.widget_id)],
    ['Keywords', (f) => ((f.definition.trigger && f.definition.trigger.keywords) || []).join(', ')],
    ['Enabled', (f) => {
      if (!ctx.canWrite) return f.enabled ? 'yes' : 'no';
      const check = h('input', { type: 'checkbox', checked: f.enabled, 'data-write': true, 'aria-label': `Enabled: ${f.name}` });
      check.addEventListener('change', () => act(ctx, check, async () => {
        await ctx.send('PUT', `${BASE}/flows/${f.id}`, { widget_id: f.widget_id, enabled: check.checked, definition: f.definition });
        ctx.notice(`${f.name} ${check.checked ? 'enabled' : 'disabled'}.`);
      }, error));
      return check;
    }],
    ['Updated', (f) => formatTime(f.updated_at)],
    ['', (f) => ctx.canWrite
      ? h('div', { className: 'actions' },
        writeButton(ctx, 'Edit', () => editor.load(f), { className: 'small secondary', 'aria-label': `Edit ${f.name}` }),
        writeButton(ctx, 'Delete', (ev) => act(ctx, ev.target, async () => {
          if (!confirm(`Delete the flow “${f.name}”?`)) return;
          await ctx.send('DELETE', `${BASE}/flows/${f.id}`);
          await reload();
        }, error), { className: 'small secondary', 'aria-label': `Delete ${f.name}` }))
      : h('details', {}, h('summary', {}, 'JSON'), h('pre', {}, JSON.stringify(f.definition, null, 2)))],
  ], flows, 'No flows yet.'));
  if (editor) box.append(editor.form);
  return box;
}

const FLOW_EXAMPLE = {
  name: 'Opening hours', trigger: { keywords: ['hours', 'open'], match: 'contains' }, start: 'tell',
  nodes: { tell: { type: 'message', text: 'We are open 9 to 5, Monday to Friday.', next: 'bye' }, bye: { type: 'end' } },
};

// The JSON editor: Check asks /flows/validate, Save creates or replaces; every error is listed with its node,
// and choosing one selects that node in the text.
function flowEditor(ctx, widgets, reload) {
  let editing = null;
  const title = h('h2', {}, 'New flow');
  const widget = h('select', { 'data-field': 'widget_id' }, widgets.map((w) => h('option', { value: w.id }, w.name)));
  const enabled = h('input', { type: 'checkbox', checked: true, 'data-field': 'enabled' });
  const json = h('textarea', { rows: 18, spellcheck: false, className: 'code', 'data-field': 'definition',
    value: JSON.stringify(FLOW_EXAMPLE, null, 2) });
  const report = h('div', { className: 'flow-errors', role: 'alert' });
  const status = h('p', { className: 'form-status', role: 'status', 'aria-live': 'polite' });
  const cancel = h('button', { type: 'button', className: 'secondary', hidden: true, onclick: () => load(null) }, 'New flow instead');
  const check = h('button', { type: 'button', className: 'secondary', 'data-write': true }, 'Check');
  const form = h('form', { className: 'inline-form flow-editor', noValidate: true }, title, field('Widget', widget), field('Enabled', enabled),
    field('Flow (JSON)', json, 'name, trigger, start and nodes; see docs/flows.md.'),
    h('div', { className: 'actions' }, h('button', { type: 'submit', 'data-write': true }, 'Save flow'), check, cancel), report, status);

  function load(f) {
    editing = f;
    title.textContent = f ? `Edit “${f.name}”` : 'New flow';
    cancel.hidden = !f;
    json.value = JSON.stringify(f ? f.definition : FLOW_EXAMPLE, null, 2);
    if (f) {
      widget.value = f.widget_id;
      enabled.checked = f.enabled;
    }
    report.replaceChildren();
    status.textContent = '';
    json.focus();
  }

  // Selects `"node":` inside "nodes" in the text, so the place of an error is in view.
  function selectNode(node) {
    const text = json.value;
    const nodesAt = text.indexOf('"nodes"');
    const at = text.indexOf(JSON.stringify(node) + ':', nodesAt < 0 ? 0 : nodesAt);
    const from = at >= 0 ? at : text.indexOf(JSON.stringify(node));
    json.focus();
    if (from >= 0) json.setSelectionRange(from, from + JSON.stringify(node).length);
  }

  function showErrors(list) {
    report.replaceChildren(h('p', { className: 'form-error' }, `The flow has ${list.length} error${list.length > 1 ? 's' : ''}:`),
      h('ul', {}, list.map(({ path, message }) => {
        const { node, rest } = flowErrorPlace(path);
        if (!node) return h('li', { className: 'error-text' }, `${path || 'the flow'}: ${message}`);
        return h('li', { className: 'error-text' }, `Node “${node}”${rest ? ' → ' + rest : ''}: ${message} `,
          h('button', { type: 'button', className: 'small secondary', onclick: () => selectNode(node) }, `Show node “${node}”`));
      })));
    json.setAttribute('aria-invalid', 'true');
  }

  // The definition from the text, or null after showing why it does not parse.
  function parsed() {
    report.replaceChildren();
    status.textContent = '';
    json.removeAttribute('aria-invalid');
    try {
      return JSON.parse(json.value);
    } catch (err) {
      report.replaceChildren(h('p', { className: 'form-error' }, `The text is not valid JSON: ${err.message}`));
      json.setAttribute('aria-invalid', 'true');
      return null;
    }
  }

  async function submit(button, validateOnly) {
    const definition = parsed();
    if (!definition) return;
    await withBusy(button, async () => {
      try {
        if (validateOnly) {
          await sendKeepingDetails(ctx, 'POST', '/flows/validate', { definition });
          status.textContent = 'The flow is valid.';
          return;
        }
        const body = { widget_id: widget.value, enabled: enabled.checked, definition };
        const r = await sendKeepingDetails(ctx, editing ? 'PUT' : 'POST', editing ? `/flows/${editing.id}` : '/flows', body);
        await reload();
        ctx.notice(`Flow “${r.flow.name}” saved.`);
      } catch (err) {
        if (err.body && Array.isArray(err.body.details)) showErrors(err.body.details);
        else ctx.fail(err, report.appendChild(h('p', { className: 'form-error' })));
      }
    });
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(form.querySelector('button[type=submit]'), false);
  });
  check.addEventListener('click', () => submit(check, true));
  return { form, load };
}

// ---------- broadcasts ----------

function progressText(b) {
  const c = b.counts || {};
  const done = (c.sent || 0) + (c.delivered || 0) + (c.read || 0);
  return `${done} of ${b.recipients} sent (delivered ${c.delivered || 0}, read ${c.read || 0}), ` +
    `${(c.queued || 0) + (c.sending || 0) + (c.accepted || 0)} waiting, ${(c.failed || 0) + (c.interrupted || 0)} failed`;
}

function statusText(b) {
  return b.status + (b.stop_reason ? ` (${b.stop_reason.replace(/_/g, ' ')})` : '');
}

function rejectedTable(rows) {
  return table('Rejected rows', [['Row', (r) => String(r.row)], ['Reason', (r) => r.reason]], rows, 'Every row was accepted.');
}

function broadcastsPart(ctx, broadcasts, numbers) {
  const box = h('section', { 'aria-labelledby': 'wa-broadcasts' }, h('h2', { id: 'wa-broadcasts' }, 'Broadcasts'),
    h('p', { className: 'hint' }, 'An approved template sent to a list of contacts, in order, at the number’s pace.'),
    table('Broadcasts', [
      ['Name', (b) => h('a', { href: `#/whatsapp/broadcasts/${b.id}` }, b.name)], ['Template', (b) => b.template.name],
      ['Status', (b) => statusText(b)], ['Progress', (b) => progressText(b)], ['Created', (b) => formatTime(b.created_at)],
    ], broadcasts, 'No broadcasts yet.'));
  if (ctx.canWrite && numbers.length) box.append(broadcastForm(ctx, numbers));
  return box;
}

function broadcastForm(ctx, numbers) {
  const number = h('select', { 'data-field': 'phone_number_id' }, numbers.map((n) => h('option', { value: n.phone_number_id }, n.display_number)));
  const name = h('input', { 'data-field': 'name', maxLength: 200 });
  const tplName = h('input', { 'data-field': 'template', placeholder: 'spring_sale' });
  const tplLang = h('input', { 'data-field': 'template.language', value: 'en_US' });
  const tplParams = h('input', { 'data-field': 'template.parameters', placeholder: '{{name}}' });
  const file = h('input', { type: 'file', accept: '.csv,text/csv' });
  const csv = h('textarea', { rows: 6, 'data-field': 'csv', className: 'code', placeholder: 'phone,name\n+16505551234,Ana' });
  const tag = h('input', { 'data-field': 'tag', placeholder: 'vip', maxLength: 50 });
  file.addEventListener('change', async () => {
    if (file.files[0]) csv.value = await file.files[0].text();
  });
  const report = h('div', { className: 'broadcast-report', role: 'status', 'aria-live': 'polite' });
  const msgs = formMessages();
  const form = h('form', { className: 'inline-form', noValidate: true }, h('h2', {}, 'New broadcast'),
    field('Number', number), field('Name', name), field('Template', tplName, 'An approved template of the number’s business account.'),
    field('Template language', tplLang), field('Template parameters', tplParams, 'Comma separated; {{name}} is the contact’s name from the CSV.'),
    field('Recipients (CSV file)', file, 'A header with a “phone” column (E.164, e.g. +16505551234) and optionally “name”; at most 10,000 rows.'),
    field('Recipients (CSV)', csv, 'The file’s text appears here; you can also paste or edit it.'),
    field('Recipients (contacts with tag)', tag, 'Instead of a CSV: every contact with this tag and a phone number in E.164.'),
    h('div', { className: 'actions' }, h('button', { type: 'submit', 'data-write': true }, 'Start broadcast')), msgs.box, report);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    msgs.error.hidden = true;
    report.replaceChildren();
    if (!csv.value.trim() && !tag.value.trim()) return showFieldError(form, 'csv', 'Choose a CSV file, paste the recipients or name a contact tag.');
    const recipients = tag.value.trim() ? { tag: tag.value.trim() } : { csv: csv.value };
    await withBusy(form.querySelector('button[type=submit]'), async () => {
      try {
        const r = await sendKeepingDetails(ctx, 'POST', '/broadcasts', { phone_number_id: number.value, name: name.value.trim(),
          template: { name: tplName.value.trim(), language: tplLang.value.trim() || 'en_US', parameters: lines(tplParams.value) }, ...recipients });
        creationReports.set(r.broadcast.id, r);
        ctx.go(`#/whatsapp/broadcasts/${r.broadcast.id}`);
      } catch (err) {
        if (err.body && Array.isArray(err.body.rejected)) {
          report.replaceChildren(h('p', { className: 'form-error' }, `Nothing was sent: ${err.message}. Rows not accepted:`), rejectedTable(err.body.rejected));
        } else if (!err.field || !showFieldError(form, err.field, err.message)) {
          ctx.fail(err, Object.assign(msgs.error, { hidden: false }));
        }
      }
    });
  });
  return form;
}

// Live broadcast progress: the plugin pushes {"type": "plugin_event", "plugin": "whatsapp", "name":
// "broadcast.progress", "data": {"broadcast": {...}}} to the tenant's signed-in users (docs/http-api.md#realtime).
// No presence is sent: an admin watching a broadcast does not count as an agent online.
function listenProgress(ctx, onProgress, onState) {
  const rt = new Realtime({
    tenantId: ctx.tenantId, csrf: session.csrf || cookie('parley_csrf'), onState,
    onFrame: (f) => {
      if (f.type === 'plugin_event' && f.plugin === 'whatsapp' && f.name === 'broadcast.progress' && f.data && f.data.broadcast) onProgress(f.data.broadcast);
    },
  });
  rt.start();
  return rt;
}

// One broadcast: progress pushed live while the page shows it (polled every few seconds only while the socket is
// down), stop and resume, each recipient's status and error, and the rows rejected when it was created.
async function renderBroadcast(ctx, el, id) {
  const created = creationReports.get(id);
  creationReports.delete(id);
  const title = h('h1', { tabIndex: -1 });
  const facts = h('dl', { className: 'facts' });
  const bar = h('progress', { max: 1, value: 0 });
  const live = h('p', { className: 'hint live-state', role: 'status' }, 'Connecting for live progress…');
  const actions = h('div', { className: 'actions' });
  const error = h('p', { className: 'form-error', role: 'alert', hidden: true });
  const recipients = h('div');
  append(el, h('p', {}, h('a', { href: '#/whatsapp' }, '← WhatsApp')), title, readOnlyNote(ctx), facts, bar, live, actions, error);
  if (created) {
    el.append(h('h2', {}, 'Rows not accepted'), h('p', {}, `${created.accepted} recipients accepted.`), rejectedTable(created.rejected));
  }
  el.append(h('h2', {}, 'Recipients'), recipients);

  let timer = null;
  let online = false;
  let status = '';
  function showBroadcast(b) {
    status = b.status;
    title.textContent = `Broadcast “${b.name}”`;
    facts.replaceChildren(h('dt', {}, 'Status'), h('dd', { className: 'broadcast-status' }, statusText(b)),
      h('dt', {}, 'Template'), h('dd', {}, `${b.template.name} (${b.template.language})`),
      h('dt', {}, 'Number'), h('dd', {}, b.phone_number_id),
      h('dt', {}, 'Progress'), h('dd', { className: 'broadcast-progress' }, progressText(b)),
      h('dt', {}, 'Created'), h('dd', {}, formatTime(b.created_at)));
    const c = b.counts;
    bar.max = Math.max(1, b.recipients);
    bar.value = b.recipients - (c.queued || 0) - (c.sending || 0);
    actions.replaceChildren(...[
      b.status === 'running' && writeButton(ctx, 'Stop', (ev) => act(ctx, ev.target, async () => {
        await ctx.send('POST', `${BASE}/broadcasts/${id}/stop`, {});
        await refresh();
      }, error), { className: 'secondary' }),
      b.status === 'stopped' && writeButton(ctx, 'Resume', (ev) => act(ctx, ev.target, async () => {
        await ctx.send('POST', `${BASE}/broadcasts/${id}/resume`, {});
        await refresh();
      }, error)),
    ].filter(Boolean));
  }
  // The whole page from the API; `quiet` (after a push) leaves the pushed progress shown when the read fails.
  async function refresh(quiet = false) {
    clearTimeout(timer);
    timer = null;
    if (!el.isConnected) return; // the user went elsewhere
    let r;
    try {
      r = await ctx.get(`${BASE}/broadcasts/${id}`);
    } catch (err) {
      if (!quiet) ctx.fail(err, Object.assign(error, { hidden: false }));
      return;
    }
    showBroadcast(r.broadcast);
    recipients.replaceChildren(table('Recipients', [
      ['Phone', (x) => '+' + x.recipient], ['Status', (x) => x.status], ['Attempts', (x) => String(x.attempts)],
      ['Error', (x) => errorText(x.error)], ['Updated', (x) => formatTime(x.updated_at)],
    ], r.recipients, 'No recipients.'));
    if (!online && r.broadcast.status === 'running') timer = setTimeout(refresh, POLL_MS);
  }
  // Pushes redraw the progress at once; the recipients' table follows at most once a second.
  let recipientsTimer = null;
  const rt = listenProgress(ctx, (b) => {
    if (!el.isConnected) return rt.stop();
    if (b.id !== id) return;
    showBroadcast(b);
    if (!recipientsTimer) recipientsTimer = setTimeout(() => { recipientsTimer = null; refresh(true); }, 1000);
  }, (state) => {
    if (!el.isConnected) return rt.stop();
    const was = online;
    online = state === 'online';
    live.textContent = online ? 'Live: progress updates as it happens.' : 'Live updates reconnecting; progress refreshes every few seconds.';
    if (online && !was) refresh(true); // catch up on what was pushed while the socket was down
    else if (!online && status === 'running' && !timer) timer = setTimeout(refresh, POLL_MS);
  });
  const watchdog = setInterval(() => {
    if (el.isConnected) return;
    rt.stop();
    clearInterval(watchdog);
  }, 2000);
  await refresh();
}

// A send's error is Graph's error object as JSON text ({"message", "code", …}), or empty.
function errorText(error) {
  if (!error) return '—';
  try {
    const e = typeof error === 'string' ? JSON.parse(error) : error;
    const text = e.message || e.reason || e.title || '';
    return (text + (e.code !== undefined && e.code !== '' ? ` (${e.code})` : '')).trim() || String(error);
  } catch {
    return String(error);
  }
}
