// Widgets: the list with create, and the configurator (#/widgets/<id>): every config section with a live
// preview of the real widget, save with the server's field errors shown beside their fields, the embed
// snippets, installations, key and secret rotation.
import { h, nextId, withBusy, copyText, showFieldError, clearFieldErrors, table, formatTime } from '../../common/dom.js';
import { describe } from '../../common/api.js';
import { heading, writeButton, field, formMessages, lines, readOnlyNote } from './ui.js';
import { SECTIONS, DAYS, formatRanges, parseRanges } from './widget_schema.js';

export async function render(ctx, el, id) {
  if (id) return renderEditor(ctx, el, id);
  const base = `/api/v1/tenants/${ctx.tenantId}/widgets`;
  const { widgets } = await ctx.get(base);
  el.append(...heading('Widgets', 'Each widget is one chat on one or more websites.'), readOnlyNote(ctx));
  el.append(table('Widgets', [
    ['Name', (w) => h('a', { href: `#/widgets/${w.id}` }, w.name)],
    ['Site id', (w) => w.site_id || '—'],
    ['Public key', (w) => h('code', {}, w.public_key)],
    ['Version', (w) => String(w.version)],
    ['State', (w) => h('span', { className: 'badge ' + (w.is_active ? 'on' : 'off') }, w.is_active ? 'active' : 'inactive')],
  ], widgets, 'This tenant has no widgets yet.'));
  if (!ctx.canWrite) return;
  const name = h('input', { name: 'name', maxLength: 200, required: true, 'data-field': 'name' });
  const siteId = h('input', { name: 'site_id', maxLength: 100, 'data-field': 'site_id' });
  const msgs = formMessages();
  const form = h('form', { className: 'inline-form', noValidate: true, 'aria-labelledby': 'new-widget-h' },
    h('h2', { id: 'new-widget-h' }, 'New widget'), field('Name', name), field('Site id (optional)', siteId,
      'Letters, digits, - and _; used by the ChatWidget.setup embed.'),
    h('div', { className: 'actions' }, h('button', { type: 'submit', 'data-write': true }, 'Create widget')), msgs.box);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    msgs.error.hidden = true;
    await withBusy(form.querySelector('button'), async () => {
      try {
        const w = await ctx.send('POST', base, { name: name.value, site_id: siteId.value || undefined });
        sessionStorage.setItem('parley.secret.' + w.id, w.secret);
        ctx.notice(`Created “${w.name}”.`);
        ctx.go(`#/widgets/${w.id}`);
      } catch (err) {
        if (!err.field || !showFieldError(form, err.field, err.message)) ctx.fail(err, Object.assign(msgs.error, { hidden: false }));
      }
    });
  });
  el.append(form);
}

const get = (obj, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
function set(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] = o[k] && typeof o[k] === 'object' && !Array.isArray(o[k]) ? { ...o[k] } : {};
  o[keys.at(-1)] = value;
}

