#!/usr/bin/env bash
# Vendors Scalar's API reference (`@scalar/api-reference`, MIT) for the `/docs` page: downloads
# the pinned npm tarball, checks it against the pinned npm `integrity` (sha512), and writes its
# `dist/browser/standalone.js` compressed with brotli and gzip (the server sends these as they
# are, and inflates the gzip once for a client that accepts neither), and `VERSION`.
#
#   ./update.sh                      re-creates the files from the pins in VERSION
#   ./update.sh 1.80.0               pins another version (its integrity from `npm view`),
#                                    then updates the version the kernel serves
#
# Needs curl, node (its zlib compresses: the output is the same on every run of one node) and,
# to pin a new version, npm. Review the diff of VERSION, then run `cargo test -p chopin-runtime`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

pinned() { sed -n "s/^$1=//p" VERSION; }
if [[ $# -ge 1 ]]; then
  version=$1
  integrity=$(npm view "@scalar/api-reference@$version" dist.integrity)
else
  version=$(pinned version)
  integrity=$(pinned integrity)
fi
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "error: not a version: $version" >&2; exit 1; }
[[ "$integrity" == sha512-* ]] || { echo "error: not a sha512 integrity: $integrity" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
url="https://registry.npmjs.org/@scalar/api-reference/-/api-reference-$version.tgz"
echo "downloading $url"
curl -fsSL --retry 3 -o "$work/package.tgz" "$url"
actual="sha512-$(openssl dgst -sha512 -binary "$work/package.tgz" | base64 -w0)"
if [[ "$actual" != "$integrity" ]]; then
  echo "error: $url has integrity $actual, not the pinned $integrity" >&2
  exit 1
fi
tar -xzf "$work/package.tgz" -C "$work" package/package.json package/dist/browser/standalone.js
license=$(node -p "require('$work/package/package.json').license")
if [[ "$license" != "MIT" ]]; then
  echo "error: @scalar/api-reference@$version is licensed $license, not MIT: review LICENSE" >&2
  exit 1
fi

node - "$work/package/dist/browser/standalone.js" <<'JS'
const fs = require('fs');
const zlib = require('zlib');
const js = fs.readFileSync(process.argv[2]);
fs.writeFileSync('standalone.js.br', zlib.brotliCompressSync(js, {
  params: {
    [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
    [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
    [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: js.length,
  },
}));
fs.writeFileSync('standalone.js.gz', zlib.gzipSync(js, { level: 9, memLevel: 9 }));
JS
sha256=$(sha256sum "$work/package/dist/browser/standalone.js" | cut -d' ' -f1)
size=$(stat -c %s "$work/package/dist/browser/standalone.js")

cat >VERSION <<VERSION
version=$version
integrity=$integrity
sha256=$sha256
bytes=$size
VERSION

# The kernel serves the script under its version, so that browsers fetch a new one.
sed -i "s/^pub(crate) const SCALAR_VERSION: &str = \".*\";/pub(crate) const SCALAR_VERSION: \&str = \"$version\";/" \
  ../../src/openapi/docs.rs
ls -l standalone.js.br standalone.js.gz
cat VERSION
