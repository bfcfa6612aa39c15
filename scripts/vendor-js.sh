#!/usr/bin/env bash
# Re-vendor the browser assets served from static/vendor/ (no CDN at run time:
# the deployment network has no Internet access).
#
# For each pinned npm package: `npm pack` it into a temp dir, extract only the
# files we need into static/vendor/<short-name>/ (plus the package's licence
# files), then write static/vendor/VENDORED.json (name, version, tarball
# integrity, extracted files) and static/vendor/README.md.
#
# Needs: bash, node, npm (with access to the npm registry), tar.
# Re-runnable: each package folder is rebuilt from scratch; nothing in the repo
# is touched until every package has been fetched and staged successfully.
# Never creates node_modules/ or package-lock.json in the repo.
#
# To upgrade a package: change its *_VERSION below, empty its *_INTEGRITY,
# run the script, review the diff, then paste the printed integrity back here.
set -euo pipefail

SOCKETIO_VERSION="4.8.4"
PDFJS_VERSION="6.5.438"
FONT_VERSION="5.3.0"
JSQR_VERSION="1.4.0"

# Expected sha512 of each tarball (as printed by `npm pack --json`). Empty = do
# not check (a warning is printed).
SOCKETIO_INTEGRITY="sha512-7wjKAvVXYOJsbmUgkWbnhPD4bFpkqrUR0++XOjpGFmqDqsqV1CI93VTraeExLxpjxEqrWgFoSRZu1ihjLWfkAA=="
PDFJS_INTEGRITY="sha512-vg8Pw1x+AFKy4AMDvhuWl5cOYV8d698UoEANoFFhc79hqXDnZQqnOXoxw3HG907WHOg1JYOvLhP756boddFxpA=="
FONT_INTEGRITY="sha512-xhAQBGHDxP5BF8IJxedy5MoWUmc1DlPCcZbMLhvnPkf8TaYCbbUVs3LjpuJ4BYdTrdiCLaewNaY8z+owq/FqFw=="
JSQR_INTEGRITY="sha512-dxLob7q65Xg2DvstYkRpkYtmKm2sPJ9oFhrhmudT1dZvNFFTlroai3AWSpLey/w5vMcLBXRgOJsbXpdN9HzU/A=="

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
VENDOR_DIR="$REPO_ROOT/static/vendor"

