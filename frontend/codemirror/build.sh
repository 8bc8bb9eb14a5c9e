#!/usr/bin/env bash
# Rebuild the vendored CodeMirror 6 bundle served by the Django app.
#
#   frontend/codemirror/build.sh        (works from any cwd)
#
# Outputs (commit these; the app never needs npm at run time):
#   webapp/static/vendor/codemirror/codemirror.min.js   IIFE bundle of entry.js
#   webapp/static/vendor/codemirror/LICENSE             licenses of every bundled package
#   webapp/static/vendor/codemirror/VERSION             exact versions of bundled packages
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT_DIR="$ROOT/webapp/static/vendor/codemirror"
META="$(mktemp)"
trap 'rm -f "$META"' EXIT

cd "$HERE"

# Exact, lockfile-pinned install. Install scripts are not needed: esbuild's
# native binary comes from its @esbuild/<platform> optional dependency.
npm ci --ignore-scripts --no-audit --no-fund

CM_VERSION="$(node -p 'require("./node_modules/codemirror/package.json").version')"

mkdir -p "$OUT_DIR"
./node_modules/.bin/esbuild entry.js \
  --bundle \
  --format=iife \
  --minify \
  --target=es2020 \
  --legal-comments=none \
  --define:__CODEMIRROR_VERSION__="\"$CM_VERSION\"" \
  --metafile="$META" \
  --outfile="$OUT_DIR/codemirror.min.js"

# LICENSE + VERSION for exactly the packages that ended up in the bundle.
node - "$META" "$OUT_DIR" <<'EOF'
const fs = require("fs");
const path = require("path");
const [metaFile, outDir] = process.argv.slice(2);
const meta = JSON.parse(fs.readFileSync(metaFile, "utf8"));
const names = new Set();
for (const input of Object.keys(meta.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) names.add(m[1]);
}
// The `codemirror` meta package only re-exports; entry.js imports the
// @codemirror/* packages directly but reports its version.
const metaOnly = !names.has("codemirror");
names.add("codemirror");
const sorted = [...names].sort();
const licenseParts = [
  "Third-party licenses for codemirror.min.js (CodeMirror 6 bundle built by frontend/codemirror/build.sh).",
  "",
];
const versionLines = [];
for (const name of sorted) {
  const dir = path.join("node_modules", name);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  versionLines.push(`${name}@${pkg.version}`);
  const file = fs.readdirSync(dir).find((f) => /^licen[cs]e(\.(md|txt))?$/i.test(f));
  if (!file) throw new Error(`no LICENSE file in ${dir}`);
  licenseParts.push("=".repeat(72), `${name}@${pkg.version} (${pkg.license})`, "=".repeat(72), "");
  licenseParts.push(fs.readFileSync(path.join(dir, file), "utf8").trim(), "");
}
const esbuildVersion = require(path.resolve("node_modules/esbuild/package.json")).version;
fs.writeFileSync(path.join(outDir, "LICENSE"), licenseParts.join("\n"));
fs.writeFileSync(
  path.join(outDir, "VERSION"),
  `# Bundled packages (built with esbuild@${esbuildVersion})\n` +
    (metaOnly ? "# codemirror = meta package version reported as InterviewTrackEditor.version\n" : "") +
    versionLines.join("\n") + "\n",
);
EOF

SIZE="$(wc -c < "$OUT_DIR/codemirror.min.js")"
echo "Built $OUT_DIR/codemirror.min.js ($SIZE bytes, codemirror $CM_VERSION)"
