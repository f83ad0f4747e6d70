// Agents: presence, load, capacity and departments (GET /api/v1/agent/agents; client admins edit with PUT).
import { h, formatTime, table, withBusy, showFieldError, clearFieldErrors } from '../../common/dom.js';
import { heading, readOnlyNote, lines } from './ui.js';

export async function render(ctx, el) {
  const { agents } = await ctx.get('/api/v1/agent/agents');
  el.append(...heading('Agents', 'Members with the agent or client admin role take conversations up to their capacity.'), readOnlyNote(ctx));
  el.append(table('Agents', [
    ['Name', (a) => a.name], ['Role', (a) => a.role],
    ['Status', (a) => h('span', { className: 'badge presence-' + a.status }, a.status)],
    ['Last seen', (a) => formatTime(a.last_seen_at)],
    ['Active', (a) => String(a.active_conversations)],
    ['Capacity', (a) => (ctx.canWrite ? editor(ctx, a, 'capacity') : String(a.capacity))],
    ['Departments', (a) => (ctx.canWrite ? editor(ctx, a, 'departments') : a.departments.join(', ') || 'all')],
  ], agents, 'No agents yet: add members with the agent role under Users and roles.'));
}

// An inline form for one agent's capacity or departments, saved on submit.
function editor(ctx, agent, key) {
  const input = key === 'capacity'
    ? h('input', { type: 'number', min: 0, max: 100, value: agent.capacity, 'data-field': 'capacity', 'aria-label': `Capacity of ${agent.name}` })
    : h('input', { type: 'text', value: agent.departments.join(', '), placeholder: 'all', 'data-field': 'departments',
      'aria-label': `Departments of ${agent.name}` });
  const button = h('button', { type: 'submit', className: 'small secondary', 'data-write': true }, 'Save');
  const form = h('form', { className: 'cell-form', noValidate: true }, input, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const body = key === 'capacity' ? { capacity: Number(input.value) } : { departments: lines(input.value) };
    await withBusy(button, async () => {
      try {
        await ctx.send('PUT', `/api/v1/agent/agents/${agent.user_id}`, body);
        ctx.notice(`Saved ${agent.name}.`);
      } catch (err) {
        if (!err.field || !showFieldError(form, err.field.replace(/\[\d+\]$/, ''), err.message)) ctx.fail(err);
      }
    });
  });
  return form;
}