// '#abc' → '#aabbcc', '#aabbccdd' → '#aabbcc' (input type=color takes #rrggbb only).
function toColorInput(c) {
  if (!/^#([\da-f]{3}|[\da-f]{6}|[\da-f]{8})$/i.test(c || '')) return '#000000';
  if (c.length === 4) return ('#' + c[1] + c[1] + c[2] + c[2] + c[3] + c[3]).toLowerCase();
  return c.slice(0, 7).toLowerCase();
}

// One control for a schema field: {node, read()} where read() returns the value to send (or throws an Error
// whose message is shown beside the field).
function control(spec, dataField, value) {
  const id = nextId('cfg');
  const base = { id, name: dataField, 'data-field': dataField };
  switch (spec.type) {
    case 'color': {
      const text = h('input', { ...base, type: 'text', value: value ?? '', maxLength: 9, className: 'color-text' });
      const picker = h('input', { type: 'color', value: toColorInput(value), 'aria-label': spec.label + ' picker', tabIndex: -1 });
      picker.addEventListener('input', () => {
        text.value = picker.value;
        text.dispatchEvent(new Event('input', { bubbles: true }));
      });
      text.addEventListener('input', () => (picker.value = toColorInput(text.value)));
      const node = field(spec.label, text, spec.hint);
      node.querySelector('input').after(picker);
      return { node, read: () => text.value.trim() };
    }
    case 'select': {
      const options = [...spec.options];
      if (value !== undefined && !options.includes(value)) options.push(value);
      const sel = h('select', base, options.map((o) => h('option', { value: o, selected: o === value }, o)));
      return { node: field(spec.label, sel, spec.hint), read: () => sel.value };
    }
    case 'number': {
      const input = h('input', { ...base, type: 'number', value: value ?? '', min: spec.min, max: spec.max, step: spec.step || 1 });
      return { node: field(spec.label, input, spec.hint), read: () => (input.value === '' ? undefined : Number(input.value)) };
    }
    case 'checkbox': {
      const input = h('input', { ...base, type: 'checkbox', checked: !!value });
      return { node: field(spec.label, input, spec.hint), read: () => input.checked };
    }
    case 'textarea': {
      const area = h('textarea', { ...base, rows: 2, value: value ?? '', maxLength: 2000 });
      return { node: field(spec.label, area, spec.hint), read: () => area.value };
    }
    case 'list': {
      const area = h('textarea', { ...base, rows: 2, value: (value || []).join('\n') });
      return { node: field(spec.label, area, spec.hint), read: () => lines(area.value) };
    }
    case 'json': {
      const area = h('textarea', { ...base, rows: 2, className: 'mono', value: JSON.stringify(value ?? {}) });
      return {
        node: field(spec.label, area, spec.hint),
        read: () => {
          let v;
          try {
            v = JSON.parse(area.value || '{}');
          } catch {
            throw new Error('is not valid JSON');
          }
          if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('must be a JSON object');
          return v;
        },
      };
    }
    case 'multi': {
      const boxes = spec.options.map((o) => h('input', { type: 'checkbox', value: o, id: nextId('m'), checked: (value || []).includes(o) }));
      const node = h('fieldset', { className: 'multi', 'data-field': dataField, tabIndex: -1 }, h('legend', {}, spec.label),
        boxes.map((b) => h('span', { className: 'check' }, b, h('label', { for: b.id }, b.value))));
      return { node, read: () => boxes.filter((b) => b.checked).map((b) => b.value) };
    }
    case 'schedule': {
      const inputs = DAYS.map((d) => h('input', { type: 'text', id: nextId('day'), 'data-field': `${dataField}.${d}`,
        value: formatRanges((value || {})[d]), placeholder: 'closed' }));
      const node = h('fieldset', { className: 'schedule', 'data-field': dataField, tabIndex: -1 },
        h('legend', {}, spec.label + ' (e.g. 09:00-12:00, 13:00-17:00; empty: closed)'),
        DAYS.map((d, i) => h('div', { className: 'day' }, h('label', { for: inputs[i].id }, d), inputs[i])));
      return {
        node,
        read: () => Object.fromEntries(DAYS.map((d, i) => {
          try {
            return [d, parseRanges(inputs[i].value)];
          } catch (e) {
            e.field = `${dataField}.${d}`;
            throw e;
          }
        })),
      };
    }
    default: {
      const input = h('input', { ...base, type: 'text', value: value ?? '', maxLength: 2000 });
      return { node: field(spec.label, input, spec.hint), read: () => input.value };
    }
  }
}

async function renderEditor(ctx, el, id) {
  const base = `/api/v1/tenants/${ctx.tenantId}/widgets/${id}`;
  let [widget, embed, { installations }] = await Promise.all([
    ctx.get(base), ctx.get(base + '/embed'), ctx.get(base + '/installations')]);
  el.append(h('p', {}, h('a', { href: '#/widgets' }, '← All widgets')), ...heading(`Widget “${widget.name}”`), readOnlyNote(ctx));

  // Fields: top-level ones, then one fieldset per config section.
  const readers = [];
  const top = (spec, dataField, value, apply) => {
    const c = control(spec, dataField, value);
    readers.push({ dataField, read: c.read, apply });
    return c.node;
  };
  const general = h('fieldset', { className: 'group' }, h('legend', {}, 'General'),
    top({ label: 'Name', type: 'text' }, 'name', widget.name, (p, v) => (p.name = v)),
    top({ label: 'Site id', type: 'text', hint: 'Empty for none.' }, 'site_id', widget.site_id || '', (p, v) => (p.site_id = v)),
    top({ label: 'Active', type: 'checkbox' }, 'is_active', widget.is_active, (p, v) => (p.is_active = v)),
    top({ label: 'Allowed domains', type: 'list', hint: 'One per line: www.example.com, *.example.com. Empty allows every domain not blocked.' },
      'allowed_domains', widget.allowed_domains, (p, v) => (p.allowed_domains = v)),
    top({ label: 'Blocked domains', type: 'list' }, 'blocked_domains', widget.blocked_domains, (p, v) => (p.blocked_domains = v)));
  const groups = SECTIONS.map((s) => h('details', { className: 'group', open: s.key === 'branding' || s.key === 'behavior' },
    h('summary', {}, s.label),
    s.fields.map((f) => {
      const dataField = `config.${s.key}.${f.path}`;
      return top(f, dataField, get(widget.config[s.key], f.path), (p, v) => set(p.config[s.key], f.path, v));
    })));

  // The patch to send: every section in full (the server overlays one section deep), unknown fields kept.
  const buildPatch = () => {
    const patch = { config: Object.fromEntries(Object.entries(widget.config).map(([k, v]) => [k, { ...v }])) };
    for (const s of SECTIONS) patch.config[s.key] = patch.config[s.key] || {};
    const errors = [];
    for (const r of readers) {
      try {
        const v = r.read();
        if (v !== undefined) r.apply(patch, v);
      } catch (e) {
        errors.push({ field: e.field || r.dataField, message: e.message });
      }
    }
    return { patch, errors };
  };

  // Live preview: the real widget in an iframe, fed the unsaved config.
  const frame = h('iframe', { src: 'preview.html', title: 'Widget preview with unsaved changes', className: 'preview-frame' });
  const openToggle = h('input', { type: 'checkbox', id: nextId('po'), checked: true });
  let previewTimer;
  const previewMessage = () => {
    const { patch } = buildPatch();
    return { type: 'parley-preview', widget, config: patch.config, open: openToggle.checked };
  };
  const onPreviewReady = (e) => {
    if (e.source === frame.contentWindow && e.data && e.data.type === 'parley-preview-ready')
      frame.contentWindow.postMessage(previewMessage(), location.origin);
  };
  window.addEventListener('message', onPreviewReady);
  // Stop listening once this view is gone.
  const observer = new MutationObserver(() => {
    if (!frame.isConnected) {
      window.removeEventListener('message', onPreviewReady);
      observer.disconnect();
    }
  });
  observer.observe(document.body, { childList: true, subtree: true });
  const refreshPreview = () => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => frame.contentWindow && frame.contentWindow.postMessage(previewMessage(), location.origin), 120);
  };
  openToggle.addEventListener('change', refreshPreview);

  const msgs = formMessages();
  const save = h('button', { type: 'submit', 'data-write': true }, 'Save');
  const form = h('form', { className: 'config-form', noValidate: true, 'aria-label': 'Widget settings' },
    h('fieldset', { className: 'plain', disabled: !ctx.canWrite }, general, groups,
      ctx.canWrite && h('div', { className: 'actions sticky-actions' }, save, h('span', { className: 'muted version' }, `Version ${widget.version}`)),
      msgs.box));
  form.addEventListener('input', refreshPreview);
  form.addEventListener('change', refreshPreview);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    msgs.error.hidden = true;
    msgs.status.textContent = '';
    const { patch, errors } = buildPatch();
    if (errors.length) {
      errors.forEach((x) => showFieldError(form, x.field, x.message));
      return;
    }
    patch.expected_version = widget.version;
    await withBusy(save, async () => {
      try {
        widget = await ctx.send('PATCH', base, patch);
        form.querySelector('.version').textContent = `Version ${widget.version}`;
        msgs.status.textContent = `Saved: now version ${widget.version}.`;
        ctx.notice(`Saved “${widget.name}”: version ${widget.version}.`);
      } catch (err) {
        if (err.field && showFieldError(form, err.field, err.message)) return;
        msgs.error.hidden = false;
        ctx.fail(err.code === 'version_conflict'
          ? `${describe(err)} Someone else changed this widget: reload the page and make your change again.` : err, msgs.error);
      }
    });
  });

  const previewPane = h('aside', { className: 'preview', 'aria-label': 'Live preview' },
    h('h2', {}, 'Live preview'), h('p', { className: 'hint' }, 'Shows your unsaved changes with the real widget.'),
    h('div', { className: 'check' }, openToggle, h('label', { for: openToggle.id }, 'Show the chat open')), frame);
  el.append(h('div', { className: 'editor' }, form, previewPane));
  el.append(embedBlock(ctx, embed), installationsBlock(installations), keysBlock(ctx, base, widget, el));
}

