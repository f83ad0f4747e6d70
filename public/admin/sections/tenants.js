// Tenants (super admins): every tenant with plan and state; create, change plan, switch on or off.
import { h, table, withBusy, showFieldError, clearFieldErrors } from '../../common/dom.js';
import { heading, field, formMessages } from './ui.js';

export async function render(ctx, el) {
  const [{ tenants }, { plans }] = await Promise.all([ctx.get('/api/v1/tenants'), ctx.get('/api/v1/plans')]);
  const reload = async () => {
    await ctx.refreshTenants();
  };
  el.append(...heading('Tenants', 'Each tenant (a client) owns widgets and members.'),
    table('Tenants', [
      ['Name', (t) => t.name], ['Slug', (t) => t.slug],
      ['Plan', (t) => {
        const sel = h('select', { 'aria-label': `Plan of ${t.name}`, 'data-write': true }, plans.map((p) => h('option', { value: p.name, selected: p.name === t.plan }, p.name)));
        sel.addEventListener('change', async () => {
          try {
            await ctx.send('PATCH', `/api/v1/tenants/${t.id}`, { plan: sel.value });
            ctx.notice(`${t.name} is now on ${sel.value}.`);
          } catch (err) {
            ctx.fail(err);
          }
        });
        return sel;
      }],
      ['Limits', (t) => `${t.limits.max_widgets || '∞'} widgets · ${t.limits.max_agents || '∞'} agents`],
      ['State', (t) => {
        const b = h('button', { type: 'button', className: 'small secondary', 'data-write': true, 'aria-label': `${t.is_active ? 'Deactivate' : 'Activate'} ${t.name}` },
          t.is_active ? 'Deactivate' : 'Activate');
        b.addEventListener('click', () => withBusy(b, async () => {
          try {
            await ctx.send('PATCH', `/api/v1/tenants/${t.id}`, { is_active: !t.is_active });
            await reload();
          } catch (err) {
            ctx.fail(err);
          }
        }));
        return h('span', {}, h('span', { className: 'badge ' + (t.is_active ? 'on' : 'off') }, t.is_active ? 'active' : 'inactive'), ' ', b);
      }],
    ], tenants, 'No tenants.'));
  const name = h('input', { maxLength: 200, 'data-field': 'name' });
  const slug = h('input', { maxLength: 60, 'data-field': 'slug' });
  const plan = h('select', { 'data-field': 'plan' }, plans.map((p) => h('option', { value: p.name, selected: p.name === 'starter' }, p.name)));
  const msgs = formMessages();
  const form = h('form', { className: 'inline-form', noValidate: true }, h('h2', {}, 'New tenant'),
    field('Name', name), field('Slug (optional)', slug, 'a-z, 0-9 and -; derived from the name when empty.'), field('Plan', plan),
    h('div', { className: 'actions' }, h('button', { type: 'submit', 'data-write': true }, 'Create tenant')), msgs.box);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    msgs.error.hidden = true;
    await withBusy(form.querySelector('button'), async () => {
      try {
        const t = await ctx.send('POST', '/api/v1/tenants', { name: name.value, slug: slug.value || undefined, plan: plan.value });
        ctx.notice(`Created ${t.name}.`);
        await reload();
      } catch (err) {
        const f = err.code === 'slug_taken' ? 'slug' : err.field;
        if (!f || !showFieldError(form, f, err.message)) ctx.fail(err, Object.assign(msgs.error, { hidden: false }));
      }
    });
  });
  el.append(form);
}
