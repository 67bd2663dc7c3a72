/**
 * Who came through a parametric QR code (带参数二维码), by its scene: a follow (`subscribe` with `qrscene_…`) or a
 * scan by a follower (`SCAN`), kept briefly in the shared store, whichever process the push reached. The follow
 * page that showed the code reads it to learn who scanned it.
 */
import { createHash } from 'node:crypto';
import type { CacheStore } from './cache-store.js';
import { sceneKey } from './keys.js';

/** What a scene's push said. */
export interface SceneVisit {
  readonly openid: string;
  readonly event: 'subscribe' | 'SCAN';
  /** The push's `CreateTime`, in unix seconds. */
  readonly createTime: number;
}

/** Temporary QR codes are meant to live minutes; their visits need not outlive them. */
const KEPT_MS = 10 * 60_000;

export class Scenes {
  readonly #store: CacheStore;
  readonly #appId: string;

  constructor(store: CacheStore, appId: string) {
    this.#store = store;
    this.#appId = appId;
  }

  async record(scene: string, visit: SceneVisit): Promise<void> {
    await this.#store.set(this.#key(scene), { ...visit }, KEPT_MS);
  }

  /** Undefined when nobody came through the scene lately (or the store lost it). */
  async read(scene: string): Promise<SceneVisit | undefined> {
    const value = (await this.#store.get(this.#key(scene))) as Partial<SceneVisit> | undefined;
    if (value === null || typeof value !== 'object') return undefined;
    const { openid, event, createTime } = value;
    if (typeof openid !== 'string' || (event !== 'subscribe' && event !== 'SCAN') || typeof createTime !== 'number') return undefined;
    return { openid, event, createTime };
  }

  /** Hashed: a scene is a bearer secret of the page that showed it, and has no business in a key in the clear. */
  #key(scene: string): string {
    return sceneKey(this.#appId, createHash('sha256').update(scene).digest('base64url'));
  }
}