function embedBlock(ctx, embed) {
  const forms = [
    ['Script tag (recommended)', embed.forms.script_tag],
    ['Key in the URL', embed.forms.query],
    ['ChatWidget.setup', embed.forms.setup],
  ];
  return h('section', { className: 'embeds', 'aria-labelledby': 'embed-h' }, h('h2', { id: 'embed-h' }, 'Embed code'),
    h('p', { className: 'hint' }, 'Paste one of these before </body> on every page. Saved changes reach embedded widgets without a new snippet.'),
    forms.map(([label, code], i) => {
      const codeId = nextId('embed');
      const button = h('button', { type: 'button', className: 'secondary small', 'aria-describedby': codeId + '-l', 'data-copy': i }, 'Copy');
      button.addEventListener('click', async () => {
        const ok = await copyText(code);
        if (!ok) return ctx.showError('Could not copy automatically: select the snippet and copy it by hand.');
        button.textContent = 'Copied';
        ctx.notice('Snippet copied to the clipboard.');
        setTimeout(() => (button.textContent = 'Copy'), 2000);
      });
      return h('div', { className: 'embed' },
        h('div', { className: 'embed-head' }, h('span', { id: codeId + '-l' }, label), button),
        h('pre', { id: codeId }, h('code', {}, code)));
    }));
}

