// Builds static/css/site.css: the Bootstrap rules the shop's pages use, then the shop's own CSS.
// Run from the project root through `make css`; argument: the path of Bootstrap's minified CSS.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { PurgeCSS } from "purgecss";

const OUTPUT = "static/css/site.css";
const SHOP_CSS = "static/css/shop.css";
const BUILD_SCRIPT = "tools/purgecss/build.mjs";

// Every place a class name can come from: templates, the shop's scripts, and Python code that
// hands classes to templates. The default extractor keeps every word-like token, so a class
// only disappears when no source mentions it at all.
const CONTENT = ["templates/**/*.html", "static/js/**/*.js", "shop/**/*.py"];

// Names no source spells out in full: classes added by Bootstrap's collapse script while the
// menu opens and closes, or built in a template from a prefix and a value (the flash
// categories), and the elements WTForms writes from Python (a TextAreaField's <textarea>).
const SAFELIST = {
  standard: ["show", "collapsing", "is-invalid", "invalid-feedback", "textarea", "select"],
  greedy: [/^alert-(danger|success|warning|info)$/],
};

const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");

const bootstrapPath = process.argv[2];
if (!bootstrapPath) {
  console.error("usage: node tools/purgecss/build.mjs PATH/TO/bootstrap.min.css");
  process.exit(2);
}

const [purged] = await new PurgeCSS().purge({
  content: CONTENT,
  css: [bootstrapPath],
  safelist: SAFELIST,
  keyframes: true,
  fontFace: true,
  // Custom properties only some removed rule read go too; Bootstrap's own rules keep theirs.
  variables: true,
});

// The first line records what the file was built from: a test recomputes these digests and
// says "run make css" when a source changed without a rebuild.
const header =
  `/* site.css, built by make css: bootstrap.min.css sha256=${sha256(bootstrapPath)} ` +
  `shop.css sha256=${sha256(SHOP_CSS)} build.mjs sha256=${sha256(BUILD_SCRIPT)} */\n`;
writeFileSync(OUTPUT, header + purged.css.trim() + "\n" + readFileSync(SHOP_CSS, "utf8"));
console.log(`wrote ${OUTPUT}`);
