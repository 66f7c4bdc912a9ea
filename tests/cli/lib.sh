# Shared by the CLI tests (sourced): the binary, a temp dir, check counters
# and the bad-input expectation every command shares.
# Usage in a test: source "$(dirname "$0")/lib.sh" "$@"; ...; finish NAME
set -u
bin=${1:?usage: $0 path/to/stackplan}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*" >&2
}

# on_pocl COMMAND [ARGS...]: runs a command that drives PoCL's OpenCL
# device; under the sanitizers without LeakSanitizer's exit-time check,
# whose tracer crashed stopping PoCL's worker threads ("Tracer caught
# signal 11", once in six runs of `bench --device`, once in a CI run of
# `tune --device`), losing the command's last output. The host paths keep
# the leak check.
on_pocl() {
  if [[ -n ${SP_SANITIZED:-} ]]; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"
  else
    "$@"
  fi
}

# expect_usage_error_of COMMAND [ARGS...]: exit code 2, exactly one line on
# stderr, nothing on stdout.
expect_usage_error_of() {
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$? lines
  lines=$(wc -l <"$tmp/err")
  if [[ $rc -eq 2 && $lines -eq 1 && ! -s $tmp/out ]]; then
    ok
  else
    fail "$*: exit $rc, $lines stderr lines, $(wc -c <"$tmp/out") stdout bytes"
  fi
}

# finish NAME: prints the count and sets the exit status.
finish() {
  echo "$1: $passed checks passed, $failed failed"
  [[ $failed -eq 0 && $passed -gt 0 ]]
}
