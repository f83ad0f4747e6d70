// Parley agent inbox: sign in, pick a tenant, set presence, and work the queue and your conversations live
// over the realtime socket: open (resume with history), reply (text, quick replies, /canned, file, card),
// internal notes, typing and read receipts both ways, assign/unassign/transfer/close/reopen, the visitor's
// context and lead. Every string from the server is rendered as text. Screens: docs/panel.md#the-agent-inbox.
import { api, ApiError, session, cookie, describe } from '../common/api.js';
import { h, $, withBusy, formatTime } from '../common/dom.js';
import { Realtime } from './realtime.js';

const state = {
  me: null, tenants: [], tenantId: '', rt: null, readOnly: false,
  conversations: new Map(), // id → conversation
  messages: new Map(), // id → Map(seq → message)
  agents: new Map(), // user id → {name, status}
  canned: [],
  openId: '',
  unread: new Map(), // id → count
  typing: new Map(), // conversation id → timer (visitor typing)
  myTyping: { id: '', timer: 0, sentAt: 0 },
  visitorRead: new Map(), // id → seq the visitor has read
};

function showError(err) {
  $('alert').textContent = typeof err === 'string' ? err : describe(err);
  $('alert').hidden = false;
}
function clearError() {
  $('alert').hidden = true;
}

// ---------- session ----------

function show(view) {
  $('view-sign-in').hidden = view !== 'sign-in';
  $('view-inbox').hidden = view !== 'inbox';
  $('account').hidden = view !== 'inbox';
  if (view === 'sign-in') $('sign-in-heading').focus();
}

async function start(me) {
  state.me = me;
  session.csrf = me.csrf_token || cookie('parley_csrf');
  $('account-email').textContent = me.user.email;
  if (me.user.must_change_password) {
    show('sign-in');
    return showError('Choose your own password in the control panel first (/admin/), then come back.');
  }
  const { tenants } = await api('GET', '/api/v1/tenants');
  state.tenants = tenants;
  if (!tenants.length) return showError('You are not a member of any tenant.');
  const stored = localStorage.getItem('parley.inbox.tenant');
  $('tenant-select').replaceChildren(...tenants.map((t) => h('option', { value: t.id }, t.name)));
  await openTenant(tenants.some((t) => t.id === stored) ? stored : tenants[0].id);
  show('inbox');
}

$('sign-in-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  clearError();
  const form = e.target;
  await withBusy(form.querySelector('button'), async () => {
    try {
      const me = await api('POST', '/api/v1/auth/login', { email: form.email.value.trim(), password: form.password.value, mode: 'cookie' });
      form.password.value = '';
      await start(me);
    } catch (err) {
      showError(err.code === 'invalid_credentials' ? 'Wrong email or password.' : err);
    }
  });
});

$('sign-out-button').addEventListener('click', async () => {
  if (state.rt) state.rt.stop();
  try {
    await api('POST', '/api/v1/auth/logout');
  } catch {
    /* signed out either way */
  }
  location.reload();
});

$('tenant-select').addEventListener('change', (e) => openTenant(e.target.value).catch(showError));
$('presence-select').addEventListener('change', (e) => {
  if (state.rt) state.rt.setPresence(e.target.value);
});

// ---------- tenant: lists and socket ----------

const tenantHeader = () => ({ tenant: state.tenantId });

