/** The shape of one emulated WeChat API endpoint. */
import type { Context } from 'koa';
import type { Flavor } from '../http/answer.js';
import type { EmulatorState } from '../state/index.js';

export interface Endpoint {
  /** Such as `/cgi-bin/token`. */
  readonly path: string;
  /** The one method WeChat takes; any other gets 43001 (GET wanted) or 43002 (POST wanted). */
  readonly method: 'GET' | 'POST';
  readonly flavor: Flavor;
  handle(ctx: Context, state: EmulatorState): Promise<void> | void;
}
