// Minimal SMTP (to the mail stack's Postfix, no auth) and IMAP (plain login on the loopback
// stack) clients: enough to send the thread's first mail and read mail back. Loopback only.
import net from 'node:net';

function lines(sock) {
  let buf = '';
  const waiters = [];
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    while (waiters.length) {
      const r = waiters[0].test(buf);
      if (r === undefined) break;
      waiters.shift().resolve(r);
    }
  });
  return (test) => new Promise((resolve, reject) => {
    const r = test(buf);
    if (r !== undefined) return resolve(r);
    waiters.push({ test, resolve });
    setTimeout(() => reject(new Error(`mail server did not answer: ${buf.slice(-300)}`)), 20000);
  }).then((r) => { buf = buf.slice(r.consumed); return r.value; });
}

/** Send `raw` (CRLF lines) from `from` to `rcpts` through SMTP on host:port. */
export async function smtpSend(port, from, rcpts, raw) {
  const sock = net.connect(port, '127.0.0.1');
  const next = lines(sock);
  const reply = () => next((b) => {
    const m = b.match(/^(\d{3}) .*\r\n/m);
    if (!m) return undefined;
    const end = b.indexOf(m[0]) + m[0].length;
    return { value: b.slice(0, end), consumed: end };
  });
  const cmd = async (c, want) => {
    if (c) sock.write(c + '\r\n');
    const r = await reply();
    if (!r.match(new RegExp(`^${want}`, 'm'))) throw new Error(`SMTP ${c}: ${r}`);
    return r;
  };
  await cmd(null, '220');
  await cmd('EHLO browser-test', '250');
  await cmd(`MAIL FROM:<${from}>`, '250');
  for (const r of rcpts) await cmd(`RCPT TO:<${r}>`, '250');
  await cmd('DATA', '354');
  await cmd(raw.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..') + '\r\n.', '250');
  sock.end('QUIT\r\n');
}

/** Every message of INBOX of `user` whose text contains `needle`, as raw strings. */
export async function imapFind(port, user, password, needle) {
  const sock = net.connect(port, '127.0.0.1');
  const next = lines(sock);
  let n = 0;
  const tagged = async (c) => {
    const tag = `a${++n}`;
    sock.write(`${tag} ${c}\r\n`);
    return next((b) => {
      const m = b.match(new RegExp(`^${tag} (OK|NO|BAD).*\\r\\n`, 'm'));
      if (!m) return undefined;
      const end = b.indexOf(m[0]) + m[0].length;
      if (m[1] !== 'OK') throw new Error(`IMAP ${c}: ${m[0]}`);
      return { value: b.slice(0, end), consumed: end };
    });
  };
  await next((b) => (b.includes('\r\n') ? { value: b, consumed: b.indexOf('\r\n') + 2 } : undefined));
  await tagged(`LOGIN ${user} ${password}`);
  await tagged('SELECT INBOX');
  const found = await tagged(`UID SEARCH TEXT "${needle}"`);
  const uids = (found.match(/^\* SEARCH(.*)$/m)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const out = [];
  for (const uid of uids) {
    const r = await tagged(`UID FETCH ${uid} BODY.PEEK[]`);
    const m = r.match(/\{(\d+)\}\r\n/);
    const start = r.indexOf(m[0]) + m[0].length;
    out.push(Buffer.from(r, 'latin1').subarray(start, start + Number(m[1])).toString('utf8'));
  }
  sock.end(`a${++n} LOGOUT\r\n`);
  return out;
}
