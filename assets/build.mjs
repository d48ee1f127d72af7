// Builds the admin editor: node assets/build.mjs (or make assets). The output is committed under
// stories/static/stories/editor/, so running the site and its tests needs no node. ES modules
// with code splitting: the merge view and the add-source dialog load when first opened.
import { build } from "esbuild";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const outdir = "stories/static/stories/editor";
const BUDGET = 400 * 1024;
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { editor: "assets/editor/index.js" },
  bundle: true,
  minify: true,
  format: "esm",
  splitting: true,
  target: ["es2020"],
  chunkNames: "[name]-[hash]",
  legalComments: "linked",
  outdir,
  metafile: true,
  logLevel: "warning",
});
// What a writer's browser loads with the form: the entry and the chunks it imports statically.
const outputs = result.metafile.outputs;
const initial = new Set();
const visit = (file) => {
  if (initial.has(file)) return;
  initial.add(file);
  for (const item of outputs[file].imports) if (item.kind === "import-statement") visit(item.path);
};
visit(join(outdir, "editor.js"));
let total = 0;
let first = 0;
for (const name of readdirSync(outdir).filter((n) => n.endsWith(".js"))) {
  const size = statSync(join(outdir, name)).size;
  total += size;
  if (initial.has(join(outdir, name))) first += size;
  console.log(`${join(outdir, name)}: ${(size / 1024).toFixed(1)} KB`);
}
console.log(`editor bundle: ${(first / 1024).toFixed(1)} KB minified loaded with the form, `
  + `${(total / 1024).toFixed(1)} KB with the parts loaded on demand (budget ${BUDGET / 1024} KB)`);
if (first > BUDGET) {
  console.error("The editor bundle is over its budget.");
  process.exit(1);
}
