// DOM helpers shared by the control panel and the inbox. Every string lands in the page as a text node or a DOM
// property, never as HTML: there is no innerHTML anywhere in these faces.

// h('a', {href: '/x', className: 'y', onclick: fn}, 'text', child): aria-*, data-*, for and role become
// attributes, on* listeners, the rest properties; strings become text nodes; null/false children are skipped.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('aria-') || k.startsWith('data-') || k === 'for' || k === 'role') el.setAttribute(k, v === true ? '' : v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el[k] = v;
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export const $ = (id) => document.getElementById(id);

let uid = 0;
export const nextId = (prefix = 'f') => `${prefix}-${++uid}`;

export function formatTime(ms) {
  if (!ms) return '—';
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

// 65000 → "1 min 5 s"; null → "—".
export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export async function withBusy(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } finally {
    if (button) button.disabled = false;
  }
}

// Clipboard API first; the execCommand fallback covers plain http (not a secure context) and refusals.
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      /* fall back below */
    }
  }
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

// Shows `message` next to the control whose data-field is `field` (or its nearest named parent path:
// "config.working_hours.schedule.mon[0].start" falls back to "config.working_hours.schedule.mon", then
// "config.working_hours.schedule"); returns the control, or null when none matches.
export function showFieldError(root, field, message) {
  let path = field;
  while (path) {
    const el = root.querySelector(`[data-field="${CSS.escape(path)}"]`);
    if (el) {
      const id = (el.id || nextId('field')) + '-error';
      if (!el.id) el.id = id.slice(0, -6);
      const note = h('p', { className: 'field-error', id, role: 'alert' }, message);
      el.setAttribute('aria-invalid', 'true');
      el.setAttribute('aria-describedby', [el.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
      (el.closest('.field') || el).after(note);
      const details = el.closest('details');
      if (details) details.open = true;
      el.focus();
      return el;
    }
    const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
    path = cut > 0 ? path.slice(0, cut) : '';
  }
  return null;
}

export function clearFieldErrors(root) {
  root.querySelectorAll('.field-error').forEach((n) => n.remove());
  root.querySelectorAll('[aria-invalid]').forEach((el) => {
    el.removeAttribute('aria-invalid');
    const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.endsWith('-error'));
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
    else el.removeAttribute('aria-describedby');
  });
}

// A table from rows: columns are [heading, row => cell content]; an empty list shows `empty`.
export function table(caption, columns, rows, empty = 'Nothing yet.') {
  if (!rows.length) return h('p', { className: 'empty' }, empty);
  return h('table', {},
    h('caption', { className: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, columns.map(([head]) => h('th', { scope: 'col' }, head)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(r)))))));
}