async function openTenant(id) {
  if (state.rt) state.rt.stop();
  Object.assign(state, { tenantId: id, openId: '' });
  state.conversations.clear();
  state.messages.clear();
  state.unread.clear();
  localStorage.setItem('parley.inbox.tenant', id);
  $('tenant-select').value = id;
  const [{ conversations }, { canned_responses: canned }, { agents }] = await Promise.all([
    api('GET', '/api/v1/agent/conversations', undefined, tenantHeader()),
    api('GET', '/api/v1/agent/canned-responses', undefined, tenantHeader()),
    api('GET', '/api/v1/agent/agents', undefined, tenantHeader()),
  ]);
  conversations.forEach((c) => state.conversations.set(c.id, c));
  state.canned = canned;
  state.agents = new Map(agents.map((a) => [a.user_id, a]));
  const role = state.me.user.is_super_admin ? 'super_admin' : (state.me.tenants.find((t) => t.id === id) || {}).role;
  state.readOnly = role === 'client_user';
  $('presence-select').disabled = state.readOnly;
  const me = state.agents.get(state.me.user.id);
  const presence = me && me.status !== 'offline' ? me.status : 'online';
  $('presence-select').value = presence;
  renderLists();
  renderConversation();
  state.rt = new Realtime({
    tenantId: id, csrf: session.csrf, onFrame,
    onState: (s) => {
      $('connection').textContent = s;
      $('connection').className = 'badge ' + (s === 'online' ? 'on' : 'off');
      if (s === 'online') refreshList().catch(() => {});
    },
  });
  if (!state.readOnly) state.rt.presence = presence;
  state.rt.start();
}

// After a reconnect: the lists again (conversation frames missed while down).
async function refreshList() {
  const { conversations } = await api('GET', '/api/v1/agent/conversations', undefined, tenantHeader());
  conversations.forEach((c) => state.conversations.set(c.id, c));
  renderLists();
}

function onFrame(f) {
  switch (f.type) {
    case 'welcome':
      f.agents.forEach((a) => state.agents.set(a.user_id, { ...state.agents.get(a.user_id), ...a }));
      break;
    case 'conversation': {
      const before = state.conversations.get(f.conversation.id);
      if (!keepConversation(f.conversation)) break;
      if (!before && f.conversation.status === 'queued') alertNew();
      renderLists();
      if (f.conversation.id === state.openId) {
        renderHeader();
        renderComposerState();
      }
      break;
    }
    case 'message':
    case 'ack':
      if (f.message) addMessage(f.message);
      break;
    case 'typing':
      if (f.from === 'visitor') visitorTyping(f.conversation_id, f.state);
      break;
    case 'read':
      if (f.by === 'visitor') {
        state.visitorRead.set(f.conversation_id, Math.max(f.seq, state.visitorRead.get(f.conversation_id) || 0));
        if (f.conversation_id === state.openId) renderReceipts();
      }
      break;
    case 'message_updated': {
      // A channel's media arrived after its message (docs/http-api.md#realtime): show the file in place.
      const m = state.messages.get(f.conversation_id) && state.messages.get(f.conversation_id).get(f.seq);
      if (!m) break;
      m.payload = { ...(m.payload || {}), file: f.file };
      const li = document.querySelector(`#messages [data-seq="${f.seq}"]`);
      if (li && f.conversation_id === state.openId) {
        li.remove();
        appendMessage(m);
      }
      break;
    }
    case 'presence':
      state.agents.set(f.user_id, { ...(state.agents.get(f.user_id) || {}), user_id: f.user_id, name: f.name, status: f.status });
      break;
    case 'error':
      if (!f.ref) showError(f.error.message);
      break;
    default:
  }
}

function addMessage(m) {
  if (!state.messages.has(m.conversation_id)) state.messages.set(m.conversation_id, new Map());
  const list = state.messages.get(m.conversation_id);
  const isNew = !list.has(m.seq);
  list.set(m.seq, m);
  const c = state.conversations.get(m.conversation_id);
  if (c && m.seq > c.last_seq) c.last_seq = m.seq;
  if (m.conversation_id === state.openId) {
    if (isNew) appendMessage(m);
    if (m.sender_type === 'visitor') {
      visitorTyping(m.conversation_id, false);
      markRead();
    }
  } else if (isNew && m.sender_type === 'visitor' && c && (c.assigned_agent_id === state.me.user.id || c.status === 'queued')) {
    state.unread.set(m.conversation_id, (state.unread.get(m.conversation_id) || 0) + 1);
    alertNew();
    renderLists();
  }
}