for tool in node npm tar; do
  command -v "$tool" >/dev/null 2>&1 || { echo "vendor-js: '$tool' is required" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vendor-js.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/stage"      # mirrors static/vendor/
META="$WORK/meta"        # one JSON record per package
mkdir -p "$STAGE" "$META"

log() { printf 'vendor-js: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# pack NAME VERSION EXPECTED_INTEGRITY KEY
#   Downloads NAME@VERSION with `npm pack` and unpacks it to $WORK/src/KEY/.
#   Saves the `npm pack --json` record to $WORK/KEY.pack.json.
pack() {
  local name="$1" version="$2" expected="$3" key="$4"
  local dir="$WORK/dl/$key"
  mkdir -p "$dir" "$WORK/src/$key"
  log "npm pack $name@$version"
  # Run npm from inside the temp dir so no project config / lockfile is involved.
  (cd "$dir" && npm pack "$name@$version" --json --ignore-scripts --pack-destination "$dir" 2>"$dir/npm.stderr") \
    >"$WORK/$key.pack.json" || { cat "$dir/npm.stderr" >&2; die "npm pack $name@$version failed"; }

  local info
  info="$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0];
    if (r.name !== process.argv[2] || r.version !== process.argv[3])
      throw new Error(`got ${r.name}@${r.version}`);
    console.log(r.filename + "\t" + r.integrity);
  ' "$WORK/$key.pack.json" "$name" "$version")" || die "unexpected npm pack output for $name@$version"

  local filename="${info%%$'\t'*}" integrity="${info#*$'\t'}"
  if [[ -n "$expected" && "$integrity" != "$expected" ]]; then
    die "$name@$version integrity mismatch: got $integrity, expected $expected"
  elif [[ -z "$expected" ]]; then
    log "WARNING: no pinned integrity for $name; got $integrity"
  fi
  tar -xzf "$dir/$filename" -C "$WORK/src/$key" --no-same-owner
  [[ -d "$WORK/src/$key/package" ]] || die "$filename has no package/ folder"
}

# copy KEY DEST REL...   Copy REL (file or directory, relative to the package
# root) to $STAGE/DEST/REL, keeping the relative path. Records every copied
# file in $WORK/KEY.files.
copy() {
  local key="$1" dest="$2"; shift 2
  local src="$WORK/src/$key/package" rel
  for rel in "$@"; do
    [[ -e "$src/$rel" ]] || die "$key: $rel not found in package"
    mkdir -p "$STAGE/$dest/$(dirname "$rel")"
    cp -R "$src/$rel" "$STAGE/$dest/$rel"
    (cd "$src" && find "$rel" -type f) >>"$WORK/$key.files"
  done
}

# copy_as KEY DEST SRC_REL DEST_REL   Copy one file under another relative name.
copy_as() {
  local key="$1" dest="$2" from="$3" to="$4"
  local src="$WORK/src/$key/package"
  [[ -f "$src/$from" ]] || die "$key: $from not found in package"
  mkdir -p "$STAGE/$dest/$(dirname "$to")"
  cp "$src/$from" "$STAGE/$dest/$to"
  echo "$to" >>"$WORK/$key.files"
}

# licenses KEY DEST   Copy the package's top-level LICENSE* / LICENCE* / COPYING* files.
licenses() {
  local key="$1" dest="$2" f found=0
  for f in "$WORK/src/$key/package"/{LICENSE,LICENCE,COPYING}*; do
    [[ -f "$f" ]] || continue
    copy "$key" "$dest" "$(basename "$f")"
    found=1
  done
  [[ $found == 1 ]] || die "$key: no LICENSE file in package"
}

# record KEY DEST [GENERATED...]   Write the VENDORED.json entry for KEY.
record() {
  local key="$1" dest="$2"; shift 2
  node -e '
    const fs = require("fs");
    const [packJson, filesList, pkgJson, dest, out, ...generated] = process.argv.slice(1);
    const p = JSON.parse(fs.readFileSync(packJson, "utf8"))[0];
    const pkg = JSON.parse(fs.readFileSync(pkgJson, "utf8"));
    const files = [...new Set(fs.readFileSync(filesList, "utf8").split("\n").filter(Boolean))].sort();
    fs.writeFileSync(out, JSON.stringify({
      name: p.name,
      version: p.version,
      license: pkg.license || null,
      integrity: p.integrity,
      tarball: p.filename,
      dest: "static/vendor/" + dest,
      files,
      generated: generated.sort(),
    }));
  ' "$WORK/$key.pack.json" "$WORK/$key.files" "$WORK/src/$key/package/package.json" \
    "$dest" "$META/$key.json" "$@"
}

# ---------------------------------------------------------------- socket.io
pack socket.io-client "$SOCKETIO_VERSION" "$SOCKETIO_INTEGRITY" socketio
copy socketio socket.io dist/socket.io.min.js
if [[ -f "$WORK/src/socketio/package/dist/socket.io.min.js.map" ]]; then
  copy socketio socket.io dist/socket.io.min.js.map
fi
licenses socketio socket.io
# Flatten dist/ so the URL is /static/vendor/socket.io/socket.io.min.js (the
# //# sourceMappingURL in the bundle is relative, so the .map still resolves).
mv "$STAGE/socket.io/dist/"* "$STAGE/socket.io/" && rmdir "$STAGE/socket.io/dist"
sed -i 's#^dist/##' "$WORK/socketio.files"
record socketio socket.io

# -------------------------------------------------------------------- pdf.js
pack pdfjs-dist "$PDFJS_VERSION" "$PDFJS_INTEGRITY" pdfjs
copy pdfjs pdfjs legacy/build/pdf.min.mjs legacy/build/pdf.worker.min.mjs cmaps standard_fonts
for optional in wasm iccs; do
  if [[ -d "$WORK/src/pdfjs/package/$optional" ]]; then
    copy pdfjs pdfjs "$optional"
  else
    log "pdfjs-dist $PDFJS_VERSION has no $optional/ (skipped)"
  fi
done
licenses pdfjs pdfjs

# Document which getDocument() options this version understands.
node - "$WORK/src/pdfjs/package" "$PDFJS_VERSION" "$STAGE/pdfjs/README.md" <<'NODE'
const fs = require("fs"), path = require("path");
const [root, version, out] = process.argv.slice(2);
const candidates = ["types/src/display/api.d.ts", "legacy/build/pdf.d.mts", "build/pdf.d.mts"];
const rel = candidates.find(c => fs.existsSync(path.join(root, c)));
if (!rel) throw new Error("no api.d.ts / pdf.d.mts in pdfjs-dist");
const src = fs.readFileSync(path.join(root, rel), "utf8");
// Options are declared as `name?: type` in the DocumentInitParameters type.
const has = name => new RegExp(`\\b${name}\\?:`).test(src);
const opts = ["cMapUrl", "cMapPacked", "standardFontDataUrl", "wasmUrl", "iccUrl",
              "useWasm", "useWorkerFetch", "isEvalSupported"];
const found = Object.fromEntries(opts.map(o => [o, has(o)]));
for (const o of ["cMapUrl", "standardFontDataUrl"]) {
  if (!found[o]) throw new Error(`pdfjs-dist ${version}: getDocument() option ${o} not found in ${rel}`);
}
const present = opts.filter(o => found[o]);
const absent = opts.filter(o => !found[o]);
const rows = [
  ["cMapUrl", "cmaps/", "/static/vendor/pdfjs/cmaps/"],
  ["standardFontDataUrl", "standard_fonts/", "/static/vendor/pdfjs/standard_fonts/"],
  ["wasmUrl", "wasm/", "/static/vendor/pdfjs/wasm/"],
  ["iccUrl", "iccs/", "/static/vendor/pdfjs/iccs/"],
].filter(([o, dir]) => found[o] && fs.existsSync(path.join(root, dir)));
const md = `# pdf.js (pdfjs-dist ${version}), legacy build

Generated by \`scripts/vendor-js.sh\`; do not edit by hand.

Option names were read from \`${rel}\` of pdfjs-dist ${version}.

| getDocument() option | directory here | URL (trailing slash required) |
| --- | --- | --- |
${rows.map(([o, d, u]) => `| \`${o}\` | \`${d}\` | \`${u}\` |`).join("\n")}

