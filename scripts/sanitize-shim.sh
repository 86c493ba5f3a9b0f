#!/usr/bin/env bash
# Builds libkofn-pkcs11.so and its stress program (native/test/shim-stress.c) twice into a separate
# directory, once with AddressSanitizer + UndefinedBehaviorSanitizer and once with ThreadSanitizer,
# and runs each against a live token service: many threads opening sessions, drawing random bytes
# and closing sessions while the main thread forks children that re-initialise the library.
# Any sanitizer report fails the run.
#
# Usage: scripts/sanitize-shim.sh [OUTDIR]
#   KOFN_SOCKET=/path  use the token service listening there; otherwise one is started with
#                      test/helpers/token-service.ts (needs `npx tsc -b` first).
#   SHIM_STRESS="THREADS ROUNDS FORKS"   load (default "8 100 4").
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
out="${1:-$(mktemp -d "${TMPDIR:-/tmp}/kofn-sanitize-XXXXXX")}"
mkdir -p "$out"
read -r threads rounds forks <<<"${SHIM_STRESS:-8 100 4}"

srcs=(native/src/pkcs11/shim.c native/src/pkcs11/marshal.c native/src/pkcs11/transport.c native/src/pkcs11/calls.gen.c)
common=(-std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wpedantic -Werror -Wno-unused-parameter
  -Inative/include -Inative/src/pkcs11)

build() {
  local flavour=$1
  shift
  mkdir -p "$out/$flavour"
  cc "${common[@]}" "$@" -fPIC -shared -fvisibility=hidden \
    -Wl,--version-script=native/src/pkcs11/kofn-pkcs11.map "${srcs[@]}" -o "$out/$flavour/libkofn-pkcs11.so"
  cc "${common[@]}" "$@" -pthread native/test/shim-stress.c -o "$out/$flavour/shim-stress"
}

build asan -fsanitize=address,undefined -fno-sanitize-recover=undefined
build tsan -fsanitize=thread

service_pid=
cleanup() {
  if [[ -n "$service_pid" ]]; then
    # Closing its stdin stops the service, its cluster and removes its directory.
    eval "exec ${service_in}>&-"
    wait "$service_pid" || true
  fi
}
trap cleanup EXIT

if [[ -z "${KOFN_SOCKET:-}" ]]; then
  # A local cluster and token service; it stops when its stdin closes.
  coproc SERVICE {
    node --input-type=module -e "
      const { startTokenService } = await import('$root/dist/test/helpers/token-service.js');
      const s = await startTokenService();
      process.stdout.write(s.socket + '\n');
      process.stdin.resume();
      process.stdin.on('end', async () => { await s.close(); process.exit(0); });
    "
  }
  service_pid=$SERVICE_PID
  service_in=${SERVICE[1]}
  read -r KOFN_SOCKET <&"${SERVICE[0]}"
  export KOFN_SOCKET
fi
echo "token service at $KOFN_SOCKET"

# gcc 12's TSan maps its shadow at fixed addresses that recent kernels' mmap randomisation can
# collide with; running without address randomisation avoids that.
norandom=()
if setarch "$(uname -m)" -R true 2>/dev/null; then norandom=(setarch "$(uname -m)" -R); fi

status=0
run() {
  local flavour=$1
  shift
  echo "== $flavour: $threads threads x $rounds rounds, $forks forks"
  if ! "$@" "$out/$flavour/shim-stress" "$out/$flavour/libkofn-pkcs11.so" stress "$threads" "$rounds" "$forks"; then
    status=1
  fi
  if ! "$@" "$out/$flavour/shim-stress" "$out/$flavour/libkofn-pkcs11.so" init-checks; then
    status=1
  fi
  if compgen -G "$out/$flavour/report*" >/dev/null; then
    cat "$out/$flavour"/report*
    status=1
  fi
}

ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:log_path=$out/asan/report" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$out/asan/report" \
  run asan env
# report_thread_leaks=0: a child forked while the stress program's workers run inherits those
# threads unjoined (a worker that has finished before the fork is "leaked" when the child exits, and
# TSan then exits the child with 66). The shim starts no thread of its own; races are still reported.
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:report_thread_leaks=0:log_path=$out/tsan/report" \
  run tsan "${norandom[@]}"

if [[ $status -eq 0 ]]; then echo "no sanitizer reports ($out)"; else echo "sanitizer reports or failures above ($out)" >&2; fi
exit $status
