// Webhooks (plugin crm_webhooks): endpoints with health, the secret shown once, test deliveries, deliveries,
// dead letters and replay, the error log (webhook_errors), and each widget's automation bridge.
// Routes: /api/v1/plugins/crm_webhooks/… (plugin README).
import { h, table, withBusy, showFieldError, clearFieldErrors, formatTime } from '../../common/dom.js';
import { heading, field, formMessages, writeButton, readOnlyNote, lines } from './ui.js';

const BASE = '/api/v1/plugins/crm_webhooks';

function testResult(t) {
  if (!t) return null;
  return h('p', { className: t.ok ? 'ok-text' : 'error-text', role: 'status' },
    t.ok ? `Test delivery answered ${t.status} in ${t.latency_ms} ms.` : `Test delivery failed: ${t.error || 'status ' + t.status}.`);
}

export async function render(ctx, el, endpointId) {
  if (endpointId) return renderEndpoint(ctx, el, endpointId);
  const [{ endpoints }, { widgets }, errors] = await Promise.all([ctx.get(BASE + '/endpoints'),
    ctx.get(`/api/v1/tenants/${ctx.tenantId}/widgets`), ctx.get(BASE + '/errors')]);
  const reload = async () => {
    el.replaceChildren();
    await render(ctx, el);
  };
  el.append(...heading('Webhooks', 'Events sent to your CRM or n8n as signed requests, with retries.'), readOnlyNote(ctx),
    table('Endpoints', [
      ['URL', (e) => h('a', { href: `#/webhooks/${e.id}` }, e.url)], ['Events', (e) => e.events.join(', ')],
      ['Health', (e) => h('span', { className: 'badge health-' + e.health.state }, e.health.state)],
      ['Last success', (e) => formatTime(e.health.last_success_at)],
    ], endpoints, 'No endpoints yet.'));
  const out = h('div');
  if (ctx.canWrite) {
    const url = h('input', { type: 'url', 'data-field': 'url', placeholder: 'https://crm.example.com/hooks/parley' });
    const events = h('input', { 'data-field': 'events', value: 'conversation.*, message.created, lead.captured' });
    const widget = h('select', { 'data-field': 'widget_id' }, h('option', { value: '' }, 'all widgets'), widgets.map((w) => h('option', { value: w.id }, w.name)));
    const format = h('select', { 'data-field': 'format' }, h('option', { value: 'standard' }, 'Standard Webhooks'), h('option', { value: 'legacy' }, 'legacy'));
    const description = h('input', { 'data-field': 'description', maxLength: 200 });
    const msgs = formMessages();
    const form = h('form', { className: 'inline-form', noValidate: true }, h('h2', {}, 'New endpoint'),
      field('URL', url), field('Events', events, 'Comma separated; * matches a suffix (message.*).'), field('Widget', widget),
      field('Format', format), field('Description', description),
      h('div', { className: 'actions' }, h('button', { type: 'submit', 'data-write': true }, 'Add endpoint')), msgs.box, out);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      msgs.error.hidden = true;
      try {
        const r = await ctx.send('POST', BASE + '/endpoints', { url: url.value, events: lines(events.value),
          widget_id: widget.value || undefined, format: format.value, description: description.value || undefined });
        await reload();
        el.prepend(h('div', { className: 'secret-box', role: 'status' }, h('p', {}, 'The signing secret, shown this once: '),
          h('code', {}, r.secret), testResult(r.test)));
      } catch (err) {
        if (!err.field || !showFieldError(form, err.field.replace(/\[\d+\]$/, ''), err.message)) ctx.fail(err, Object.assign(msgs.error, { hidden: false }));
      }
    });
    el.append(form);
  }
  el.append(h('h2', {}, 'Errors (webhook_errors)'), errorTable(errors));
  el.append(await automations(ctx, widgets));
}

function errorTable(errors) {
  const list = errors.errors || errors.entries || [];
  return table('Webhook errors', [
    ['When', (x) => formatTime(x.created_at || x.occurred_at)], ['Endpoint', (x) => x.endpoint_id || '—'],
    ['Event', (x) => x.event_name || x.error_type || '—'], ['Status', (x) => String(x.status ?? '—')],
    ['Error', (x) => x.error || x.error_message || x.response_excerpt || '—'],
  ], list, 'No errors.');
}

