/**
 * The recipe's user-info table: WeChat's `/cgi-bin/user/info` answer as labelled rows, with the follow time
 * as a date in Beijing time and the follow scene in words. Views only print what this gives them.
 */
import type { WeChatUser } from '../../lib/index.js';

export interface InfoRow {
  /** What the field is, in Chinese and English. */
  readonly label: string;
  /** WeChat's own field name, shown small beside the label. */
  readonly field: string;
  readonly value: string;
}

/** `subscribe_scene`: how a follower came, as the MP documentation names the values. An open set. */
const SCENES: Readonly<Record<string, string>> = {
  ADD_SCENE_SEARCH: '公众号搜索 · Searched for the account',
  ADD_SCENE_ACCOUNT_MIGRATION: '公众号迁移 · Account migration',
  ADD_SCENE_PROFILE_CARD: '名片分享 · A shared profile card',
  ADD_SCENE_QR_CODE: '扫描二维码 · Scanned a QR code',
  ADD_SCENE_PROFILE_LINK: '图文页内名称点击 · The name on an article',
  ADD_SCENE_PROFILE_ITEM: "图文页右上角菜单 · An article's menu",
  ADD_SCENE_PAID: '支付后关注 · After a payment',
  ADD_SCENE_WECHAT_ADVERTISEMENT: '微信广告 · A WeChat advert',
  ADD_SCENE_REPRINT: '他人转载 · A reprinted article',
  ADD_SCENE_LIVESTREAM: '视频号直播 · A Channels live stream',
  ADD_SCENE_CHANNELS: '视频号 · WeChat Channels',
  ADD_SCENE_WXA: '小程序关注 · A Mini Program',
  ADD_SCENE_OTHERS: '其他 · Other',
};

export function sceneLabel(scene: string): string {
  return SCENES[scene] ?? scene;
}

const BEIJING = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

/** A Unix time in seconds as `2026/11/30 20:15 (UTC+8)`: WeChat's accounts live in Beijing time. */
export function beijingTime(unixSeconds: number): string {
  return `${BEIJING.format(new Date(unixSeconds * 1000))} (UTC+8)`;
}

/** The rows of a follower's table. A non-follower's answer holds nothing worth a table. */
export function followerRows(user: WeChatUser): InfoRow[] {
  if (user.subscribe !== 1) return [];
  const rows: InfoRow[] = [
    { label: '关注时间 · Followed on', field: 'subscribe_time', value: beijingTime(user.subscribe_time) },
    { label: '关注渠道 · Came from', field: 'subscribe_scene', value: sceneLabel(user.subscribe_scene) },
    { label: '备注 · Remark', field: 'remark', value: user.remark === '' ? '—' : user.remark },
    { label: '标签 · Tag ids', field: 'tagid_list', value: user.tagid_list.length === 0 ? '—' : user.tagid_list.join(', ') },
    { label: '语言 · Language', field: 'language', value: user.language || '—' },
  ];
  if (user.unionid !== undefined) rows.push({ label: 'UnionID', field: 'unionid', value: user.unionid });
  return rows;
}
