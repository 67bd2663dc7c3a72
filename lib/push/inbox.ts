/**
 * What a push changes, once per push across the deployment: a follow or an unfollow is recorded in the shared
 * store (so that every process answers it on its next request), and an unfollow deletes what is kept about the
 * user, as WeChat asks. A follow or scan through a parametric QR code is recorded under its scene. Other events
 * and messages change nothing here; the site's hook sees them all.
 */
import type { PushDedupe } from '../store/push-dedupe.js';
import type { Profiles } from '../store/profiles.js';
import type { Scenes } from '../store/scenes.js';
import type { Subscriptions } from '../subscriptions/subscriptions.js';
import { pushIdentity, type WeChatPush } from './message.js';

export interface PushInboxOptions {
  subscriptions: Subscriptions;
  profiles: Profiles;
  dedupe: PushDedupe;
  scenes: Scenes;
}

export class PushInbox {
  readonly #options: PushInboxOptions;

  constructor(options: PushInboxOptions) {
    this.#options = options;
  }

  /**
   * Handles a push once: `new` when its effects were applied now, `duplicate` for a copy already handled
   * (here or in another process). Store trouble never throws: the store's guard bounds and absorbs it.
   * @param rememberMs how long the push is remembered: past WeChat's retries, and past the timestamp window in
   *   which a replayed copy would still be accepted.
   */
  async receive(push: WeChatPush, rememberMs: number): Promise<'new' | 'duplicate'> {
    const { dedupe, subscriptions, profiles, scenes } = this.#options;
    if (!(await dedupe.claim(pushIdentity(push), rememberMs))) return 'duplicate';
    if (push.msgType !== 'event') return 'new';
    // A follow or scan through a parametric QR code: the page that showed the code learns who came.
    const sceneVisit =
      push.scene !== undefined && (push.event === 'subscribe' || push.event === 'SCAN')
        ? scenes.record(push.scene, { openid: push.openid, event: push.event, createTime: push.createTime })
        : undefined;
    if (push.event === 'subscribe') {
      await Promise.all([subscriptions.record(push.openid, true), sceneVisit]);
    } else if (push.event === 'SCAN') {
      await sceneVisit;
    } else if (push.event === 'unsubscribe') {
      await Promise.all([subscriptions.record(push.openid, false), profiles.delete(push.openid)]);
    }
    return 'new';
  }
}
