// An HTTP server on 127.0.0.1:PORT with a timer that ticks every 50 ms;
// each answer tells how many ticks so far.  READY is written once it
// listens.  Usage: node node-server.js PORT READY
const http = require('http');
const fs = require('fs');
let ticks = 0;

setInterval(() => { ticks++; }, 50);
http.createServer((req, res) => res.end(`${ticks}\n`))
	.listen(parseInt(process.argv[2]), '127.0.0.1',
		() => fs.writeFileSync(process.argv[3], 'ready'));
