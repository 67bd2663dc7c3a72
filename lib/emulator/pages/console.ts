/**
 * The console: a link to the site it serves, the user the phone remembers, the test users with follow and
 * unfollow buttons, call counters, recent requests (secrets masked), faults, and the push deliveries. Every
 * button is a plain form posting to the control API; the page then says what it did.
 */
import { FAULT_KINDS } from '../state/faults.js';
import type { EmulatorState } from '../state/index.js';
import type { EmulatorUser } from '../state/users.js';
import { html, page, type Html } from './html.js';

/** What the page says after each button, by the control API's action name. */
const DONE: Readonly<Record<string, string>> = {
  users: 'Added the user.',
  follow: 'The user now follows the account.',
  unfollow: 'The user no longer follows the account.',
  faults: 'Planned the fault: the next calls of that endpoint get it.',
  'faults/clear': 'Cleared the planned faults.',
  'revoke-token': 'Revoked the current token: the next call with it gets 40001.',
  clock: 'Moved the clock.',
  'counters/reset': 'Reset the counters.',
  switches: 'Changed the switch.',
  'phone/forget': 'The phone forgot its user: the next sign-in asks who is using the phone.',
  'push/verify': 'Checked the push URL.',
};

export interface ConsoleView {
  /** The user this browser's phone remembers (WeChat's signed-in user), if any. */
  phoneUser: EmulatorUser | undefined;
  /** The button just pressed (a control API action), to say it was done. */
  done: string | undefined;
}

const action = (path: string, fields: Record<string, string>, label: string, style = ''): Html =>
  html`<form method="post" action="/emulator/api/${path}" class="inline">${Object.entries(fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}<button type="submit" class="${style}">${label}</button></form>`;

export function consolePage(state: EmulatorState, endpoints: readonly string[], { phoneUser, done }: ConsoleView): string {
  const { options, users, traffic, faults, pushes, switches, tokens, site } = state;
  const userRows = users.list().map(
    (
      user,
    ) => html`<li><span><strong>${user.nickname}</strong> <span class="badge${user.subscribed ? ' on' : ''}">${user.subscribed ? 'follows' : 'does not follow'}</span><br><code>${user.openid}</code></span>
<span>${user.subscribed ? action('unfollow', { openid: user.openid }, 'Unfollow', 'danger') : action('follow', { openid: user.openid }, 'Follow')}</span></li>`,
  );
  const counters = Object.entries(traffic.counters());
  const quotas = Object.entries(traffic.quotaUse());
  const recent = [...traffic.recent()].reverse().slice(0, 30);
  const pending = faults.pending();
  const deliveries = [...pushes.deliveries()].reverse().slice(0, 10);
  return page({
    title: `${options.accountName} · console`,
    subtitle: `WeChat emulator · AppID ${options.appId}`,
    body: html`${done === undefined ? '' : html`<p class="card notice" role="status" data-done="${done}">✓ ${DONE[done] ?? 'Done.'}</p>`}
<div class="card"><h2>The site and the phone</h2>
<p>${site.url === undefined ? html`<span class="muted">No site has signed anyone in here yet: it is linked here once one has.</span>` : html`Site: <a href="${site.url}" data-site>${site.url}</a>`}</p>
<p data-phone-user>${phoneUser === undefined ? html`The phone remembers nobody: the next sign-in asks who is using it.` : html`The phone is <strong>${phoneUser.nickname}</strong>'s (<code>${phoneUser.openid}</code>): snsapi_base sign-ins are silent for them, as in WeChat.`}
${phoneUser === undefined ? '' : action('phone/forget', {}, 'Forget the phone’s user', 'plain')}</p></div>

<div class="card"><h2>Test users</h2>
${userRows.length === 0 ? html`<p class="muted">None yet.</p>` : html`<ul class="users">${userRows}</ul>`}
<form method="post" action="/emulator/api/users" class="row"><label style="flex:1">Nickname <input type="text" name="nickname" maxlength="32" placeholder="Nickname" required></label>
<label><input type="checkbox" name="subscribed" value="1"> follows</label><button type="submit">Add user</button></form>
<p class="muted">Following and unfollowing ${pushes.url === undefined ? 'sends no push: no push URL is configured' : html`sends a signed push to <code>${pushes.url}</code>`}.</p></div>

<div class="card"><h2>Calls per endpoint</h2>
${counters.length === 0 ? html`<p class="muted">No calls yet.</p>` : html`<table><tr><th>endpoint</th><th>calls</th></tr>${counters.map(([path, count]) => html`<tr><td><code>${path}</code></td><td>${count}</td></tr>`)}</table>`}
<p class="muted">Quotas today: ${quotas.map(([name, use]) => `${name} ${use.used}/${use.limit}`).join(' · ')}</p>
<p>${action('counters/reset', {}, 'Reset counters', 'plain')}</p></div>

<div class="card"><h2>Faults</h2>
<form method="post" action="/emulator/api/faults" class="row">
<label>Endpoint <select name="endpoint" style="width:auto"><option value="*">any endpoint</option>${endpoints.map((path) => html`<option value="${path}">${path}</option>`)}</select></label>
<label>Fault <select name="kind" style="width:auto">${FAULT_KINDS.map((kind) => html`<option value="${kind}">${kind}</option>`)}</select></label>
<label>Times <input type="text" name="times" value="1" inputmode="numeric" style="width:5em"></label><button type="submit">Inject</button></form>
${pending.length === 0 ? html`<p class="muted">None planned.</p>` : html`<ul>${pending.map((fault) => html`<li><code>${fault.endpoint}</code>: ${fault.kind} × ${fault.remaining}</li>`)}</ul>`}
<p>${action('faults/clear', {}, 'Clear faults', 'plain')} ${action('revoke-token', {}, 'Revoke the current token', 'danger')}</p>
<p class="muted">Live global tokens: ${
      tokens
        .live()
        .map((token) => `${token.kind}${token.current ? ' (current)' : ''} ${token.expiresIn}s`)
        .join(' · ') || 'none'
    }</p>
<p>Double redirect: <strong>${switches.doubleRedirect ? 'on' : 'off'}</strong> ${action('switches', { doubleRedirect: switches.doubleRedirect ? 'false' : 'true' }, switches.doubleRedirect ? 'Turn off' : 'Turn on', 'plain')}</p></div>

<div class="card"><h2>Pushes</h2>
${deliveries.length === 0 ? html`<p class="muted">None sent.</p>` : html`<table><tr><th>#</th><th>event</th><th>openid</th><th>outcome</th><th>tries</th></tr>${deliveries.map((delivery) => html`<tr><td>${delivery.id}</td><td>${delivery.event}</td><td><code>${delivery.openid}</code></td><td>${delivery.outcome}</td><td>${delivery.attempts.map((attempt) => attempt.error ?? `HTTP ${attempt.status}`).join(', ')}</td></tr>`)}</table>`}</div>

<div class="card"><h2>Recent requests</h2>
${recent.length === 0 ? html`<p class="muted">None yet.</p>` : html`<table><tr><th>time</th><th>request</th><th>answer</th></tr>${recent.map((call) => html`<tr><td>${new Date(call.at).toISOString().slice(11, 19)}</td><td><code>${call.method} ${call.url}</code></td><td>${call.fault === undefined ? (call.errcode === undefined ? call.status : `errcode ${call.errcode}`) : `fault: ${call.fault}`}</td></tr>`)}</table>`}
<p class="muted">Secrets, tokens and codes are masked (***).</p></div>`,
  });
}