// A sound and the count in the title when something new arrives.
function alertNew() {
  const total = [...state.unread.values()].reduce((a, b) => a + b, 0) +
    [...state.conversations.values()].filter((c) => c.status === 'queued').length;
  document.title = total ? `(${total}) Parley inbox` : 'Parley inbox';
  try {
    const ctx = alertNew.audio || (alertNew.audio = new AudioContext());
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    gain.gain.value = 0.05;
    osc.connect(gain).connect(ctx.destination);
    osc.frequency.value = 880;
    osc.start();
    osc.stop(ctx.currentTime + 0.12);
  } catch {
    /* no audio: the title still says it */
  }
}

const visitorName = (c) => (c.visitor_info && (c.visitor_info.name || c.visitor_info.email)) || 'Visitor ' + c.visitor_id.slice(-6);

function renderLists() {
  const all = [...state.conversations.values()].sort((a, b) => b.updated_at - a.updated_at);
  const me = state.me.user.id;
  const groups = {
    queue: all.filter((c) => c.status === 'queued'),
    mine: all.filter((c) => c.status === 'active' && c.assigned_agent_id === me),
    others: all.filter((c) => (c.status === 'active' && c.assigned_agent_id !== me) || c.status === 'bot'),
    closed: all.filter((c) => c.status === 'closed').slice(0, 20),
  };
  for (const [key, list] of Object.entries(groups)) {
    $(`${key}-list`).replaceChildren(...list.map((c) => {
      const unread = state.unread.get(c.id) || 0;
      const agent = c.assigned_agent_id && state.agents.get(c.assigned_agent_id);
      return h('li', {}, h('button', {
        type: 'button', className: 'conv' + (c.id === state.openId ? ' open' : ''), 'data-conversation': c.id,
        'aria-current': c.id === state.openId ? 'true' : false,
        onclick: () => openConversation(c.id),
      }, h('span', { className: 'name' }, visitorName(c)),
      unread ? h('span', { className: 'unread', 'aria-label': `${unread} unread` }, String(unread)) : null,
      h('span', { className: 'meta' }, [c.status, c.department, agent && agent.name].filter(Boolean).join(' · '))));
    }));
    if (list.length === 0) $(`${key}-list`).append(h('li', { className: 'empty' }, 'none'));
  }
  $('queue-count').textContent = `(${groups.queue.length})`;
  $('mine-count').textContent = `(${groups.mine.length})`;
}

// ---------- one conversation ----------

function openConversation(id) {
  state.openId = id;
  state.unread.delete(id);
  clearError();
  renderLists();
  renderConversation();
  // History and live messages: resume from what we have (0 the first time).
  const have = state.messages.get(id);
  const last = have && have.size ? Math.max(...have.keys()) : 0;
  // Messages we already hold may have a gap (seen live before opening): ask for all to be safe.
  state.rt.watch(id, have && have.size === last ? last : 0);
  renderContext();
  const box = $('compose-text');
  if (box) box.focus();
}

function renderConversation() {
  const main = $('conversation');
  const c = state.conversations.get(state.openId);
  if (!c) return main.replaceChildren(h('p', { className: 'empty' }, 'Pick a conversation on the left.'));
  main.replaceChildren(
    h('header', { className: 'conv-head', id: 'conv-head' }),
    h('ol', { className: 'messages-list', id: 'messages', 'aria-live': 'polite', 'aria-label': 'Messages' }),
    h('p', { className: 'typing', id: 'typing', 'aria-live': 'polite' }),
    state.readOnly ? h('p', { className: 'hint' }, 'Read-only: your role can watch, not reply.') : composer());
  renderHeader();
  const list = state.messages.get(c.id);
  if (list) [...list.values()].sort((a, b) => a.seq - b.seq).forEach(appendMessage);
  markRead();
}

// A conversation's state arrives both in action answers and in realtime frames, in either order: keep the newer.
function keepConversation(c) {
  const known = state.conversations.get(c.id);
  if (known && known.updated_at > c.updated_at) return false;
  state.conversations.set(c.id, c);
  return true;
}

