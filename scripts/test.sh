#!/usr/bin/env bash
# The whole test suite: builds and tests the sanitizer build (ASan+UBSan,
# build-asan/) and the Release build (build/). Ends with ctest's summary line
# of the Release run; fails if either run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

build() { # dir, cmake options...
  local dir=$1; shift
  cmake -S . -B "$dir" "$@" >/dev/null && cmake --build "$dir" -j "$jobs" >/dev/null
}

status=0
echo "== sanitizer build (ASan+UBSan) =="
if build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSP_SANITIZE=ON; then
  (cd build-asan && ctest --output-on-failure -j "$jobs") || status=1
else
  echo "test.sh: sanitizer build failed" >&2; status=1
fi
echo "== release build =="
if build build -DCMAKE_BUILD_TYPE=Release; then
  (cd build && ctest --output-on-failure -j "$jobs") || status=1
else
  echo "test.sh: release build failed" >&2; status=1
fi
exit $status
