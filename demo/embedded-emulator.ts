/**
 * The embedded default: without WECHAT_APP_ID the demo starts the local WeChat emulator beside itself, with
 * test users who show every row of the recipe's page, and points the site at it.
 */
import { startEmulator, type Emulator, type SeedUser } from '../lib/emulator/index.js';

/** A follower with a remark and tags, one who came from a search, and one who does not follow. */
const DEMO_USERS: readonly SeedUser[] = [
  { nickname: 'Band', subscribed: true, remark: 'VIP 读者', tagIds: [2, 101], subscribeScene: 'ADD_SCENE_QR_CODE' },
  { nickname: 'Reader', subscribed: true, subscribeScene: 'ADD_SCENE_SEARCH' },
  { nickname: 'Visitor', subscribed: false },
];

const DEMO_ACCOUNT_NAME = '示例公众号 Demo Account';

/**
 * Starts the emulator on 127.0.0.1:`port` (0: a free one). The seed keeps openids the same from one run to
 * the next, so the phone page's remembered choice stays valid after a restart.
 */
export async function startDemoEmulator(port: number, publicUrl: string | undefined): Promise<Emulator> {
  const oauthDomains = ['localhost', '127.0.0.1'];
  // A PUBLIC_URL such as http://192.168.1.20:3000 is the host that WeChat's OAuth domain must allow.
  if (publicUrl !== undefined) oauthDomains.push(new URL(publicUrl).host);
  return startEmulator({
    port,
    seed: 'koa-wechat-subscription demo',
    accountName: DEMO_ACCOUNT_NAME,
    users: [...DEMO_USERS],
    oauthDomains,
  });
}
