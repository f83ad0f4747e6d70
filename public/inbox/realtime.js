// The inbox's realtime socket: agent hello (tenant + CSRF token), frames to listeners, ping to keep it alive,
// and reconnect with back-off; after a reconnect it says hello again and resumes every open conversation from
// the last seq it saw, so nothing is lost or repeated (docs/http-api.md#realtime).
export class Realtime {
  constructor({ tenantId, csrf, onFrame, onState }) {
    Object.assign(this, { tenantId, csrf, onFrame, onState });
    this.lastSeq = new Map(); // conversation id → highest seq seen
    this.watching = new Set(); // conversations to resume after a reconnect
    this.pending = new Map(); // frame id → {resolve, reject}
    this.queue = []; // frames sent while down, flushed on welcome
    this.attempt = 0;
    this.stopped = false;
    this.nextId = 1;
    this.presence = null;
  }

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.pinger);
    clearTimeout(this.retry);
    if (this.ws) this.ws.close(1000);
  }

  open() {
    const url = location.origin.replace(/^http/, 'ws') + '/api/v1/realtime';
    const ws = new WebSocket(url);
    this.ws = ws;
    this.ready = false;
    this.onState('connecting');
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', tenant_id: this.tenantId, csrf_token: this.csrf }));
    ws.onmessage = (e) => this.receive(JSON.parse(e.data));
    ws.onclose = () => {
      if (this.ws !== ws) return;
      clearInterval(this.pinger);
      this.ready = false;
      for (const p of this.pending.values()) p.reject(new Error('connection lost'));
      this.pending.clear();
      if (this.stopped) return this.onState('offline');
      this.onState('reconnecting');
      const delay = Math.min(10000, 500 * 2 ** this.attempt++) * (0.75 + Math.random() / 2);
      this.retry = setTimeout(() => this.open(), delay);
    };
  }

  receive(frame) {
    if (frame.type === 'welcome') {
      this.ready = true;
      this.attempt = 0;
      this.onState('online');
      if (this.presence) this.ws.send(JSON.stringify({ type: 'presence', status: this.presence }));
      for (const id of this.watching) this.ws.send(JSON.stringify({ type: 'resume', conversation_id: id, last_seq: this.lastSeq.get(id) || 0 }));
      for (const f of this.queue.splice(0)) this.ws.send(JSON.stringify(f));
      clearInterval(this.pinger);
      this.pinger = setInterval(() => this.ready && this.ws.send('{"type":"ping"}'), 25000);
    }
    if ((frame.type === 'ack' || frame.type === 'error') && frame.ref && this.pending.has(frame.ref)) {
      const p = this.pending.get(frame.ref);
      this.pending.delete(frame.ref);
      if (frame.type === 'ack') p.resolve(frame);
      else p.reject(Object.assign(new Error(frame.error.message), { code: frame.error.code }));
    }
    if (frame.type === 'message' || frame.type === 'ack') {
      const m = frame.message;
      if (m && m.seq <= (this.lastSeq.get(m.conversation_id) || 0) && frame.type === 'message') {
        return; // already seen (a resume overlapping live frames)
      }
      if (m && m.seq > (this.lastSeq.get(m.conversation_id) || 0) && this.watching.has(m.conversation_id)) this.lastSeq.set(m.conversation_id, m.seq);
    }
    this.onFrame(frame);
  }

  // Sends a frame now, or once the socket is back.
  send(frame) {
    if (this.ready) this.ws.send(JSON.stringify(frame));
    else if (frame.type === 'message') this.queue.push(frame);
  }

  // Sends a frame with an id; resolves with its ack, rejects with its error.
  request(frame) {
    const id = 'f' + this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ ...frame, id });
      if (!this.ready && frame.type !== 'message') reject(new Error('not connected'));
    });
  }

  setPresence(status) {
    this.presence = status;
    this.send({ type: 'presence', status });
  }

  // Opens a conversation: every message after `lastSeq`, then live.
  watch(id, lastSeq = 0) {
    this.watching.add(id);
    if (!this.lastSeq.has(id) || this.lastSeq.get(id) > lastSeq) this.lastSeq.set(id, lastSeq);
    this.send({ type: 'resume', conversation_id: id, last_seq: lastSeq });
  }
}
