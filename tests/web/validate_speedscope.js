// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Checks a speedscope file against the file-format schema the speedscope
// package ships, and that every sample names frames that exist.
// usage: node validate_speedscope.js FILE   (exit 0: valid; 1: errors printed)
"use strict";
const fs = require("fs");
const path = require("path");
const Ajv = require("ajv");

const schemaPath = path.join(__dirname, "node_modules", "speedscope", "dist", "release",
                             "file-format-schema.json");
const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
const file = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const ajv = new Ajv({ allErrors: true, strict: false });
const valid = ajv.validate(schema, file);
const errors = valid ? [] : ajv.errors.map((e) => `${e.instancePath} ${e.message}`);
const frames = file.shared ? file.shared.frames.length : 0;
for (const p of file.profiles || []) {
  if (p.type !== "sampled") continue;
  if (p.samples.length !== p.weights.length) errors.push(`${p.name}: samples and weights differ`);
  for (const s of p.samples)
    for (const f of s) if (f < 0 || f >= frames) errors.push(`${p.name}: frame ${f} out of range`);
}
if (errors.length) {
  console.error(errors.slice(0, 20).join("\n"));
  process.exit(1);
}
console.log(`valid: ${(file.profiles || []).length} profiles, ${frames} frames`);
