// Preloaded with `node --require`: a `listen()` given a port but no host binds 127.0.0.1, not
// every interface. The PDS and the PLC directory both call `listen(port)`.
'use strict';
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    if (first.path === undefined && first.host === undefined) args[0] = { ...first, host: '127.0.0.1' };
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first)) || first === undefined) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
    if (args[0] === undefined) args[0] = 0;
  }
  return listen.apply(this, args);
};