function renderHeader() {
  const c = state.conversations.get(state.openId);
  const head = $('conv-head');
  if (!c || !head) return;
  const me = state.me.user.id;
  const action = (label, path, body) => h('button', { type: 'button', className: 'secondary small',
    onclick: (e) => withBusy(e.target, () => conversationAction(c.id, path, body)) }, label);
  const transfer = () => {
    const sel = h('select', { id: 'transfer-target', 'aria-label': 'Transfer to' },
      h('option', { value: '' }, 'Transfer to…'),
      [...state.agents.values()].filter((a) => a.user_id !== me).map((a) =>
        h('option', { value: 'agent:' + a.user_id }, `${a.name} (${a.status || 'offline'})`)),
      [...new Set([...state.agents.values()].flatMap((a) => a.departments || []))].map((d) =>
        h('option', { value: 'department:' + d }, `Department ${d}`)));
    const dept = h('input', { type: 'text', id: 'transfer-department', placeholder: 'or department', 'aria-label': 'Transfer to department', size: 12 });
    const go = h('button', { type: 'button', className: 'secondary small' }, 'Transfer');
    go.addEventListener('click', () => withBusy(go, async () => {
      const [kind, value] = sel.value ? sel.value.split(/:(.*)/) : ['department', dept.value.trim()];
      if (!value) return showError('Choose an agent or type a department.');
      await conversationAction(c.id, 'transfer', kind === 'agent' ? { agent_id: value } : { department: value });
    }));
    return h('span', { className: 'transfer' }, sel, dept, go);
  };
  const agent = c.assigned_agent_id && state.agents.get(c.assigned_agent_id);
  head.replaceChildren(
    h('h1', { tabIndex: -1 }, visitorName(c)),
    h('span', { className: 'badge status-' + c.status, id: 'conv-status' }, c.status),
    agent ? h('span', { className: 'muted' }, ` with ${agent.name}`) : null,
    state.readOnly ? null : h('div', { className: 'actions' },
      c.status === 'closed' ? action('Reopen', 'reopen') : [
        c.assigned_agent_id !== me && action('Assign to me', 'assign'),
        c.assigned_agent_id && action('Unassign', 'unassign'),
        transfer(),
        action('Close', 'close'),
      ]));
}

async function conversationAction(id, path, body) {
  try {
    const r = await api('POST', `/api/v1/agent/conversations/${id}/${path}`, body, tenantHeader());
    const c = r.conversation || r;
    if (c && c.id) keepConversation(c);
    renderLists();
    renderHeader();
    renderComposerState();
  } catch (err) {
    showError(err);
  }
}

function fileLink(file) {
  return h('a', { href: file.url, target: '_blank', rel: 'noopener' }, `${file.name} (${Math.ceil(file.size / 1024)} KB)`);
}

function messageBody(m) {
  const p = m.payload || {};
  const parts = [];
  if (m.text) parts.push(h('p', { className: 'text' }, m.text));
  if (p.file) parts.push(p.file.content_type && p.file.content_type.startsWith('image/') && m.type === 'image'
    ? h('a', { href: p.file.url, target: '_blank', rel: 'noopener' }, h('img', { src: p.file.url, alt: p.file.name, className: 'thumb' }))
    : fileLink(p.file));
  if (p.card) {
    parts.push(h('div', { className: 'card-msg' }, h('strong', {}, p.card.title), p.card.text ? h('p', {}, p.card.text) : null,
      (p.card.buttons || []).map((b) => h('span', { className: 'chip' }, b.label))));
  }
  if (p.quick_replies && p.quick_replies.length) parts.push(h('div', { className: 'chips' }, p.quick_replies.map((q) => h('span', { className: 'chip' }, typeof q === 'string' ? q : q.label))));
  if (p.fields) parts.push(h('dl', { className: 'form-fields' }, Object.entries(p.fields).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))])));
  if (!parts.length) parts.push(h('p', { className: 'text muted' }, `(${m.type})`));
  return parts;
}

