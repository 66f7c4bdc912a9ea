#!/usr/bin/env bash
# The whole test suite: builds and tests the sanitizer build (ASan+UBSan,
# build-asan/), the kernel tests again for the other ISA level (build-isa/:
# AVX2 on an AVX-512 machine, the portable path on any other), and the Release
# build (build/). Ends with ctest's summary line of the Release run; fails if
# any run fails.
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
# The other kernel paths this machine can run: x86-64-v3 (AVX2+FMA) where
# the build is AVX-512, plain x86-64 (GCC's portable vectors) elsewhere.
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then isa=x86-64-v3; else isa=x86-64; fi
echo "== kernel tests, ISA level $isa (ASan+UBSan) =="
if cmake -S . -B build-isa -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSP_SANITIZE=ON -DSP_ISA=$isa \
     >/dev/null && cmake --build build-isa -j "$jobs" --target kernel_tests >/dev/null; then
  (cd build-isa && ctest --output-on-failure -j "$jobs" -L kernels) || status=1
else
  echo "test.sh: $isa build failed" >&2; status=1
fi
echo "== release build =="
if build build -DCMAKE_BUILD_TYPE=Release; then
  (cd build && ctest --output-on-failure -j "$jobs") || status=1
else
  echo "test.sh: release build failed" >&2; status=1
fi
exit $status
