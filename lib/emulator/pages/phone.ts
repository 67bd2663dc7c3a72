/**
 * The phone: the pages the WeChat app would show while authorizing. The visitor picks or creates a test user,
 * allows or refuses `snsapi_userinfo`, and is sent back to the site.
 */
import type { EmulatorUser } from '../state/users.js';
import { Html, html, page } from './html.js';

interface PhoneContext {
  accountName: string;
  /** The authorize query, carried by every form so that the choice is checked again. */
  query: string;
  scope: string;
}

/**
 * A script that warns when the authorize URL lost `#wechat_redirect` (the fragment never reaches a server).
 * Only that URL is checked: the pages that answer the phone's own forms have no fragment.
 */
const FRAGMENT_CHECK = html`<p class="warning" id="no-wechat-redirect" hidden>This URL does not end with <code>#wechat_redirect</code>.
Real WeChat may show a blank page without it.</p>
<script>if (location.pathname === '/connect/oauth2/authorize' && location.hash !== '#wechat_redirect') document.getElementById('no-wechat-redirect').hidden = false;</script>`;

function hidden(name: string, value: string): Html {
  return html`<input type="hidden" name="${name}" value="${value}">`;
}

/** Pick a test user, or create one. */
export function pickerPage(context: PhoneContext, users: readonly EmulatorUser[]): string {
  const items = users.map(
    (
      user,
    ) => html`<li><span>${user.nickname} <span class="badge${user.subscribed ? ' on' : ''}">${user.subscribed ? 'follows' : 'does not follow'}</span></span>
<form method="post" action="/connect/oauth2/authorize/choose" class="inline">${hidden('q', context.query)}${hidden('openid', user.openid)}<button type="submit" data-nickname="${user.nickname}">Continue as ${user.nickname}</button></form></li>`,
  );
  return page({
    title: context.accountName,
    body: html`${FRAGMENT_CHECK}
<div class="card"><h1>Who is using this phone?</h1>
<p class="muted">${context.accountName} asks WeChat who you are (${context.scope}). Pick a test user; with snsapi_base the emulator remembers the choice, as WeChat stays silent for a known user.</p>
${users.length === 0 ? html`<p>No test users yet: create one below.</p>` : html`<ul class="users">${items}</ul>`}</div>
<div class="card"><h2>New test user</h2>
<form method="post" action="/connect/oauth2/authorize/choose">${hidden('q', context.query)}
<label>Nickname <input type="text" name="nickname" maxlength="32" required></label>
<label><input type="checkbox" name="subscribed" value="1"> Follows ${context.accountName}</label>
<button type="submit">Create and continue</button></form></div>
<p class="muted"><a href="/emulator">Emulator console</a></p>`,
  });
}

/** The `snsapi_userinfo` consent sheet. */
export function consentPage(context: PhoneContext, user: EmulatorUser): string {
  const form = (decision: string, label: string, style = ''): Html =>
    html`<form method="post" action="/connect/oauth2/authorize/consent" class="inline">${hidden('q', context.query)}${hidden('openid', user.openid)}${hidden('decision', decision)}<button type="submit" class="${style}">${label}</button></form>`;
  return page({
    title: context.accountName,
    body: html`${FRAGMENT_CHECK}
<div class="card"><h1>${context.accountName} 申请获得</h1>
<p>你的昵称、头像 (your nickname and profile photo), for ${user.nickname}.</p>
<p>${form('allow', '允许 Allow')} ${form('refuse', '拒绝 Refuse', 'plain')}</p></div>
<div class="card"><p class="muted">Snapshot mode: WeChat shows a read-only snapshot page to visits it deems non-compliant; the code
then belongs to a virtual user (<code>is_snapshotuser: 1</code>) whose profile cannot be read.</p>
${form('snapshot', 'Open as a snapshot page', 'plain')}</div>`,
  });
}

/** What refusing shows: in practice WeChat sends nobody back. */
export function refusedPage(context: PhoneContext): string {
  return page({
    title: context.accountName,
    body: html`<div class="card"><h1>You refused</h1>
<p>WeChat does not go back to the site now: iOS returns to the previous page, Android shows a blank page.</p>
<p class="muted">Emulator: set onRefuse to "redirect" to get the old documented behaviour (a callback with state and no code).</p></div>`,
  });
}

/** WeChat sometimes loads the callback twice with the same code: a background load, then the real one. */
export function doubleRedirectPage(callback: string): string {
  // JSON with `<` escaped is a safe script literal: no `</script>` can close the tag early.
  const target = new Html(JSON.stringify(callback).replace(/</g, '\\u003c'));
  return page({
    title: 'Redirecting…',
    body: html`<div class="card"><p>Calling the site back twice with the same code, as WeChat sometimes does.</p>
<p><a id="callback" href="${callback}">Continue</a></p></div>
<script>const target = ${target};
fetch(target, { credentials: 'include', mode: 'no-cors', redirect: 'manual' }).catch(() => {}).finally(() => location.replace(target));</script>`,
  });
}
