// processes.ts -- the runner's side of its child processes: fork one,
// wait until it listens, ask the back-end for its counts, stop it. Every
// child the runner starts is tracked so a failed run still ends them all.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BackendCounts, CountsMessage, CountsRequest, ListeningMessage } from './protocol.js';

export interface Started { readonly child: ChildProcess; readonly url: string }

const live = new Set<ChildProcess>();

/** Path of a sibling module in dist/bench/proxy. */
export function sibling(file: string): string {
  return fileURLToPath(new URL(`./${file}`, import.meta.url));
}

/** Forks `file` (a sibling module) and resolves with the URL it reports. */
export function forkServer(file: string, args: string[] = [], env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<Started> {
  const child = fork(sibling(file), args, { env: { ...process.env, ...env }, execArgv: nodeFlags, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  live.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); process.stderr.write(d); });
  child.once('exit', () => live.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${file} did not start in 30 s\n${stderr}`)); }, 30_000);
    child.on('message', (m: ListeningMessage) => {
      if (m?.type === 'listening') { clearTimeout(timer); resolve({ child, url: m.url }); }
    });
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`${file} exited during start (${code ?? signal})\n${stderr}`)); });
  });
}

/** Tracks a child started some other way (spawn) so stopAll() ends it too. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export function stop(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    child.kill('SIGTERM');
  });
}

/** Ends every child this runner started and that still runs. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => stop(c, 5_000)));
}

/** The back-end's counts since the last reset; zeroes them when `reset`. */
export function backendCounts(backend: ChildProcess, reset: boolean): Promise<BackendCounts> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { backend.off('message', onMessage); reject(new Error('the back-end did not answer a counts request')); }, 5_000);
    const onMessage = (m: CountsMessage): void => {
      if (m?.type !== 'counts') return;
      clearTimeout(timer);
      backend.off('message', onMessage);
      resolve({ total: m.total, identified: m.identified });
    };
    backend.on('message', onMessage);
    backend.send({ type: 'counts', reset } satisfies CountsRequest);
  });
}