function installationsBlock(installations) {
  return h('section', { 'aria-labelledby': 'inst-h' }, h('h2', { id: 'inst-h' }, 'Installations'),
    table('Domains the widget was loaded from', [
      ['Domain', (i) => i.domain], ['First seen', (i) => formatTime(i.first_seen_at)], ['Last seen', (i) => formatTime(i.last_seen_at)],
    ], installations, 'No site has loaded this widget yet.'));
}

function keysBlock(ctx, base, widget, el) {
  const secret = sessionStorage.getItem('parley.secret.' + widget.id);
  sessionStorage.removeItem('parley.secret.' + widget.id);
  const secretBox = h('div', { className: 'secret-box', role: 'status' });
  const showSecret = (s) => secretBox.replaceChildren(h('p', {}, 'The signing secret, shown this once: '), h('code', {}, s));
  if (secret) showSecret(secret);
  const msgs = formMessages();
  const act = (label, fn, confirmText) => writeButton(ctx, label, async (e) => {
    if (confirmText && !confirm(confirmText)) return;
    await withBusy(e.target, async () => {
      try {
        await fn();
      } catch (err) {
        msgs.error.hidden = false;
        ctx.fail(err, msgs.error);
      }
    });
  }, { className: 'secondary' });
  return h('section', { 'aria-labelledby': 'keys-h' }, h('h2', { id: 'keys-h' }, 'Keys'),
    h('dl', { className: 'facts' }, h('dt', {}, 'Public key'), h('dd', {}, h('code', {}, widget.public_key)),
      h('dt', {}, 'Signing secret'), h('dd', {}, h('code', {}, widget.secret_hint || '—'))),
    secretBox,
    h('div', { className: 'actions' },
      act('Rotate public key', async () => {
        await ctx.send('POST', base + '/rotate-key');
        ctx.notice('New public key: update the snippet on your sites.');
        el.replaceChildren();
        await render(ctx, el, widget.id);
      }, 'Sites with the old snippet stop showing the widget. Rotate the key?'),
      act('Rotate secret', async () => showSecret((await ctx.send('POST', base + '/rotate-secret')).secret),
        'Integrations signing with the old secret will fail. Rotate it?'),
      act('Delete widget', async () => {
        await ctx.send('DELETE', base);
        ctx.notice(`Deleted “${widget.name}”.`);
        ctx.go('#/widgets');
      }, `Delete “${widget.name}” and its installations?`)),
    msgs.box);
}
