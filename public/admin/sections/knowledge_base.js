// The knowledge base (plugin knowledge_base): per widget entries, import and export, content gaps, and a
// "what would the bot do" tester. Routes: /api/v1/plugins/knowledge_base/widgets/{widget_id}/… (plugin README).
import { h, table, withBusy, showFieldError, clearFieldErrors, formatTime } from '../../common/dom.js';
import { heading, field, formMessages, writeButton, readOnlyNote, lines } from './ui.js';

export async function render(ctx, el, widgetId) {
  const { widgets } = await ctx.get(`/api/v1/tenants/${ctx.tenantId}/widgets`);
  el.append(...heading('Knowledge base', 'What the bot answers from, per widget, and the questions it could not answer.'), readOnlyNote(ctx));
  if (!widgets.length) return el.append(h('p', { className: 'empty' }, 'Create a widget first.'));
  const current = widgets.find((w) => w.id === widgetId) || widgets[0];
  const pick = h('select', {}, widgets.map((w) => h('option', { value: w.id, selected: w === current }, w.name)));
  pick.addEventListener('change', () => ctx.go(`#/knowledge-base/${pick.value}`));
  const base = `/api/v1/plugins/knowledge_base/widgets/${current.id}`;
  const body = h('div');
  el.append(h('div', { className: 'toolbar' }, field('Widget', pick)), body);
  const reload = async () => {
    body.replaceChildren();
    await draw();
  };

  async function draw() {
    const [{ entries, total }, { gaps }] = await Promise.all([ctx.get(base + '/entries?limit=1000'), ctx.get(base + '/gaps?limit=50')]);
    body.append(h('h2', {}, `Entries (${total})`), table('Entries', [
      ['Question', (e) => e.question], ['Answer', (e) => e.answer],
      ['Used', (e) => String(e.times_used)], ['Helpful', (e) => `${e.helpful_count} / ${e.not_helpful_count}`],
      ['Enabled', (e) => (ctx.canWrite ? toggle(e) : e.enabled ? 'yes' : 'no')],
      ['', (e) => writeButton(ctx, 'Delete', (ev) => act(ev.target, () => ctx.send('DELETE', `${base}/entries/${e.id}`)),
        { className: 'small secondary', 'aria-label': `Delete “${e.question}”` })],
    ], entries, 'No entries yet: add some or import a file.'));
    if (ctx.canWrite) body.append(entryForm());
    body.append(importExport());
    body.append(h('h2', {}, 'Content gaps'), h('p', { className: 'hint' }, 'Questions the bot could not answer, most asked first.'),
      table('Content gaps', [
        ['Question', (g) => g.example], ['Outcome', (g) => g.outcome], ['Asked', (g) => String(g.asked)],
        ['Last asked', (g) => formatTime(g.last_asked_at)],
        ['', (g) => writeButton(ctx, 'Dealt with', (ev) => act(ev.target, () => ctx.send('DELETE', `${base}/gaps/${g.id}`)),
          { className: 'small secondary', 'aria-label': `Dismiss gap “${g.example}”` })],
      ], gaps, 'No gaps: the bot answered everything it was asked.'));
    body.append(tester());
  }

  async function act(button, fn) {
    await withBusy(button, async () => {
      try {
        await fn();
        await reload();
      } catch (err) {
        ctx.fail(err);
      }
    });
  }

  function toggle(e) {
    const box = h('input', { type: 'checkbox', checked: e.enabled, 'data-write': true, 'aria-label': `Enabled: ${e.question}` });
    box.addEventListener('change', () => ctx.send('PATCH', `${base}/entries/${e.id}`, { enabled: box.checked }).catch(ctx.fail));
    return box;
  }

  function entryForm() {
    const q = h('input', { maxLength: 500, 'data-field': 'question' });
    const phr = h('textarea', { rows: 2, 'data-field': 'phrasings' });
    const ans = h('textarea', { rows: 3, maxLength: 4000, 'data-field': 'answer' });
    const qr = h('input', { 'data-field': 'quick_replies' });
    const msgs = formMessages();
    const form = h('form', { className: 'inline-form', noValidate: true }, h('h2', {}, 'New entry'),
      field('Question', q), field('Other phrasings', phr, 'One per line.'), field('Answer', ans),
      field('Quick replies', qr, 'Comma separated.'),
      h('div', { className: 'actions' }, h('button', { type: 'submit', 'data-write': true }, 'Add entry')), msgs.box);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      msgs.error.hidden = true;
      try {
        await ctx.send('POST', base + '/entries', { question: q.value, answer: ans.value, phrasings: lines(phr.value), quick_replies: lines(qr.value) });
        ctx.notice('Entry added.');
        await reload();
      } catch (err) {
        if (!err.field || !showFieldError(form, err.field.replace(/\[\d+\]$/, ''), err.message)) ctx.fail(err, Object.assign(msgs.error, { hidden: false }));
      }
    });
    return form;
  }

  function importExport() {
    const box = h('section', { className: 'inline-form' }, h('h2', {}, 'Import and export'));
    const download = (format) => async () => {
      try {
        const text = await ctx.get(`${base}/export?format=${format}`, { text: true });
        const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: format === 'csv' ? 'text/csv' : 'application/json' })),
          download: `knowledge-base.${format}` });
        document.body.append(a);
        a.click();
        a.remove();
      } catch (err) {
        ctx.fail(err);
      }
    };
    box.append(h('div', { className: 'actions' },
      h('button', { type: 'button', className: 'secondary', onclick: download('csv') }, 'Export CSV'),
      h('button', { type: 'button', className: 'secondary', onclick: download('json') }, 'Export JSON')));
    if (!ctx.canWrite) return box;
    const file = h('input', { type: 'file', accept: '.csv,.json,text/csv,application/json' });
    const mode = h('select', {}, h('option', { value: 'append' }, 'add to the entries'), h('option', { value: 'replace' }, 'replace all entries'));
    const result = h('div', { role: 'status', 'aria-live': 'polite' });
    const go = h('button', { type: 'button', 'data-write': true }, 'Import');
    go.addEventListener('click', () => withBusy(go, async () => {
      const f = file.files[0];
      if (!f) return ctx.showError('Choose a CSV or JSON file first.');
      const format = /\.json$/i.test(f.name) ? 'json' : 'csv';
      try {
        const r = await ctx.send('POST', `${base}/import?format=${format}&mode=${mode.value}`, await f.text(),
          { type: format === 'json' ? 'application/json' : 'text/csv' });
        await reload();
        ctx.notice(`Imported ${r.imported} entries` + (r.rejected.length ? `, ${r.rejected.length} rejected.` : '.'));
      } catch (err) {
        result.replaceChildren(h('p', { className: 'form-error' }, err.message));
      }
    }));
    box.append(field('File', file), field('Mode', mode), h('div', { className: 'actions' }, go), result);
    return box;
  }

  function tester() {
    const text = h('input', { type: 'text' });
    const out = h('div', { role: 'status', 'aria-live': 'polite' });
    const form = h('form', { className: 'inline-form', noValidate: true }, h('h2', {}, 'Try a question'), field('Question', text),
      h('div', { className: 'actions' }, h('button', { type: 'submit', className: 'secondary' }, 'What would the bot do?')), out);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const r = await ctx.send('POST', base + '/search', { text: text.value, limit: 3,
          answer_threshold: current.config.features.bot_confidence_threshold,
          suggestion_threshold: current.config.features.bot_suggestion_threshold });
        out.replaceChildren(h('p', {}, `Decision: ${r.decision}`),
          h('ul', {}, r.hits.map((x) => h('li', {}, `${x.question} (confidence ${x.confidence.toFixed(2)})`))));
      } catch (err) {
        ctx.fail(err);
      }
    });
    return form;
  }

  await draw();
}