function appendMessage(m) {
  const list = $('messages');
  if (!list || list.querySelector(`[data-seq="${m.seq}"]`)) return;
  const who = m.sender_type === 'note' ? 'Internal note' + (m.payload && m.payload.agent_name ? ` · ${m.payload.agent_name}` : '')
    : m.sender_type === 'agent' ? (m.payload && m.payload.agent_name) || 'Agent'
      : m.sender_type === 'visitor' ? visitorName(state.conversations.get(m.conversation_id) || { visitor_id: '' }) : m.sender_type;
  const li = h('li', { className: `msg from-${m.sender_type}` + (m.flagged ? ' flagged' : ''), 'data-seq': m.seq },
    h('div', { className: 'msg-head' }, h('span', { className: 'who' }, who), h('time', {}, formatTime(m.created_at))),
    messageBody(m),
    m.sender_type === 'agent' ? h('span', { className: 'receipt', 'data-receipt': m.seq }) : null);
  // Keep seq order even if a resume fills a gap.
  const after = [...list.children].find((x) => Number(x.dataset.seq) > m.seq);
  list.insertBefore(li, after || null);
  li.scrollIntoView({ block: 'nearest' });
  renderReceipts();
}

function renderReceipts() {
  const seen = state.visitorRead.get(state.openId) || (state.conversations.get(state.openId) || {}).visitor_read_seq || 0;
  document.querySelectorAll('[data-receipt]').forEach((r) => {
    r.textContent = Number(r.dataset.receipt) <= seen ? 'Seen' : 'Sent';
  });
}

// Tells the visitor we read up to the last message shown.
function markRead() {
  const c = state.conversations.get(state.openId);
  const list = state.messages.get(state.openId);
  if (!c || !list || !list.size || state.readOnly || document.hidden) return;
  const last = Math.max(...list.keys());
  if (last > (c.agent_read_seq || 0)) {
    c.agent_read_seq = last;
    state.rt.send({ type: 'read', conversation_id: c.id, seq: last });
  }
}
document.addEventListener('visibilitychange', markRead);

function visitorTyping(id, on) {
  clearTimeout(state.typing.get(id));
  if (on) state.typing.set(id, setTimeout(() => visitorTyping(id, false), 8000));
  else state.typing.delete(id);
  if (id === state.openId && $('typing')) $('typing').textContent = on ? 'The visitor is typing…' : '';
}

// ---------- composer ----------

