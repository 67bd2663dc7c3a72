/**
 * One request's view of the sign-in flow (as koa-session's `ContextSession` is of the session): it reads the
 * record and the sign-ins under way off the request once, asks the pure decisions of `lib/sign-in` what to do,
 * and carries the step out: a redirect, a 401, a page, or the identity for the gate to go on with.
 */
import type { Context } from 'koa';
import { WeChatError } from '../errors.js';
import {
  decideCallback,
  decideDisowned,
  decideGatedRequest,
  decideGrant,
  usableIdentity,
  type Answering,
  type ExchangeOutcome,
  type GatedRequest,
} from '../sign-in/decide.js';
import type { OAuthScope } from '../client/types.js';
import type { SignInRecord, WeChatIdentity } from '../sign-in/record.js';
import { newState } from '../sign-in/state.js';
import { answer, answerUnavailable } from './pages.js';
import { clearSignedInMark, forgetPending, markSignedIn, pendingFor, pendingSignIns, rememberPending, signedInMark } from './sign-in-cookies.js';
import { returnPath, returnUrl } from './request.js';
import { readSessionRecord, regenerate, sessionOf, writeSessionRecord, type SessionHolder } from './session.js';
import type { SiteServices } from './site-services.js';

export class SignInFlow {
  readonly #ctx: Context;
  readonly #site: SiteServices;
  readonly #session: SessionHolder;
  readonly #now = Date.now();
  #record: SignInRecord;

  constructor(ctx: Context, site: SiteServices) {
    this.#ctx = ctx;
    this.#site = site;
    this.#session = sessionOf(ctx);
    this.#record = readSessionRecord(this.#session, this.#now);
  }

  /**
   * The hot path, a known visitor: the gated decision's own first rule, before anything else is read off the
   * request (the return path, the sign-in cookies), which only a sign-in needs.
   */
  known(scope: OAuthScope, signInMaxAge: number | undefined): WeChatIdentity | undefined {
    return usableIdentity(this.#record, scope, signInMaxAge, this.#now);
  }

  /** A gated request: the identity to go on with, or undefined once the visitor has been answered. */
  async gate(request: Omit<GatedRequest, 'pending' | 'justCompleted'>): Promise<WeChatIdentity | undefined> {
    const step = decideGatedRequest(this.#record, this.#withPending(request), this.#now, newState);
    if (step.action === 'proceed') return step.identity;
    await this.#carry(step);
    return undefined;
  }

  /** WeChat disowned the signed-in openid: sign in again, once. False when it was this openid again. */
  async disowned(openid: string, request: Omit<GatedRequest, 'pending' | 'justCompleted'>): Promise<boolean> {
    const step = decideDisowned(this.#record, openid, this.#withPending(request), this.#now, newState);
    if (step === undefined) return false;
    await this.#carry(step);
    return true;
  }

  /**
   * WeChat's return with `state` and `code`, on a gated URL or the dedicated callback path. `returnedTo` is
   * that URL, clean and checked; `fallback` is where a visitor signed in meanwhile goes.
   */
  async complete(state: string, code: string | undefined, returnedTo: string, fallback: string): Promise<void> {
    const ctx = this.#ctx;
    const pending = pendingFor(ctx, state, this.#now, returnedTo);
    const step = decideCallback(
      this.#record,
      { state, code, pending, fallback, cookiesSent: ctx.get('Cookie') !== '', atPage: this.#site.site.callbackPath === undefined },
      this.#now,
      newState,
    );
    if (step.action !== 'exchange') {
      await this.#carry(step);
      return;
    }
    // Single use: this answer marks the state's cookie used, whatever the exchange does.
    forgetPending(ctx, step.pending.state);
    let outcome: ExchangeOutcome;
    try {
      outcome = await this.#site.services.exchanges.exchange(step.pending.state, step.code, step.pending.scope);
    } catch (error) {
      if (error instanceof WeChatError) return answerUnavailable(ctx, this.#site.site, error);
      throw error;
    }
    const next = decideGrant(this.#record, step.pending, outcome, this.#now, newState);
    if (next.action === 'continue' && next.record.identity !== this.#record.identity) {
      this.#save(next.record);
      markSignedIn(ctx, step.pending.state);
      // A new session for the signed-in visitor, so that a session id planted before sign-in is not the one signed in.
      await regenerate(this.#session);
    }
    await this.#carry(next);
  }

  async #carry(step: Answering): Promise<void> {
    const ctx = this.#ctx;
    const { site } = this.#site;
    switch (step.action) {
      case 'sign-in': {
        this.#save(step.record);
        if (step.isNew) rememberPending(ctx, step.pending, this.#now, returnPath(ctx, this.#site.site));
        const authorizeUrl = this.#site.services.client.authorizeUrl({
          redirectUri: returnUrl(ctx, this.#site.site),
          state: step.pending.state,
          scope: step.pending.scope,
        });
        if (step.respond === 'redirect') redirectNoStore(ctx, authorizeUrl);
        else
          await answer(ctx, site, 'signInRequired', {
            json: { authorizeUrl },
            action: { href: authorizeUrl, label: '微信登录 · Sign in with WeChat' },
          });
        return;
      }
      case 'continue':
        this.#save(step.record);
        redirectNoStore(ctx, step.to);
        return;
      case 'refuse':
        // The visitor's next click starts afresh.
        clearSignedInMark(ctx);
        await answer(ctx, site, step.answer, { action: { href: step.retry, label: '重试 · Try again' } });
        return;
      case 'failed':
        this.#save(step.record);
        await answer(ctx, site, 'signInFailed', { action: { href: step.retry, label: '重试 · Try again' } });
        return;
    }
  }

  #withPending(request: Omit<GatedRequest, 'pending' | 'justCompleted'>): GatedRequest {
    return {
      ...request,
      pending: pendingSignIns(this.#ctx, this.#now, returnPath(this.#ctx, this.#site.site)),
      justCompleted: signedInMark(this.#ctx),
    };
  }

  #save(record: SignInRecord): void {
    if (record === this.#record) return;
    this.#record = record;
    writeSessionRecord(this.#session, record);
  }
}

/** A redirect that no cache may keep: it carries a single-use state, or ends a sign-in. */
function redirectNoStore(ctx: Context, url: string): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.redirect(url);
}
