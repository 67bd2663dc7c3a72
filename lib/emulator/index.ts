// The emulator
export { Emulator, createEmulator, startEmulator } from './emulator.js';
export { DEFAULT_EMULATOR_APP_ID, DEFAULT_EMULATOR_APP_SECRET } from './options.js';

// Types
export type { EmulatorOptions, SeedUser, PushOptions, PushMode, DailyQuotas, ResolvedEmulatorOptions } from './options.js';
export type { EmulatorUser } from './state/users.js';
export type { FaultKind } from './state/faults.js';
export type { TokenKind } from './state/global-tokens.js';
export type { PushDelivery, PushAttempt } from './push-sender.js';
export type { RecordedCall } from './state/traffic.js';
export type { Switches } from './state/index.js';