- Option names found: ${present.map(o => "`" + o + "`").join(", ")}.
- Not found in this version: ${absent.length ? absent.map(o => "`" + o + "`").join(", ") : "none"}.
- \`isEvalSupported\` ${found.isEvalSupported ? "still exists" : "no longer exists (do not pass it)"}.

Worker: set \`GlobalWorkerOptions.workerSrc = "/static/vendor/pdfjs/legacy/build/pdf.worker.min.mjs"\`.
Both files are ES modules (\`.mjs\`): load \`pdf.min.mjs\` with \`<script type="module">\`
or \`import()\`, and serve \`.mjs\` with a JavaScript MIME type.

\`\`\`js
import * as pdfjsLib from "/static/vendor/pdfjs/legacy/build/pdf.min.mjs";
pdfjsLib.GlobalWorkerOptions.workerSrc = "/static/vendor/pdfjs/legacy/build/pdf.worker.min.mjs";
const pdf = await pdfjsLib.getDocument({
  url,
${rows.map(([o, , u]) => `  ${o}: "${u}",`).join("\n")}
}).promise;
\`\`\`
`;
fs.writeFileSync(out, md);
NODE
record pdfjs pdfjs README.md

# ------------------------------------------------------------- Be Vietnam Pro
FONT_DEST="fonts/be-vietnam-pro"
FONT_SUBSETS=(vietnamese latin)   # order matters: same as fontsource's own CSS
FONT_WEIGHTS=(400 700)
pack @fontsource/be-vietnam-pro "$FONT_VERSION" "$FONT_INTEGRITY" font
for w in "${FONT_WEIGHTS[@]}"; do
  for s in "${FONT_SUBSETS[@]}"; do
    f="be-vietnam-pro-$s-$w-normal.woff2"
    copy_as font "$FONT_DEST" "files/$f" "$f"
  done
done
licenses font "$FONT_DEST"

# font.css: unicode-range per subset is copied from the package's CSS.
# In fontsource 5.x the per-subset files (vietnamese-400.css, latin-400.css)
# carry no unicode-range; the per-weight files (400.css) do, one block per
# subset headed "/* be-vietnam-pro-<subset>-<weight>-normal */". We read those,
# and cross-check against the package's unicode.json when it is present.
node - "$WORK/src/font/package" "$FONT_VERSION" "$STAGE/$FONT_DEST/font.css" \
  "${FONT_SUBSETS[*]}" "${FONT_WEIGHTS[*]}" <<'NODE'
const fs = require("fs"), path = require("path");
const [root, version, out, subsetsArg, weightsArg] = process.argv.slice(2);
const subsets = subsetsArg.split(" "), weights = weightsArg.split(" ");
const read = f => fs.existsSync(path.join(root, f)) ? fs.readFileSync(path.join(root, f), "utf8") : null;
const unicodeJson = read("unicode.json") ? JSON.parse(read("unicode.json")) : null;

function rangeFor(subset, weight) {
  const id = `be-vietnam-pro-${subset}-${weight}-normal`;
  for (const file of [`${subset}-${weight}.css`, `${weight}.css`, "index.css"]) {
    const css = read(file);
    if (!css) continue;
    const start = css.indexOf(`/* ${id} */`);
    if (start < 0) continue;
    const block = css.slice(start, css.indexOf("}", start));
    const m = block.match(/unicode-range:\s*([^;]+);/);
    if (m) return { range: m[1].trim(), file };
  }
  throw new Error(`no unicode-range for ${id} in the package CSS`);
}

