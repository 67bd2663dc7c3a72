/**
 * A redis-server of the test's own, on a spare port, to kill, pause and restart without touching the shared
 * one on 6379. Under CI=true a missing redis-server fails the test; elsewhere it is skipped, loudly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisAnswersOn } from './redis.js';

/** A port nobody listens on now. */
export async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function requireRedisServer(context: Mocha.Context, file: string): void {
  if (spawnSync('redis-server', ['--version']).status === 0) return;
  if (process.env.CI === 'true') throw new Error('redis-server is not installed, and CI=true: apt-get install redis-server');
  process.stderr.write(`\n  !!! SKIPPING ${file}: no redis-server to start, kill and pause (apt-get install redis-server).\n\n`);
  context.skip();
}

export class OwnRedis {
  readonly port: number;
  #child: ChildProcess | undefined;

  constructor(port: number) {
    this.port = port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    this.#child = child;
    for (let tries = 0; tries < 100; tries++) {
      if (await redisAnswersOn(this.port)) return;
      await sleep(50);
    }
    throw new Error(`redis-server on port ${this.port} did not answer`);
  }

  /** SIGKILL: the connections drop at once, as in a crash. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: connections stay open and accept commands, but nothing answers. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.resume();
    await this.kill();
  }
}
