// proxy-procs.ts -- which proxy worker served a request, found from outside
// the proxy (Linux /proc), so the proxy needs no test-only header: after the
// response the test looks up which process holds the server side of the
// TCP connection. Also: the child processes of the gatehouse primary.
import fs from 'node:fs';
import http from 'node:http';

/** True where /proc exposes sockets and process trees (Linux). */
export function procAvailable(): boolean {
  return fs.existsSync('/proc/net/tcp') && fs.existsSync('/proc/self/fd');
}

/** PIDs whose parent is `ppid` (from /proc/<pid>/stat). */
export function childPids(ppid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try { stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { continue; }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === ppid) out.push(Number(name));
  }
  return out.sort((a, b) => a - b);
}

function hexAddr(port: number, address = '127.0.0.1'): string {
  // An IPv4 address in /proc/net/tcp: little-endian hex, then the port in big-endian hex.
  const ip = address.split('.').reverse().map((b) => Number(b).toString(16).toUpperCase().padStart(2, '0')).join('');
  return `${ip}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The socket inode of the IPv4 connection 127.0.0.1:localPort -> remoteAddress:remotePort. */
export function socketInode(localPort: number, remotePort: number, remoteAddress = '127.0.0.1'): string | undefined {
  const want = `${hexAddr(localPort)} ${hexAddr(remotePort, remoteAddress)}`;
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && `${f[1]} ${f[2]}` === want && f[9] !== '0') return f[9];
  }
  return undefined;
}

/** Which of `pids` has the socket with this inode open, or undefined. */
export function socketOwner(inode: string, pids: readonly number[]): number | undefined {
  const target = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try { fds = fs.readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try { if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return pid; } catch { /* closed meanwhile */ }
    }
  }
  return undefined;
}

export interface PidReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The process among the candidates that held the server side of the connection; 0 when none did. */
  pid: number;
}

export interface PidRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded (and the method becomes POST). */
  form?: Record<string, string>;
  /** The client's address (another loopback address such as 127.0.0.2 looks like another client). */
  localAddress?: string;
}

/**
 * One request on a fresh connection to `base` (http://127.0.0.1:<port>),
 * and which of `candidates` (the primary's workers) served it: after the
 * response, while the keep-alive connection is still open, the server side
 * of it is looked up in /proc. In cluster round-robin mode the primary
 * accepts and hands the socket to a worker, which alone holds it from then on.
 */
export function requestWithPid(base: string, pathname: string, candidates: readonly number[], init: PidRequest = {}): Promise<PidReply> {
  const url = new URL(pathname, base);
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.form !== undefined) {
    body = new URLSearchParams(init.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise<PidReply>((resolve, reject) => {
    const req = http.request(url, { agent, ...(init.localAddress ? { localAddress: init.localAddress } : {}), method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers }, (res) => {
      const local = res.socket.localPort;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const inode = local === undefined ? undefined : socketInode(Number(url.port), local, init.localAddress);
        const pid = inode === undefined ? 0 : socketOwner(inode, candidates) ?? 0;
        agent.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), pid });
      });
      res.on('error', (err) => { agent.destroy(); reject(err); });
    });
    req.on('error', (err) => { agent.destroy(); reject(err); });
    req.end(body);
  });
}
