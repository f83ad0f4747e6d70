// Users and roles: the tenant's members; client admins add members (one-time password shown once), change
// roles and remove memberships.
import { h, table, withBusy, showFieldError, clearFieldErrors, formatTime } from '../../common/dom.js';
import { heading, field, formMessages, writeButton, readOnlyNote } from './ui.js';

const ROLES = ['client_admin', 'client_user', 'agent'];

export async function render(ctx, el) {
  const base = `/api/v1/tenants/${ctx.tenantId}/users`;
  const { users } = await ctx.get(base);
  const reload = async () => {
    el.replaceChildren();
    await render(ctx, el);
  };
  el.append(...heading('Users and roles', 'client admin: manages the tenant · client user: reads everything, changes nothing · agent: answers chats.'),
    readOnlyNote(ctx),
    table('Members', [
      ['Email', (u) => u.email], ['Name', (u) => u.name],
      ['Role', (u) => {
        if (!ctx.canWrite) return u.role;
        const sel = h('select', { 'aria-label': `Role of ${u.email}`, 'data-write': true }, ROLES.map((r) => h('option', { value: r, selected: r === u.role }, r)));
        sel.addEventListener('change', async () => {
          try {
            await ctx.send('PATCH', `${base}/${u.id}`, { role: sel.value });
            ctx.notice(`${u.email} is now ${sel.value}.`);
          } catch (err) {
            sel.value = u.role;
            ctx.fail(err);
          }
        });
        return sel;
      }],
      ['Added', (u) => formatTime(u.created_at)],
      ['', (u) => writeButton(ctx, 'Remove', async (e) => {
        if (!confirm(`Remove ${u.email} from this tenant?`)) return;
        await withBusy(e.target, async () => {
          try {
            await ctx.send('DELETE', `${base}/${u.id}`);
            await reload();
          } catch (err) {
            ctx.fail(err);
          }
        });
      }, { className: 'small secondary', 'aria-label': `Remove ${u.email}` })],
    ], users, 'No members.'));
  if (!ctx.canWrite) return;
  const email = h('input', { type: 'email', maxLength: 254, 'data-field': 'email' });
  const name = h('input', { maxLength: 200, 'data-field': 'name' });
  const role = h('select', { 'data-field': 'role' }, ROLES.map((r) => h('option', { value: r }, r)));
  const msgs = formMessages();
  const form = h('form', { className: 'inline-form', noValidate: true }, h('h2', {}, 'Add a member'),
    field('Email', email), field('Name (optional)', name), field('Role', role),
    h('div', { className: 'actions' }, h('button', { type: 'submit', 'data-write': true }, 'Add member')), msgs.box);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    msgs.error.hidden = true;
    await withBusy(form.querySelector('button'), async () => {
      try {
        const r = await ctx.send('POST', base, { email: email.value.trim(), name: name.value.trim() || undefined, role: role.value });
        await reload();
        if (r.one_time_password) {
          el.prepend(h('div', { className: 'secret-box', role: 'status' },
            h('p', {}, `${r.user.email} signs in once with this password, shown only now: `), h('code', {}, r.one_time_password)));
        }
        ctx.notice(`${r.user.email} added as ${r.user.role}.`);
      } catch (err) {
        if (!err.field || !showFieldError(form, err.field, err.message)) ctx.fail(err, Object.assign(msgs.error, { hidden: false }));
      }
    });
  });
  el.append(form);
}
