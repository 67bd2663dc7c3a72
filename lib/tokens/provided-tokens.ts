/**
 * Tokens from the application's `tokenProvider`, for deployments where a central service owns the token. We
 * never fetch one ourselves here: fetching would retire the central service's token.
 */
import { WeChatTokenProviderError } from '../errors.js';
import { describeForeignError } from '../util/logger.js';
import { AccessTokens } from './access-tokens.js';

/** Resolves with the current global access token. Called whenever one is needed (coalesced): cache inside it if it is slow. */
export type TokenProvider = () => Promise<string>;

export class ProvidedTokens extends AccessTokens {
  readonly #provide: TokenProvider;
  #flight: Promise<string> | undefined;

  constructor(provide: TokenProvider) {
    super();
    this.#provide = provide;
  }

  get(): Promise<string> {
    this.#flight ??= this.#ask().finally(() => (this.#flight = undefined));
    return this.#flight;
  }

  /** Asks the provider again: the central service may have rotated the token meanwhile. */
  renew(): Promise<string> {
    return this.get();
  }

  async #ask(): Promise<string> {
    let token: unknown;
    try {
      token = await this.#provide();
    } catch (error) {
      throw new WeChatTokenProviderError(`failed (${describeForeignError(error)})`);
    }
    if (typeof token !== 'string' || token === '' || token.length > 1024 || /[\s\p{Cc}]/u.test(token)) {
      throw new WeChatTokenProviderError('resolved with something that is not an access token: expected a non-empty string without white space');
    }
    return token;
  }
}