async function renderEndpoint(ctx, el, id) {
  const [endpoint, dead, recent, errors] = await Promise.all([ctx.get(`${BASE}/endpoints/${id}`),
    ctx.get(`${BASE}/endpoints/${id}/deliveries?state=dead`), ctx.get(`${BASE}/endpoints/${id}/deliveries`),
    ctx.get(`${BASE}/errors?endpoint_id=${id}`)]);
  const e = endpoint.endpoint || endpoint;
  const reload = async () => {
    el.replaceChildren();
    await renderEndpoint(ctx, el, id);
  };
  const out = h('div', { role: 'status', 'aria-live': 'polite' });
  const act = (label, fn) => writeButton(ctx, label, (ev) => withBusy(ev.target, async () => {
    try {
      await fn();
    } catch (err) {
      ctx.fail(err);
    }
  }), { className: 'secondary' });
  const deliveries = (r) => r.deliveries || [];
  el.append(h('p', {}, h('a', { href: '#/webhooks' }, '← All endpoints')), ...heading(e.url), readOnlyNote(ctx),
    h('dl', { className: 'facts' },
      h('dt', {}, 'Events'), h('dd', {}, e.events.join(', ')), h('dt', {}, 'Format'), h('dd', {}, e.format || 'standard'),
      h('dt', {}, 'Health'), h('dd', {}, `${e.health.state} (${e.health.consecutive_failures} failures in a row)`),
      h('dt', {}, 'Enabled'), h('dd', {}, e.enabled ? 'yes' : `no${e.disabled_reason ? ': ' + e.disabled_reason : ''}`)),
    h('div', { className: 'actions' },
      act('Send a test', async () => out.replaceChildren(testResult((await ctx.send('POST', `${BASE}/endpoints/${id}/test`)).test))),
      act('Rotate secret', async () => {
        const r = await ctx.send('POST', `${BASE}/endpoints/${id}/rotate-secret`, {});
        out.replaceChildren(h('div', { className: 'secret-box' }, h('p', {}, 'The new secret, shown this once: '), h('code', {}, r.secret)));
      }),
      act(e.enabled ? 'Disable' : 'Enable', async () => {
        await ctx.send('PATCH', `${BASE}/endpoints/${id}`, { enabled: !e.enabled });
        await reload();
      }),
      act('Replay all dead letters', async () => {
        const r = await ctx.send('POST', `${BASE}/endpoints/${id}/replay`, {});
        ctx.notice(`${r.replayed} deliveries queued again.`);
        await reload();
      }),
      act('Delete', async () => {
        if (!confirm('Delete this endpoint and its queue?')) return;
        await ctx.send('DELETE', `${BASE}/endpoints/${id}`);
        ctx.go('#/webhooks');
      })),
    out,
    h('h2', {}, 'Dead letters'), table('Dead letters', [
      ['Event', (d) => d.event_name], ['Attempts', (d) => String(d.attempts)], ['Last error', (d) => d.last_error || '—'],
      ['', (d) => writeButton(ctx, 'Replay', (ev) => withBusy(ev.target, async () => {
        try {
          await ctx.send('POST', `${BASE}/deliveries/${d.id || d.delivery_id}/replay`, {});
          await reload();
        } catch (err) {
          ctx.fail(err);
        }
      }), { className: 'small secondary' })],
    ], deliveries(dead), 'No dead letters.'),
    h('h2', {}, 'Recent deliveries'), table('Deliveries', [
      ['Created', (d) => formatTime(d.created_at)], ['Event', (d) => d.event_name], ['State', (d) => d.state],
      ['Attempts', (d) => String(d.attempts)], ['Status', (d) => String(d.last_status ?? '—')], ['Delivered', (d) => formatTime(d.delivered_at)],
    ], deliveries(recent), 'Nothing delivered yet.'),
    h('h2', {}, 'Errors'), errorTable(errors));
}

// The automation bridge of each widget (n8n): URL, mode, timeout, fallback text; the secret shown once.
async function automations(ctx, widgets) {
  const box = h('section', { 'aria-labelledby': 'auto-h' }, h('h2', { id: 'auto-h' }, 'Automation (n8n) per widget'));
  for (const w of widgets) {
    let current = null;
    try {
      current = await ctx.get(`${BASE}/automations/${w.id}`);
    } catch (err) {
      if (err.status !== 404) throw err;
    }
    const a = (current && (current.automation || current)) || {};
    const url = h('input', { type: 'url', value: a.url || '', 'data-field': 'url' });
    const mode = h('select', { 'data-field': 'mode' }, ['fallback', 'all'].map((m) => h('option', { value: m, selected: a.mode === m }, m)));
    const timeout = h('input', { type: 'number', min: 100, max: 30000, value: a.timeout_ms || 8000, 'data-field': 'timeout_ms' });
    const fallback = h('input', { value: a.fallback_text || '', 'data-field': 'fallback_text' });
    const enabled = h('input', { type: 'checkbox', checked: a.enabled !== false, 'data-field': 'enabled' });
    const msgs = formMessages();
    const form = h('form', { className: 'inline-form', noValidate: true, 'aria-label': `Automation of ${w.name}` },
      h('fieldset', { disabled: !ctx.canWrite }, h('legend', {}, w.name),
        field('Workflow URL', url), field('Mode', mode, 'all: every visitor message; fallback: only when the bot gives up.'),
        field('Timeout (ms)', timeout), field('Fallback text', fallback), field('Enabled', enabled),
        ctx.canWrite && h('div', { className: 'actions' }, h('button', { type: 'submit', 'data-write': true }, 'Save automation')), msgs.box));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      msgs.error.hidden = true;
      try {
        const r = await ctx.send('PUT', `${BASE}/automations/${w.id}`, { url: url.value, mode: mode.value, timeout_ms: Number(timeout.value),
          fallback_text: fallback.value || undefined, enabled: enabled.checked });
        msgs.status.replaceChildren('Saved.', r.secret ? h('span', {}, ' The secret, shown this once: ', h('code', {}, r.secret)) : '');
      } catch (err) {
        if (!err.field || !showFieldError(form, err.field, err.message)) ctx.fail(err, Object.assign(msgs.error, { hidden: false }));
      }
    });
    box.append(form);
  }
  return box;
}