function composer() {
  const text = h('textarea', { id: 'compose-text', rows: 3, maxLength: 4000, 'aria-label': 'Reply', placeholder: 'Reply… (/shortcut for a canned response, Enter sends, Shift+Enter for a new line)',
    'aria-describedby': 'compose-hint', 'aria-autocomplete': 'list', 'aria-controls': 'canned-suggestions' });
  const note = h('input', { type: 'checkbox', id: 'compose-note' });
  const quick = h('input', { type: 'text', id: 'compose-quick', placeholder: 'Yes, No', size: 18 });
  const file = h('input', { type: 'file', id: 'compose-file', className: 'visually-hidden' });
  const suggestions = h('ul', { id: 'canned-suggestions', role: 'listbox', 'aria-label': 'Canned responses', hidden: true });
  const send = h('button', { type: 'submit', id: 'compose-send' }, 'Send');
  const form = h('form', { className: 'composer', id: 'composer', noValidate: true },
    suggestions, text,
    h('p', { className: 'hint', id: 'compose-hint' }, 'Type / then a shortcut for a canned response; Tab inserts it.'),
    h('div', { className: 'composer-row' },
      h('span', { className: 'check' }, note, h('label', { for: 'compose-note' }, 'Internal note (the visitor never sees it)')),
      h('label', { for: 'compose-quick', className: 'inline' }, 'Quick replies'), quick,
      h('label', { for: 'compose-file', className: 'button secondary small', tabIndex: 0,
        onkeydown: (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), file.click()) }, 'Attach file'), file,
      h('button', { type: 'button', className: 'secondary small', id: 'compose-card', onclick: () => cardDialog() }, 'Card'),
      send));
  note.addEventListener('change', () => {
    form.classList.toggle('note-mode', note.checked);
    send.textContent = note.checked ? 'Add note' : 'Send';
  });
  text.addEventListener('keydown', (e) => {
    if ((e.key === 'Tab' || e.key === 'Enter') && !suggestions.hidden && suggestions.firstChild) {
      e.preventDefault();
      insertCanned(suggestions.firstChild.dataset.text);
    } else if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    } else if (e.key === 'Escape') {
      suggestions.hidden = true;
    }
  });
  const insertCanned = (value) => {
    text.value = value;
    suggestions.hidden = true;
    text.focus();
  };
  text.addEventListener('input', () => {
    const m = /^\/(\S*)$/.exec(text.value);
    const hits = m ? state.canned.filter((c) => c.shortcut.startsWith(m[1])).slice(0, 6) : [];
    suggestions.replaceChildren(...hits.map((c) => h('li', { role: 'option', 'data-text': c.text, onmousedown: (e) => {
      e.preventDefault();
      insertCanned(c.text);
    } }, h('code', {}, '/' + c.shortcut), ' ', c.text)));
    suggestions.hidden = !hits.length;
    typingNow(text.value.length > 0);
  });
  file.addEventListener('change', () => {
    if (file.files[0]) uploadFile(file.files[0]).finally(() => (file.value = ''));
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = text.value.trim();
    if (!value) return;
    const id = state.openId;
    await withBusy(send, async () => {
      try {
        if (note.checked) {
          const r = await api('POST', `/api/v1/agent/conversations/${id}/notes`, { text: value }, tenantHeader());
          if (r && r.message) addMessage(r.message);
        } else {
          const quick_replies = quick.value.split(',').map((s) => s.trim()).filter(Boolean);
          await state.rt.request({ type: 'message', conversation_id: id, text: value,
            payload: quick_replies.length ? { quick_replies } : undefined, client_message_id: crypto.randomUUID() });
          quick.value = '';
        }
        text.value = '';
        typingNow(false);
        text.focus();
      } catch (err) {
        showError(err instanceof ApiError ? err : `Not sent: ${err.message}`);
      }
    });
  });
  setTimeout(renderComposerState);
  return form;
}

function renderComposerState() {
  const c = state.conversations.get(state.openId);
  const form = $('composer');
  if (!form || !c) return;
  form.querySelectorAll('textarea, input, button').forEach((el) => (el.disabled = c.status === 'closed'));
}

// Typing indicator to the visitor: "on" at most every 2 s while typing, "off" after 3 s idle or on send.
function typingNow(on) {
  const t = state.myTyping;
  clearTimeout(t.timer);
  const id = state.openId;
  if (on) {
    if (Date.now() - t.sentAt > 2000 || t.id !== id) {
      state.rt.send({ type: 'typing', conversation_id: id, state: true });
      Object.assign(t, { sentAt: Date.now(), id });
    }
    t.timer = setTimeout(() => typingNow(false), 3000);
  } else if (t.sentAt) {
    state.rt.send({ type: 'typing', conversation_id: t.id || id, state: false });
    t.sentAt = 0;
  }
}

async function uploadFile(f) {
  const id = state.openId;
  try {
    const r = await api('POST', `/api/v1/agent/conversations/${id}/files`, f, {
      ...tenantHeader(), type: f.type || 'application/octet-stream', headers: { 'X-File-Name': encodeURIComponent(f.name) } });
    await state.rt.request({ type: 'message', conversation_id: id, message_type: r.file.content_type.startsWith('image/') ? 'image' : 'file',
      payload: { file_id: r.file.id }, client_message_id: crypto.randomUUID() });
  } catch (err) {
    showError(err instanceof ApiError ? err : `Upload failed: ${err.message}`);
  }
}

