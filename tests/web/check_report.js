// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Opens a uscope HTML report in headless Chromium (Debian's) and reports, as
// JSON on stdout: script errors, how long it took to be ready, the summary
// facts, the call tree's rows (and after a search for SEARCH, the rows that
// match), the flat profile's first rows before and after sorting by calls,
// the pattern groups, the bottlenecks, the exceptions, how many pixels of
// the timeline and flame graph canvases are drawn, and what a click on the
// timeline selects; saves a screenshot.
// usage: node check_report.js FILE.html SEARCH SCREENSHOT.png
"use strict";
const { chromium } = require("playwright-core");

async function drawnPixels(page, selector) {
  return page.$eval(selector, (canvas) => {
    const ctx = canvas.getContext("2d");
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let drawn = 0;
    for (let i = 0; i < data.length; i += 4)
      if (data[i + 3] && (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250)) drawn++;
    return { width: canvas.width, height: canvas.height, drawn };
  });
}

(async () => {
  const [file, search, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--headless=new"],
  });
  const errors = [];
  const requests = [];
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("request", (r) => { if (!r.url().startsWith("file://")) requests.push(r.url()); });
  const started = Date.now();
  await page.goto("file://" + file, { timeout: 60000 });
  await page.waitForSelector("body[data-ready=true]", { timeout: 60000 }).catch(() => {});
  const readyMs = Date.now() - started;
  await page.waitForTimeout(500); // the canvases draw on the next animation frames
  const ready = await page.$eval("body", (b) => b.dataset.ready === "true");
  const facts = await page.$eval("#facts", (e) => e.textContent).catch(() => "");
  const treeRows = await page.$$eval("#tree-table tbody tr", (rows) =>
    rows.map((r) => r.querySelector("td.name").textContent));
  const flatFirst = await page.$$eval("#flat-table tbody tr", (rows) =>
    rows.slice(0, 5).map((r) => [...r.children].map((c) => c.textContent)));
  await page.click("#flat-table th[data-key=calls]");
  const flatByCalls = await page.$$eval("#flat-table tbody tr", (rows) =>
    rows.slice(0, 5).map((r) => [...r.children].map((c) => c.textContent)));
  const patterns = await page.$$eval("#pattern-list .pattern-text", (els) => els.map((e) => e.textContent));
  const bottlenecks = await page.$$eval(".bottleneck", (els) => els.map((e) => e.textContent));
  const exceptions = await page.$$eval(".exception", (els) => els.map((e) => e.textContent));
  const decimation = await page.$eval("#timeline-decimation", (e) => e.textContent);
  const timeline = await drawnPixels(page, "#timeline-canvas");
  const flame = await drawnPixels(page, "#flame-canvas");
  const box = await page.$eval("#timeline-canvas", (c) => {
    const r = c.getBoundingClientRect();
    return { x: r.x, y: r.y };
  });
  await page.mouse.click(box.x + 200, box.y + 45);
  await page.waitForTimeout(200);
  const selection = await page.$eval("#timeline-selection", (e) => e.textContent);
  await page.fill("#tree-search", search);
  await page.press("#tree-search", "Enter");
  const matches = await page.$$eval("#tree-table tr.match td.name", (els) => els.map((e) => e.textContent));
  const matchNote = await page.$eval("#tree-matches", (e) => e.textContent);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ errors, requests, ready, readyMs, facts, treeRows, flatFirst, flatByCalls,
                               patterns, bottlenecks, exceptions, decimation, timeline, flame, selection,
                               matches, matchNote }));
  await browser.close();
})().catch((e) => { console.error(String(e)); process.exit(1); });
