#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds the fuzz harnesses with clang and the
# project with warnings as errors (also with ASan + UBSan), runs the unit and black-box tests
# under the sanitizers, the unit tests of a minimal-codec build, then every unit, black-box and
# bounded fuzz test with CTest. The last line is CTest's summary.
#   LWM2M_FUZZ_SECONDS=N   seconds per fuzz harness (default 5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
"$root/scripts/install-deps.sh"

fuzz_dir="$root/build/fuzz"
fuzz_args=()
if command -v clang >/dev/null 2>&1; then
  CC=clang cmake -S "$root" -B "$fuzz_dir" -DLWM2M_FUZZ=ON -DLWM2M_WERROR=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
  cmake --build "$fuzz_dir" -j "$jobs" >/dev/null
  fuzz_args=(-DLWM2M_FUZZ_BIN_DIR="$fuzz_dir" -DLWM2M_FUZZ_SECONDS="${LWM2M_FUZZ_SECONDS:-5}")
else
  echo "test.sh: clang not found, fuzz harnesses not run" >&2
fi

# Unit and black-box tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan_dir="$root/build/asan"
cmake -S "$root" -B "$asan_dir" -DLWM2M_WERROR=ON -DLWM2M_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
  >/dev/null
cmake --build "$asan_dir" -j "$jobs" >/dev/null
echo "== the same tests under ASan + UBSan:"
(cd "$asan_dir" && ctest --output-on-failure -j "$jobs" | tail -n 3)

# A device build with the fewest codecs (-DLWM2M_CODECS=tlv; text, opaque and link format are
# always in): the library, the footprint client, and the unit tests CMake keeps for it.
min_dir="$root/build/minimal"
cmake -S "$root" -B "$min_dir" -DLWM2M_WERROR=ON -DLWM2M_CODECS=tlv >/dev/null
mapfile -t min_tests < <(cd "$min_dir" && ctest -N | sed -n 's/.*Test *#[0-9]*: unit\.//p')
cmake --build "$min_dir" -j "$jobs" --target lwm2m lwm2m-min-client-tlv "${min_tests[@]}" >/dev/null
echo "== minimal build (LWM2M_CODECS=tlv): ${min_tests[*]}"
"$min_dir/bench/lwm2m-min-client-tlv" >/dev/null
(cd "$min_dir" && ctest --output-on-failure -j "$jobs" | tail -n 3)

cmake -S "$root" -B "$root/build" -DLWM2M_WERROR=ON "${fuzz_args[@]}" >/dev/null
cmake --build "$root/build" -j "$jobs" >/dev/null
cd "$root/build"
ctest --output-on-failure -j "$jobs"
