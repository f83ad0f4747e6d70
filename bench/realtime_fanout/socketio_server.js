// The baseline of bench/realtime_fanout: a Socket.IO server doing parleyd's broadcast without a database. A
// socket joins a room (the tenant) with an ack; a "message" event is stamped like a parleyd message (id, seq,
// created_at), sent to every other socket in the room and acked to the sender. Prints "port N" once listening.
const http = require('http');
const { randomUUID } = require('crypto');
const { Server } = require('socket.io');

const server = http.createServer();
const io = new Server(server, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
let seq = 0;

io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    socket.join(room);
    socket.data.room = room;
    if (typeof ack === 'function') ack({ ok: true });
  });
  socket.on('message', (body, ack) => {
    const message = {
      id: randomUUID(), conversation_id: socket.id, seq: ++seq, sender_type: 'visitor', type: 'text',
      text: String(body.text), payload: {}, client_message_id: body.client_message_id || null, flagged: false,
      created_at: Date.now(),
    };
    socket.to(socket.data.room).emit('message', { type: 'message', conversation_id: socket.id, message });
    if (typeof ack === 'function') ack({ type: 'ack', duplicate: false, message });
  });
});

server.listen({ host: '127.0.0.1', port: Number(process.argv[2] || 0), backlog: 4096 }, () => {
  console.log(`port ${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
