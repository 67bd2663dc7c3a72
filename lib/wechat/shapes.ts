/**
 * The shapes WeChat gives its identifiers, written once: the client checks what it sends against them, and
 * the emulator checks what it receives.
 */

/** Every AppID, test accounts' included: `wx` and 16 hex digits. */
export const APP_ID_PATTERN = /^wx[0-9a-f]{16}$/;

/** An openid: about 28 characters of `[A-Za-z0-9_-]` in practice; 128 at most is what we accept. */
export const OPENID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** The web-authorization `state`: only letters and digits, at most 128 bytes. */
export const STATE_PATTERN = /^[A-Za-z0-9]{1,128}$/;
