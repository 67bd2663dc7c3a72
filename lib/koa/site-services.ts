/** What the Koa layer uses: the shared services of the AppID, and this site's own options. */
import type { ResolvedSiteOptions } from '../options.js';
import type { Services } from '../services.js';

export interface SiteServices {
  readonly services: Services;
  readonly site: ResolvedSiteOptions;
}
