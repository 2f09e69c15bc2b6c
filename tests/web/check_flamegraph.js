// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Opens a uscope flame graph in headless Chromium (Debian's) and reports, as
// JSON on stdout: script errors, the frames in the DOM, what a click on the
// frame named FRAME does (it zooms: the frame fills the width), what a
// search for FRAME matches; and saves a screenshot.
// usage: node check_flamegraph.js FILE.html FRAME SCREENSHOT.png
"use strict";
const { chromium } = require("playwright-core");

(async () => {
  const [file, frameName, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--headless=new"],
  });
  const errors = [];
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto("file://" + file);
  const names = await page.$$eval(".frame", (els) => els.map((e) => e.dataset.name));
  const target = page.locator(".frame", { hasText: frameName }).first();
  const chartWidth = await page.$eval("#chart", (e) => e.getBoundingClientRect().width);
  const before = (await target.boundingBox()).width;
  await target.click();
  const zoomed = page.locator(".frame:not(.ancestor)", { hasText: frameName }).first();
  const after = (await zoomed.boundingBox()).width;
  await zoomed.hover();
  const tooltip = await page.$eval("#tooltip", (e) => e.textContent);
  await page.fill("#search", frameName);
  const matches = await page.$$eval(".frame.match", (els) => els.length);
  const matchedText = await page.$eval("#matched", (e) => e.textContent);
  await page.click("#reset");
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ errors, names, chartWidth, before, after, tooltip, matches,
                               matchedText }));
  await browser.close();
})().catch((e) => { console.error(String(e)); process.exit(1); });
