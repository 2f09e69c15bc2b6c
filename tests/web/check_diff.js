// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Opens a `uscope diff --format html` page in headless Chromium (Debian's)
// and reports, as JSON on stdout: script errors, requests off the file, the
// sentences, the function table's rows, the call paths the flame graph
// holds, and how many of its pixels are red (grew) and blue (shrank); saves
// a screenshot.
// usage: node check_diff.js FILE.html SCREENSHOT.png
"use strict";
const { chromium } = require("playwright-core");

(async () => {
  const [file, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--headless=new"],
  });
  const errors = [], requests = [];
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("request", (r) => { if (!r.url().startsWith("file://")) requests.push(r.url()); });
  await page.goto("file://" + file, { timeout: 60000 });
  await page.waitForSelector("body[data-ready=true]", { timeout: 60000 }).catch(() => {});
  await page.waitForTimeout(500);
  const ready = await page.$eval("body", (b) => b.dataset.ready === "true");
  const paths = await page.$eval("body", (b) => Number(b.dataset.paths));
  const sentences = await page.$$eval("#sentences li", (els) => els.map((e) => e.textContent));
  const rows = await page.$$eval("#function-table tbody tr", (trs) =>
    trs.map((r) => [...r.children].map((c) => c.textContent)));
  const colours = await page.$eval("#diff-canvas", (canvas) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let red = 0, blue = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (r > 180 && g < 140 && b < 140) red++;
      if (b > 150 && r < 120) blue++;
    }
    return { red, blue };
  });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ errors, requests, ready, paths, sentences, rows, colours }));
  await browser.close();
})().catch((e) => { console.error(String(e)); process.exit(1); });
