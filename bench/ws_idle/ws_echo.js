// The baseline: a WebSocket echo server on Node's `ws` package (the transport under Socket.IO). Prints
// "port N" once listening.
const { WebSocketServer } = require('ws');

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] || 0), backlog: 4096 });
wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log(`port ${wss.address().port}`));
process.on('SIGTERM', () => process.exit(0));
