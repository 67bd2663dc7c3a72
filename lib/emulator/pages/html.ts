/**
 * The emulator's HTML: a tagged template that escapes every interpolated value (so a nickname or a state
 * can never inject markup), and one layout with a phone-sized, dependency-free style.
 */
import { Html, html } from '../../util/html.js';

export { Html, escapeHtml, html } from '../../util/html.js';

const STYLE = `
:root{color-scheme:light;--green:#07c160;--ink:#191919;--muted:#7f7f7f;--line:#e5e5e5;--bg:#ededed}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 -apple-system,"PingFang SC","Helvetica Neue",Arial,sans-serif;background:var(--bg);color:var(--ink)}
.bar{background:#f7f7f7;border-bottom:1px solid var(--line);padding:10px 16px;text-align:center;font-weight:600}
.bar small{display:block;font-weight:400;color:var(--muted);font-size:12px}
main{max-width:640px;margin:0 auto;padding:16px}
.card{background:#fff;border-radius:8px;padding:16px;margin:0 0 12px}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:0 0 8px}
p{margin:0 0 8px}.muted{color:var(--muted);font-size:13px}
button,.button{display:inline-block;border:0;border-radius:6px;padding:9px 16px;font:inherit;font-weight:600;cursor:pointer;text-decoration:none;background:var(--green);color:#fff}
button.plain,.button.plain{background:#f2f2f2;color:var(--ink)}button.danger{background:#fa5151}
ul.users{list-style:none;margin:0;padding:0}ul.users li{display:flex;justify-content:space-between;align-items:center;gap:8px;padding:8px 0;border-bottom:1px solid var(--line)}
ul.users li:last-child{border-bottom:0}.badge{font-size:12px;border-radius:4px;padding:1px 6px;background:#f2f2f2;color:var(--muted)}
.badge.on{background:#e7f8ee;color:#06ad56}
input[type=text],select{font:inherit;padding:8px;border:1px solid var(--line);border-radius:6px;width:100%}
label{display:block;margin:8px 0}form.row{display:flex;gap:8px;align-items:center;flex-wrap:wrap}form.inline{display:inline}form.row label{margin:0}.notice{background:#e7f8ef;color:#05803f;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{text-align:left;padding:4px 6px;border-bottom:1px solid var(--line);vertical-align:top}
code{font:12px ui-monospace,Menlo,monospace;word-break:break-all}
.error h1{color:#fa5151}.warning{background:#fff7e6;border:1px solid #ffd591;border-radius:6px;padding:8px;font-size:13px}
`;

/** A whole page: the top bar says it is the emulator, never real WeChat. */
export function page(options: { title: string; subtitle?: string; body: Html }): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>${options.title}</title><style>${new Html(STYLE)}</style></head>
<body><div class="bar">${options.title}<small>${options.subtitle ?? 'WeChat emulator · not real WeChat'}</small></div>
<main>${options.body}</main></body></html>`.text;
}
