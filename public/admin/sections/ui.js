// Building blocks the sections share: headings, labelled fields, and write controls that exist only for
// roles that may write (a client_user or agent gets none: the server refuses their writes anyway).
import { h, nextId } from '../../common/dom.js';

// The section's h1 and optional intro, to spread into append() (which would print a null or undefined as text).
export function heading(title, intro) {
  return [h('h1', { tabIndex: -1 }, title), intro ? h('p', { className: 'intro' }, intro) : ''];
}

// A button marked data-write, or null when the role cannot write.
export function writeButton(ctx, label, onclick, props = {}) {
  if (!ctx.canWrite) return null;
  return h('button', { type: 'button', 'data-write': true, onclick, ...props }, label);
}

// <div class="field"><label>…</label>control<p class=hint></div>; the control gets an id when it has none.
export function field(label, control, hint) {
  if (!control.id) control.id = nextId('f');
  const hintId = hint ? control.id + '-hint' : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  const isCheck = control.type === 'checkbox';
  return h('div', { className: 'field' + (isCheck ? ' check' : '') },
    isCheck ? [control, h('label', { for: control.id }, label)] : [h('label', { for: control.id }, label), control],
    hint && h('p', { className: 'hint', id: hintId }, hint));
}

// A form area for status and errors under a form.
export function formMessages() {
  const error = h('p', { className: 'form-error', role: 'alert', hidden: true });
  const status = h('p', { className: 'form-status', role: 'status', 'aria-live': 'polite' });
  return { error, status, box: h('div', {}, error, status) };
}

export const lines = (text) => text.split(/\n|,/).map((s) => s.trim()).filter(Boolean);

// An empty fragment for writers (never null: Element.append(null) would print "null").
export function readOnlyNote(ctx) {
  return ctx.canWrite ? document.createDocumentFragment() : h('p', { className: 'hint read-only-note' }, 'Your role in this tenant is read-only: you can look, not change.');
}
