#!/usr/bin/env bash
# Runs the benchmarks of bench/README.md that this directory owns: codec throughput, the
# Bootstrap Server store at scale, and the client footprint.
#
#   bench/run_all.sh [--quick] [--json-dir DIR] [BUILD_DIR]
#
#   --quick         a smoke run in seconds (short timings, 20,000 store entries): checks that
#                   every program works, its numbers are not the README's
#   --json-dir DIR  write codec.json, store.json and footprint.json there instead of tables
#   BUILD_DIR       a configured CMake build (default $LWM2M_BIN_DIR or ./build); it is built
#
# The full run takes about a minute and 1 GB of disk under $TMPDIR (the store's file is
# removed at the end). Run it on an otherwise idle machine: both cores are used.
set -euo pipefail

quick=0
json_dir=""
build=""
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --json-dir)
        [ $# -ge 2 ] || {
            echo "run_all: --json-dir needs a directory" >&2
            exit 2
        }
        json_dir="$2"
        shift
        ;;
    -h | --help)
        sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "run_all: unknown option $1" >&2
        exit 2
        ;;
    *) build="$1" ;;
    esac
    shift
done
build="${build:-${LWM2M_BIN_DIR:-build}}"
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -f "$build/CMakeCache.txt" ]; then
    echo "run_all: $build is not a configured CMake build directory" >&2
    exit 2
fi
cache_value() {
    sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"
}
# Empty in the cache: the top-level CMakeLists.txt then picks RelWithDebInfo.
build_type="$(cache_value CMAKE_BUILD_TYPE)"
build_type="${build_type:-RelWithDebInfo}"
sanitize="$(cache_value LWM2M_SANITIZE)"
case "$build_type" in
Release | RelWithDebInfo) ;;
*) echo "run_all: warning: build type '$build_type': numbers are not comparable" >&2 ;;
esac
if [ "$sanitize" = "ON" ]; then
    echo "run_all: warning: sanitizer build: numbers are not comparable, no footprint" >&2
fi

cmake --build "$build" --target lwm2m-codec-bench lwm2m-store-bench >/dev/null

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [ "$quick" = 1 ]; then
    codec_args=(--seconds 0.02)
    store_args=(--count 20000 --sweep-count 2000 --lookups 10000)
else
    codec_args=()
    store_args=()
fi
if [ -n "$json_dir" ]; then
    mkdir -p "$json_dir"
fi

echo "== machine"
echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores"
echo "kernel: $(uname -sr)"
echo "compiler: $("$(cache_value CMAKE_C_COMPILER)" --version | head -1), build type $build_type"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

run() {
    local name="$1"
    shift
    echo "== $name"
    if [ -n "$json_dir" ]; then
        "$@" --json >"$json_dir/$name.json"
        echo "wrote $json_dir/$name.json"
    else
        "$@"
    fi
}

run codec "$build/bench/lwm2m-codec-bench" "${codec_args[@]}"
run store "$build/bench/lwm2m-store-bench" "${store_args[@]}" --path "$tmp/store.db"
if [ "$sanitize" != "ON" ]; then
    echo "== footprint"
    if [ -n "$json_dir" ]; then
        bash "$here/footprint.sh" --json "$build" >"$json_dir/footprint.json"
        echo "wrote $json_dir/footprint.json"
    else
        bash "$here/footprint.sh" "$build"
    fi
fi
echo "== done (load: $(cut -d' ' -f1-3 /proc/loadavg))"
