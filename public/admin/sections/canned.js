// Canned responses: ready answers agents insert by /shortcut in the inbox; client admins add and delete them.
import { h, table, withBusy, showFieldError, clearFieldErrors } from '../../common/dom.js';
import { heading, field, formMessages, writeButton, readOnlyNote } from './ui.js';

export async function render(ctx, el) {
  const { canned_responses: items } = await ctx.get('/api/v1/agent/canned-responses');
  el.append(...heading('Canned responses', 'Agents type /shortcut in the inbox to insert the text.'), readOnlyNote(ctx),
    table('Canned responses', [
      ['Shortcut', (c) => h('code', {}, '/' + c.shortcut)], ['Text', (c) => c.text],
      ['', (c) => writeButton(ctx, 'Delete', async (e) => {
        await withBusy(e.target, async () => {
          try {
            await ctx.send('DELETE', `/api/v1/agent/canned-responses/${c.id}`);
            el.replaceChildren();
            await render(ctx, el);
          } catch (err) {
            ctx.fail(err);
          }
        });
      }, { className: 'small secondary', 'aria-label': `Delete /${c.shortcut}` })],
    ], items, 'No canned responses yet.'));
  if (!ctx.canWrite) return;
  const shortcut = h('input', { maxLength: 40, 'data-field': 'shortcut' });
  const text = h('textarea', { rows: 3, maxLength: 4000, 'data-field': 'text' });
  const msgs = formMessages();
  const form = h('form', { className: 'inline-form', noValidate: true }, h('h2', {}, 'New canned response'),
    field('Shortcut', shortcut, 'One word, e.g. hours'), field('Text', text),
    h('div', { className: 'actions' }, h('button', { type: 'submit', 'data-write': true }, 'Add')), msgs.box);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    msgs.error.hidden = true;
    await withBusy(form.querySelector('button'), async () => {
      try {
        await ctx.send('POST', '/api/v1/agent/canned-responses', { shortcut: shortcut.value.trim(), text: text.value });
        el.replaceChildren();
        await render(ctx, el);
        ctx.notice('Canned response added.');
      } catch (err) {
        const f = err.code === 'shortcut_taken' ? 'shortcut' : err.field;
        if (!f || !showFieldError(form, f, err.message)) ctx.fail(err, Object.assign(msgs.error, { hidden: false }));
      }
    });
  });
  el.append(form);
}
