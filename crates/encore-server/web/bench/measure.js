// Measures the admin against its budgets (issue 11): the admin's own JavaScript compressed
// (≤ 300 kB; Shopify's App Bridge from the CDN is not counted) and "first page usable" on
// loopback (≤ 1 s): from navigation start until the Campaigns table is on screen, in headless
// Chromium against the real encore-server, median and worst of several cold page loads.
//
//   ENCORE_SERVER_BIN=target/release/encore-server node crates/encore-server/web/bench/measure.js [runs]
import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {gzipSync, brotliCompressSync} from 'node:zlib';
import {DEMO, launchChromium, startServer, useStandIn} from '../test/support/server.js';

const appDir = join(import.meta.dirname, '../app');
const js = readdirSync(join(appDir, 'js')).map((f) => readFileSync(join(appDir, 'js', f)));
const css = readFileSync(join(appDir, 'admin.css'));
const raw = js.reduce((n, b) => n + b.length, 0);
const gzip = js.reduce((n, b) => n + gzipSync(b, {level: 9}).length, 0);
const brotli = js.reduce((n, b) => n + brotliCompressSync(b).length, 0);
console.log(`admin JavaScript: ${js.length} modules, ${raw} B raw, ${gzip} B gzip -9, ${brotli} B brotli (budget 300000 B compressed)`);
console.log(`admin CSS: ${css.length} B raw, ${gzipSync(css, {level: 9}).length} B gzip -9`);

const bin = process.env.ENCORE_SERVER_BIN;
if (!bin) {
  console.log('ENCORE_SERVER_BIN is not set: skipping "first page usable"');
  process.exit(gzip > 300000 ? 1 : 0);
}
const runs = Number(process.argv[2] || 7);
const server = await startServer(bin);
const browser = await launchChromium();
try {
  await useStandIn(browser.context, {secret: DEMO.secret});
  const times = [];
  for (let i = 0; i < runs; i++) {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/app?shop=${DEMO.shop}`, {waitUntil: 'commit'});
    await page.locator('tbody tr').first().waitFor();
    // navigationStart → now, measured by the browser's own clock.
    times.push(await page.evaluate(() => performance.now()));
    await page.close();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`first page usable (Campaigns table on screen) over ${runs} loads: median ${median.toFixed(0)} ms, worst ${times[times.length - 1].toFixed(0)} ms (budget 1000 ms)`);
} finally {
  await browser.close();
  server.stop();
}
