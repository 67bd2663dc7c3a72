/**
 * `REDIS_URL`: one Redis for everything the processes of the demo share: the library's store (tokens and
 * statuses, and so the token lock it implies) and koa-session's external store (who signed in).
 *
 * The client is made without an offline queue: while Redis is away a command fails at once instead of waiting
 * in node-redis's queue for Redis to return. A paused Redis (connected, silent) is bounded by the timeouts: the
 * library's `storeTimeout`, and here {@link SESSION_TIMEOUT_MS} for sessions.
 */
import KeyvRedis, { createClient } from '@keyv/redis';
import { Keyv } from 'keyv';

/** How long a session read or write may take before the visitor gets the 503 page. */
export const SESSION_TIMEOUT_MS = 500;
/** Sessions under their own namespace of the one Redis; the library namespaces its keys itself. */
const SESSION_NAMESPACE = 'demo-session';

/** Thrown when the session store cannot be read or written: a 503 page that says so, never a hang. */
export class SessionStoreUnavailableError extends Error {
  override name = 'SessionStoreUnavailableError';
  readonly status = 503;
  readonly expose = true;
  constructor() {
    super(
      'The session store could not be reached, so we cannot tell who you are right now. Please try again in a moment. / 暂时无法读取会话，请稍后再试。',
    );
  }
}

export interface DemoRedis {
  /** The library's `store`. */
  store: Keyv;
  /** koa-session's `store`. */
  sessions: SessionStore;
  close(): Promise<void>;
}

/** koa-session's external store protocol. */
export interface SessionStore {
  get(key: string): Promise<unknown>;
  set(key: string, session: unknown, maxAge: number): Promise<void>;
  destroy(key: string): Promise<void>;
}

export function connectRedis(url: string): DemoRedis {
  // The client's own errors (a refused connection, each retry) are not logged here: the library warns, once.
  const client = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: (attempts) => Math.min(100 * 2 ** attempts, 2000) } });
  client.on('error', () => undefined);
  const store = new Keyv(new KeyvRedis(client), { namespace: 'demo' });
  store.on('error', () => undefined);
  // throwOnErrors: a session that cannot be read must not pass for an anonymous visitor.
  const sessionKeyv = new Keyv(new KeyvRedis(client, { throwOnErrors: true }), { namespace: SESSION_NAMESPACE, throwOnErrors: true });
  sessionKeyv.on('error', () => undefined);
  const sessions: SessionStore = {
    get: (key) => bounded(sessionKeyv.get(key)),
    set: async (key, session, maxAge) => {
      await bounded(sessionKeyv.set(key, session, maxAge));
    },
    destroy: async (key) => {
      await bounded(sessionKeyv.delete(key));
    },
  };
  return {
    store,
    sessions,
    async close() {
      // Whichever state the client is in (never connected, reconnecting, paused Redis): closed within a second.
      if (!client.isOpen) return;
      await Promise.race([client.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000))]);
      if (client.isOpen) client.destroy();
    },
  };
}

function bounded<T>(call: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SessionStoreUnavailableError()), SESSION_TIMEOUT_MS);
    call.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        reject(new SessionStoreUnavailableError());
      },
    );
  });
}
