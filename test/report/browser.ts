import * as fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The Debian `chromium` package's binary; tests skip with this reason when it is missing. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumMissing = fs.existsSync(CHROMIUM) ? '' : `chromium not found at ${CHROMIUM} (apt-get install -y chromium); skipping the browser test`;

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
