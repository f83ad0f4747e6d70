// Plugins and Lua rules: what is loaded, what is disabled and why, the last errors.
import { h, table, formatTime } from '../../common/dom.js';
import { heading } from './ui.js';

export async function render(ctx, el) {
  el.append(...heading('Plugins and rules', 'Features the server runs. A plugin that failed to load is disabled with its reason.'),
    table('Plugins', [
      ['Plugin', (p) => p.id], ['Version', (p) => p.version || '—'],
      ['State', (p) => h('span', { className: 'badge ' + (p.state === 'loaded' ? 'on' : 'off') }, p.state)],
      ['Why', (p) => p.reason || '—'], ['Hooks', (p) => String(p.hooks)], ['Routes', (p) => String(p.routes)],
    ], ctx.plugins, 'No plugins are enabled.'));
  if (!ctx.isSuper) return;
  const { scripts } = await ctx.get('/api/v1/scripts');
  el.append(h('h2', {}, 'Lua rules'), table('Lua rules', [
    ['File', (s) => s.file], ['State', (s) => h('span', { className: 'badge ' + (s.state === 'loaded' ? 'on' : 'off') }, s.state)],
    ['Loaded', (s) => formatTime(s.loaded_at)], ['Rules', (s) => String(s.rules.length)], ['Failures', (s) => String(s.failures)],
    ['Last error', (s) => s.error || s.rules.map((r) => r.last_error).filter(Boolean).join('; ') || '—'],
  ], scripts, 'No Lua rules.'));
}
