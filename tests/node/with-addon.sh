#!/bin/sh
# Run a command (node ...) that loads the addon named by $PEERSCOPE_ADDON.
# An addon from a sanitizer build needs the sanitizer's runtime loaded
# before anything else: it is preloaded here, with leak detection off (the
# JS engine keeps its heap to the end, which is not ours to judge; the C
# tests check the library's leaks).
set -eu
preload=""
syms=$(nm -D --undefined-only "$PEERSCOPE_ADDON" 2>/dev/null || true)
cc=${CC:-cc}
case "$syms" in *__asan_init*)
  preload="$($cc -print-file-name=libasan.so)"
  export ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" ;;
esac
case "$syms" in *__ubsan_handle*)
  preload="$preload $($cc -print-file-name=libubsan.so)" ;;
esac
case "$syms" in *__tsan_init*)
  echo "with-addon.sh: an addon from a ThreadSanitizer build cannot be loaded into node" >&2
  exit 77 ;;
esac
if [ -n "$preload" ]; then
  LD_PRELOAD="$preload${LD_PRELOAD:+ $LD_PRELOAD}" exec "$@"
fi
exec "$@"
