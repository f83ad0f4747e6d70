// The audit log: who changed what, newest first, with paging by time.
import { h, table, formatTime } from '../../common/dom.js';
import { heading } from './ui.js';

export async function render(ctx, el) {
  const { users } = await ctx.get(`/api/v1/tenants/${ctx.tenantId}/users`).catch(() => ({ users: [] }));
  const who = Object.fromEntries(users.map((u) => [u.id, u.email]));
  const list = h('div');
  const more = h('button', { type: 'button', className: 'secondary' }, 'Older entries');
  let entries = [];
  const load = async () => {
    const before = entries.length ? `&before=${entries.at(-1).created_at}` : '';
    const page = (await ctx.get(`/api/v1/tenants/${ctx.tenantId}/audit-log?limit=50${before}`)).entries;
    entries = entries.concat(page);
    more.hidden = page.length < 50;
    list.replaceChildren(table('Audit log', [
      ['When', (e) => formatTime(e.created_at)], ['Who', (e) => who[e.actor_user_id] || e.actor_user_id || 'system'],
      ['Action', (e) => e.action], ['Resource', (e) => `${e.resource_type} ${e.resource_id || ''}`],
    ], entries, 'Nothing recorded yet.'));
  };
  more.addEventListener('click', () => load().catch(ctx.fail));
  el.append(...heading('Audit log', 'Changes to the tenant, its members and widgets.'), list, more);
  await load();
}
