// Analytics, read-only for every role: conversations by status, leads, ratings and average times over a
// period (GET /api/v1/agent/analytics), and the per-agent figures (GET /api/v1/agent/metrics).
import { h, formatDuration, table } from '../../common/dom.js';
import { heading, field } from './ui.js';

const DAY = 86_400_000;

export async function render(ctx, el) {
  const period = h('select', { 'data-field': 'period' },
    [['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days'], ['365', 'Last year']].map(([v, l]) =>
      h('option', { value: v, selected: v === '30' }, l)));
  const body = h('div', { 'aria-live': 'polite' });
  el.append(...heading('Analytics', 'Conversations, leads, ratings and response times of this tenant.'),
    h('div', { className: 'toolbar' }, field('Period', period)), body);
  const load = async () => {
    const until = Date.now(), since = until - Number(period.value) * DAY;
    const q = `since=${since}&until=${until}`;
    body.setAttribute('aria-busy', 'true');
    try {
      const [a, m, agents] = await Promise.all([ctx.get('/api/v1/agent/analytics?' + q), ctx.get('/api/v1/agent/metrics?' + q),
        ctx.get('/api/v1/agent/agents').catch(() => ({ agents: [] }))]);
      const names = Object.fromEntries(agents.agents.map((x) => [x.user_id, x.name]));
      const tile = (label, value, key) => h('div', { className: 'tile', 'data-metric': key }, h('span', { className: 'tile-value' }, value),
        h('span', { className: 'tile-label' }, label));
      const r = a.ratings;
      body.replaceChildren(
        h('div', { className: 'tiles' },
          tile('Conversations', String(a.conversations.total), 'conversations'),
          tile('Closed', String(a.conversations.closed), 'closed'),
          tile('Waiting now', String(a.conversations.queued), 'queued'),
          tile('Leads', String(a.leads), 'leads'),
          tile('Average rating', r.average === null ? '—' : `${r.average.toFixed(1)} / 5 (${r.count})`, 'rating'),
          tile('Average wait', formatDuration(a.avg_wait_ms), 'wait'),
          tile('Average first response', formatDuration(a.avg_first_response_ms), 'first_response'),
          tile('Average resolution', formatDuration(a.avg_resolution_ms), 'resolution')),
        h('h2', {}, 'Ratings'),
        h('ul', { className: 'bars', 'aria-label': 'Ratings by stars' }, r.distribution.map((n, i) => {
          const max = Math.max(1, ...r.distribution);
          return h('li', {}, h('span', {}, `${i + 1} ★`), h('span', { className: 'bar', style: `width:${(n / max) * 100}%` }), h('span', {}, String(n)));
        })),
        h('h2', {}, 'By agent'),
        table('By agent', [
          ['Agent', (x) => names[x.agent_id] || x.agent_id], ['Conversations', (x) => String(x.conversations)],
          ['Resolved', (x) => String(x.resolved)], ['Average wait', (x) => formatDuration(x.avg_wait_ms)],
          ['First response', (x) => formatDuration(x.avg_first_response_ms)], ['Resolution', (x) => formatDuration(x.avg_resolution_ms)],
        ], m.agents, 'No agent took a conversation in this period.'));
    } catch (err) {
      ctx.fail(err);
    } finally {
      body.removeAttribute('aria-busy');
    }
  };
  period.addEventListener('change', load);
  await load();
}
