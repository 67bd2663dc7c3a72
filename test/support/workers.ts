/**
 * Real worker processes of one deployment (test/support/worker-process.ts), each with its own createWeChat on
 * one Redis, for the tests and the benchmark of several processes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnvironment } from './child-env.js';

export interface WorkerConfig {
  redisUrl: string;
  namespace: string;
  emulatorUrl: string;
  appId: string;
  appSecret: string;
  tokenSource: 'classic' | 'stable';
  /** Each process its own lock (the landed behaviour), instead of the Redis lock the store implies. */
  processLock?: boolean;
  /** Seconds; the library's default otherwise. */
  storeTimeout?: number;
}

export type WorkerRequest = { id: number; type: 'lookups'; openids: string[] } | { id: number; type: 'stats' | 'gc' | 'close' };

export interface LookupAnswer {
  openid: string;
  subscribed?: boolean;
  /** The errcode, or the error's name, of a lookup that failed. */
  error?: number | string;
}

export interface WorkerAnswer {
  answers?: LookupAnswer[];
  longestMs?: number;
  totalMs?: number;
  heapUsed?: number;
  warnings?: string[];
  failure?: string;
}

const SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export class Worker {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (answer: WorkerAnswer) => void>();
  #next = 1;
  readonly ready: Promise<void>;

  constructor(config: WorkerConfig) {
    this.#child = fork(SCRIPT, [], {
      env: childEnvironment({ ...process.env, WORKER_CONFIG: JSON.stringify(config) }),
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.#child.once('exit', (code) => reject(new Error(`a worker process ended with code ${code} before it was ready`)));
      this.#child.on('message', (message: { id: number; ready?: boolean } & WorkerAnswer) => {
        if (message.ready === true) return resolve();
        this.#waiting.get(message.id)?.(message);
        this.#waiting.delete(message.id);
      });
    });
  }

  ask(request: { type: 'lookups'; openids: string[] } | { type: 'stats' | 'gc' | 'close' }): Promise<WorkerAnswer> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, (answer) => (answer.failure !== undefined ? reject(new Error(answer.failure)) : resolve(answer)));
      this.#child.send({ id, ...request });
    });
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    await Promise.race([this.ask({ type: 'close' }), new Promise((resolve) => setTimeout(resolve, 3000))]);
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
    await exited;
  }
}

/** `count` worker processes, ready. */
export async function startWorkers(count: number, config: WorkerConfig): Promise<Worker[]> {
  const workers = Array.from({ length: count }, () => new Worker(config));
  await Promise.all(workers.map((worker) => worker.ready));
  return workers;
}
