// Conversation history with search: the tenant's latest conversations (GET /api/v1/agent/conversations),
// filtered by status and by text in the visitor's details, with the transcript of one (notes included).
import { h, formatTime, formatDuration, table } from '../../common/dom.js';
import { heading, field } from './ui.js';

export async function render(ctx, el, id) {
  if (id) return transcript(ctx, el, id);
  const status = h('select', {}, ['', 'bot', 'queued', 'active', 'closed'].map((s) => h('option', { value: s }, s || 'any status')));
  const search = h('input', { type: 'search', placeholder: 'name, email, page…' });
  const list = h('div', { 'aria-live': 'polite' });
  el.append(...heading('Conversations', 'The latest 100 conversations; open one for its transcript.'),
    h('div', { className: 'toolbar' }, field('Status', status), field('Search', search)), list);
  let rows = [];
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const hits = rows.filter((c) => !q || JSON.stringify([c.visitor_info, c.context, c.visitor_id]).toLowerCase().includes(q));
    list.replaceChildren(table('Conversations', [
      ['Started', (c) => h('a', { href: `#/conversations/${c.id}` }, formatTime(c.created_at))],
      ['Visitor', (c) => (c.visitor_info && (c.visitor_info.name || c.visitor_info.email)) || c.visitor_id],
      ['Status', (c) => h('span', { className: 'badge status-' + c.status }, c.status)],
      ['Page', (c) => (c.context && c.context.page_url) || '—'],
      ['Wait', (c) => formatDuration(c.metrics.wait_ms)],
      ['Resolution', (c) => formatDuration(c.metrics.resolution_ms)],
    ], hits, 'No conversation matches.'));
  };
  const load = async () => {
    rows = (await ctx.get('/api/v1/agent/conversations' + (status.value ? `?status=${status.value}` : ''))).conversations;
    draw();
  };
  status.addEventListener('change', () => load().catch(ctx.fail));
  search.addEventListener('input', draw);
  await load();
}

async function transcript(ctx, el, id) {
  const { messages } = await ctx.get(`/api/v1/agent/conversations/${id}/messages`);
  el.append(h('p', {}, h('a', { href: '#/conversations' }, '← All conversations')), ...heading('Transcript'),
    h('ol', { className: 'transcript' }, messages.map((m) => h('li', { className: 'msg from-' + m.sender_type },
      h('span', { className: 'who' }, m.sender_type === 'note' ? 'internal note' : (m.payload && m.payload.agent_name) || m.sender_type),
      h('span', { className: 'when' }, formatTime(m.created_at)),
      h('p', {}, m.text || (m.payload && m.payload.file && m.payload.file.name) || `(${m.type})`)))));
}
