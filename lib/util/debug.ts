import { debuglog } from 'node:util';

/** The one namespace of this library's diagnostics: `NODE_DEBUG=koa-wechat-subscription`. Silent by default. */
export const DEBUG_NAMESPACE = 'koa-wechat-subscription';

/**
 * Writes a diagnostic line when the namespace is enabled. Callers pass text that is already redacted; the
 * line is built lazily so that a silent logger costs nothing.
 */
export const debug = debuglog(DEBUG_NAMESPACE);
