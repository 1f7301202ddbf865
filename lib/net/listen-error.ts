// listen-error.ts -- a listener that cannot bind says which one and why in
// one line ("proxy http listener 127.0.0.1:8080: address already in use"),
// instead of Node's "listen EADDRINUSE: address already in use ...".

const REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'address not available on this host',
};

export class ListenError extends Error {
  readonly code: string | undefined;
  constructor(listener: string, host: string, port: number, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' ? REASONS[code] : undefined;
    const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    super(`${listener} listener ${where}: ${reason ?? (cause instanceof Error ? cause.message : String(cause))}`, { cause });
    this.name = 'ListenError';
    this.code = typeof code === 'string' ? code : undefined;
  }
}
