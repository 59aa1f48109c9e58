// Vitest setup file (vitest.config.ts `setupFiles`): every wire codec in the tests checks, at
// encode, that what our own cores send is plain data. Production skips that walk (codec.ts).

import { wireEncodeVerifySet } from "../../src/protocol/wire/index.js";

wireEncodeVerifySet(true);
