#!/usr/bin/env bash
# Builds the native addon with AddressSanitizer + UndefinedBehaviorSanitizer and runs the tests that
# exercise it (in process and in real node processes), then puts the normal build back.
# Usage: npm run check:asan        (needs gcc's libasan/libubsan; leak checking is off: Node itself
# does not free everything at exit). The zeroization test is left out: it scans a child's memory,
# and ASan's shadow mappings make that terabytes of readable address space.
set -euo pipefail
cd "$(dirname "$0")/.."
libdir="$(dirname "$(gcc -print-file-name=libasan.so)")"
work="$(mktemp -d)"
addon=native/build/Release/kofn_bn.node
cp "$addon" "$work/kofn_bn.node.orig"
restore() { cp "$work/kofn_bn.node.orig" "$addon"; rm -rf "$work"; }
trap restore EXIT
cp -r native "$work/native"
rm -rf "$work/native/build"
(cd "$work/native" && CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -g" \
  LDFLAGS="-fsanitize=address,undefined" node "$OLDPWD/node_modules/node-gyp/bin/node-gyp.js" rebuild >/dev/null)
cp "$work/native/build/Release/kofn_bn.node" "$addon"
npx tsc -b
LD_PRELOAD="$libdir/libasan.so:$libdir/libubsan.so" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$work/asan" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$work/ubsan" \
  node node_modules/mocha/bin/mocha.js 'dist/test/unit/threshold/*.test.js' \
  dist/test/integration/cluster.test.js dist/test/integration/lying-node.test.js dist/test/integration/install-crash.test.js
if compgen -G "$work/asan*" >/dev/null || compgen -G "$work/ubsan*" >/dev/null; then
  cat "$work"/asan* "$work"/ubsan* 2>/dev/null
  echo "sanitizer reports above" >&2
  exit 1
fi
echo "no sanitizer reports"