function cardDialog() {
  const title = h('input', { type: 'text', id: 'card-title', maxLength: 200 });
  const text = h('textarea', { id: 'card-text', rows: 2, maxLength: 1000 });
  const label = h('input', { type: 'text', id: 'card-button', maxLength: 40 });
  const url = h('input', { type: 'url', id: 'card-url' });
  const dialog = h('dialog', { 'aria-labelledby': 'card-h', className: 'card-dialog' },
    h('form', { method: 'dialog' }, h('h2', { id: 'card-h' }, 'Send a card'),
      h('label', { for: 'card-title' }, 'Title'), title, h('label', { for: 'card-text' }, 'Text'), text,
      h('label', { for: 'card-button' }, 'Button label'), label, h('label', { for: 'card-url' }, 'Button link'), url,
      h('div', { className: 'actions' }, h('button', { value: 'send' }, 'Send card'), h('button', { value: 'cancel', className: 'secondary' }, 'Cancel'))));
  dialog.addEventListener('close', async () => {
    dialog.remove();
    if (dialog.returnValue !== 'send' || !title.value.trim()) return;
    const card = { title: title.value.trim(), text: text.value || undefined };
    if (label.value && url.value) card.buttons = [{ label: label.value, url: url.value }];
    try {
      await state.rt.request({ type: 'message', conversation_id: state.openId, message_type: 'card', payload: { card },
        client_message_id: crypto.randomUUID() });
    } catch (err) {
      showError(`Card not sent: ${err.message}`);
    }
  });
  document.body.append(dialog);
  dialog.showModal();
}

// ---------- visitor context ----------

async function renderContext() {
  const aside = $('context');
  const c = state.conversations.get(state.openId);
  if (!c) return aside.replaceChildren();
  const ctx = c.context || {};
  const utm = ctx.utm || {};
  const row = (k, v) => (v === undefined || v === null || v === '' ? null : [h('dt', {}, k), h('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))]);
  const past = [...state.conversations.values()].filter((x) => x.visitor_id === c.visitor_id && x.id !== c.id);
  const leadBox = h('div', { id: 'lead-info' }, h('p', { className: 'muted' }, 'Loading…'));
  aside.replaceChildren(
    h('h2', {}, 'Visitor'),
    h('dl', { className: 'facts' },
      row('Name', c.visitor_info && c.visitor_info.name), row('Email', c.visitor_info && c.visitor_info.email),
      row('Page', ctx.page_url || ctx.url), row('Referrer', ctx.referrer), row('Landing page', ctx.landing_page),
      row('Device', ctx.device), row('Language', ctx.language), row('Time zone', ctx.timezone || ctx.time_zone),
      row('Browser', ctx.user_agent), row('Started', formatTime(c.created_at))),
    h('h2', {}, 'UTM'),
    Object.keys(utm).length ? h('dl', { className: 'facts' }, Object.entries(utm).map(([k, v]) => row(k, v))) : h('p', { className: 'muted' }, 'none'),
    h('h2', {}, 'Lead'), leadBox,
    h('h2', {}, 'Past conversations'),
    past.length ? h('ul', {}, past.map((p) => h('li', {}, h('button', { type: 'button', className: 'link', onclick: () => openConversation(p.id) },
      `${formatTime(p.created_at)} · ${p.status}`)))) : h('p', { className: 'muted' }, 'none'));
  try {
    const { leads } = await api('GET', `/api/v1/agent/leads?conversation_id=${c.id}`, undefined, tenantHeader());
    leadBox.replaceChildren(leads.length ? h('dl', { className: 'facts' }, leads.flatMap((l) => [row('Name', l.name), row('Email', l.email),
      row('Phone', l.phone), row('Consent', l.consent ? 'yes' : 'no'), row('Captured', formatTime(l.created_at))].filter(Boolean)))
      : h('p', { className: 'muted' }, 'No contact details yet.'));
  } catch {
    leadBox.replaceChildren(h('p', { className: 'muted' }, 'Lead details are unavailable.'));
  }
}

// ---------- start ----------

// For debugging in the console and for the browser tests (which drop the socket to test resume).
window.parleyInbox = { state, realtime: () => state.rt };

(async () => {
  try {
    await start(await api('GET', '/api/v1/auth/me'));
  } catch (err) {
    show('sign-in');
    if (!(err instanceof ApiError) || err.status !== 401) showError(err);
  }
})();
