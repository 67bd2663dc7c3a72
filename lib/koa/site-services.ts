/** What the Koa layer uses of the shared services: the pure core, plus where the site's callback is. */
import type { WeChatClient } from '../client/client.js';
import type { Subscriptions } from '../subscriptions/subscriptions.js';
import type { ResolvedSiteOptions } from './options.js';
import type { Profiles } from './profiles.js';

export interface SiteServices {
  readonly client: WeChatClient;
  readonly subscriptions: Subscriptions;
  readonly profiles: Profiles;
  readonly site: ResolvedSiteOptions;
  /** The `statusTtl` of `createWeChat`, the longest a route may trust an answer. */
  readonly statusTtl: number;
}
