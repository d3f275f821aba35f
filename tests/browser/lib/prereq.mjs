// What the browser tests need on this machine; they skip (exit 77) without it.
import fs from 'node:fs';

export const CHROMIUM = process.env.PSC_CHROMIUM || '/usr/bin/chromium';

/** Print a TAP skip and exit 77 if chromium (or anything in extra) is missing. */
export function skipUnlessReady(extra = []) {
  const missing = [];
  if (!fs.existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`);
  missing.push(...extra);
  if (missing.length) {
    console.log(`1..0 # SKIP missing ${missing.join(', ')}`);
    process.exit(77);
  }
}