let css = `/* Be Vietnam Pro — @fontsource/be-vietnam-pro ${version} (SIL OFL 1.1, see LICENSE).
 * Generated by scripts/vendor-js.sh; do not edit by hand.
 * Subsets: ${subsets.join(", ")}; weights: ${weights.join(", ")}; style: normal.
 * unicode-range values copied from the package's own CSS. */
`;
for (const w of weights) {
  for (const s of subsets) {
    const { range, file } = rangeFor(s, w);
    if (unicodeJson && unicodeJson[s] && unicodeJson[s] !== range) {
      throw new Error(`unicode-range for ${s} in ${file} differs from unicode.json`);
    }
    css += `
/* ${s} ${w} (unicode-range from ${file}) */
@font-face {
  font-family: "Be Vietnam Pro";
  font-style: normal;
  font-weight: ${w};
  font-display: swap;
  src: url("./be-vietnam-pro-${s}-${w}-normal.woff2") format("woff2");
  unicode-range: ${range};
}
`;
  }
}
fs.writeFileSync(out, css);
NODE
record font "$FONT_DEST" font.css

# --------------------------------------------------------------------- jsQR
# The in-app scanner's decoder where the browser has no BarcodeDetector (static/js/scan.js).
pack jsqr "$JSQR_VERSION" "$JSQR_INTEGRITY" jsqr
copy_as jsqr jsqr dist/jsQR.js jsQR.js
licenses jsqr jsqr
record jsqr jsqr

# ------------------------------------------------------- manifest and README
node - "$META" "$STAGE/VENDORED.json" "$STAGE/README.md" <<'NODE'
const fs = require("fs"), path = require("path");
const [metaDir, jsonOut, mdOut] = process.argv.slice(2);
const order = ["socketio", "pdfjs", "font", "jsqr"];
const pkgs = order.map(k => JSON.parse(fs.readFileSync(path.join(metaDir, k + ".json"), "utf8")));
fs.writeFileSync(jsonOut, JSON.stringify({
  generatedBy: "scripts/vendor-js.sh",
  packages: pkgs,
}, null, 2) + "\n");

const licenseFiles = p => p.files.filter(f => /(^|\/)(LICEN[CS]E|COPYING)[^/]*$/.test(f));
const md = `# Vendored browser assets

Third-party browser files served by our own server (the deployment network has
no Internet access: no CDN). Do not edit these files by hand.

Re-vendor with \`scripts/vendor-js.sh\` (pinned versions and tarball sha512 are
at the top of the script; needs node + npm with registry access).
\`VENDORED.json\` lists, per package, the version, tarball integrity and every
file extracted.

| package | version | licence | folder |
| --- | --- | --- | --- |
${pkgs.map(p => `| \`${p.name}\` | ${p.version} | ${p.license} | \`${p.dest.replace(/^static\/vendor\//, "")}/\` |`).join("\n")}

Licence texts are kept next to the files:

${pkgs.map(p => `- \`${p.name}\`: ${licenseFiles(p).map(f => "`" + f + "`").join(", ")}`).join("\n")}

Notes:

- \`socket.io/socket.io.min.js\` is the ES5 UMD bundle (global \`io\`).
- \`pdfjs/\` holds the pdf.js *legacy* build plus the \`cmaps/\`,
  \`standard_fonts/\`, \`wasm/\` and \`iccs/\` data it fetches at run time; see
  \`pdfjs/README.md\` for the matching \`getDocument()\` options. The pdf.js data
  folders carry their own licences (Adobe CMaps, Foxit/PDFium and Liberation
  fonts, OpenJPEG/PDFium/qcms/QuickJS wasm, CC0 ICC profile).
- \`fonts/be-vietnam-pro/font.css\` declares "Be Vietnam Pro" 400/700 (normal)
  for the \`vietnamese\` and \`latin\` subsets.
- \`jsqr/jsQR.js\` is jsQR's ES5 UMD build (global \`jsQR\`): the in-app scanner's
  decoder where the browser has no \`BarcodeDetector\`.
`;
fs.writeFileSync(mdOut, md);
NODE

# ------------------------------------------------- swap staged files into repo
mkdir -p "$VENDOR_DIR"
for dest in socket.io pdfjs "$FONT_DEST" jsqr; do
  rm -rf "${VENDOR_DIR:?}/$dest"
  mkdir -p "$(dirname "$VENDOR_DIR/$dest")"
  mv "$STAGE/$dest" "$VENDOR_DIR/$dest"
done
mv "$STAGE/VENDORED.json" "$VENDOR_DIR/VENDORED.json"
mv "$STAGE/README.md" "$VENDOR_DIR/README.md"

log "done: $(du -sh "$VENDOR_DIR" | cut -f1) in ${VENDOR_DIR#"$REPO_ROOT"/}"
