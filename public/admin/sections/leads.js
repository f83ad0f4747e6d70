// Leads with their source, attribution and conversation (GET /api/v1/agent/leads), filterable by widget and
// text, exportable as CSV built in the browser.
import { h, formatTime, table } from '../../common/dom.js';
import { heading, field } from './ui.js';

const csvCell = (v) => {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // A leading = + - @ would run as a formula in spreadsheets.
  const safe = /^[=+\-@]/.test(s) ? "'" + s : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export async function render(ctx, el) {
  const { widgets } = await ctx.get(`/api/v1/tenants/${ctx.tenantId}/widgets`);
  const widget = h('select', {}, h('option', { value: '' }, 'all widgets'), widgets.map((w) => h('option', { value: w.id }, w.name)));
  const search = h('input', { type: 'search', placeholder: 'name, email, utm…' });
  const exportButton = h('button', { type: 'button', className: 'secondary' }, 'Export CSV');
  const list = h('div', { 'aria-live': 'polite' });
  el.append(...heading('Leads', 'Contact details visitors left, with where they came from.'),
    h('div', { className: 'toolbar' }, field('Widget', widget), field('Search', search), exportButton), list);
  let leads = [];
  const visible = () => {
    const q = search.value.trim().toLowerCase();
    return leads.filter((l) => !q || JSON.stringify(l).toLowerCase().includes(q));
  };
  const draw = () => list.replaceChildren(table('Leads', [
    ['Captured', (l) => formatTime(l.created_at)], ['Name', (l) => l.name || '—'], ['Email', (l) => l.email || '—'],
    ['Phone', (l) => l.phone || '—'], ['Source', (l) => l.source],
    ['Attribution', (l) => Object.entries((l.attribution && l.attribution.utm) || {}).map(([k, v]) => `${k}=${v}`).join(' ') ||
      (l.attribution && l.attribution.page_url) || '—'],
    ['Conversation', (l) => (l.conversation_id ? h('a', { href: `#/conversations/${l.conversation_id}` }, 'open') : '—')],
  ], visible(), 'No leads yet.'));
  const load = async () => {
    const since = 0;
    leads = (await ctx.get(`/api/v1/agent/leads?since=${since}&limit=1000` + (widget.value ? `&widget_id=${widget.value}` : ''))).leads;
    draw();
  };
  widget.addEventListener('change', () => load().catch(ctx.fail));
  search.addEventListener('input', draw);
  exportButton.addEventListener('click', () => {
    const cols = ['created_at', 'name', 'email', 'phone', 'consent', 'source', 'widget_id', 'conversation_id', 'attribution'];
    const text = [cols.join(','), ...visible().map((l) => cols.map((c) => csvCell(c === 'created_at' ? new Date(l[c]).toISOString() : l[c])).join(','))].join('\r\n');
    const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: 'leads.csv' });
    document.body.append(a);
    a.click();
    a.remove();
  });
  await load();
}
