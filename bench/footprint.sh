#!/usr/bin/env bash
# Client footprint: text/data/bss of a minimal LwM2M client (bootstrap, registration, object
# model, TLV and text codecs, consistency check; no CoAP transport) built for size from the
# library's sources, and its heap after a bootstrap. See bench/CMakeLists.txt for the flags
# and bench/min_client.c for what the client does.
#
#   bench/footprint.sh [--json] [BUILD_DIR]      (BUILD_DIR: a configured CMake build, default
#                                                 $LWM2M_BIN_DIR or ./build)
#
# Reports two variants of the library, both with its own content-format dispatch
# (src/codec/codec.c) under the LWM2M_CODECS option: "all" (every codec, the default) and "tlv"
# (-DLWM2M_CODECS=tlv: TLV, text, opaque). Text is `size`'s text of the executable minus that
# of an empty program built the same way, and the library's own share (its objects' .text and
# .rodata in the linker map, driver excluded).
set -euo pipefail

json=0
build=""
for arg in "$@"; do
    case "$arg" in
    --json) json=1 ;;
    -h | --help)
        sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "footprint: unknown option $arg" >&2
        exit 2
        ;;
    *) build="$arg" ;;
    esac
done
build="${build:-${LWM2M_BIN_DIR:-build}}"
if [ ! -f "$build/CMakeCache.txt" ]; then
    echo "footprint: $build is not a configured CMake build directory" >&2
    exit 2
fi
if grep -q '^LWM2M_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
    echo "footprint: $build is a sanitizer build; use one without LWM2M_SANITIZE" >&2
    exit 2
fi
for tool in size nm python3; do
    command -v "$tool" >/dev/null || {
        echo "footprint: $tool not found" >&2
        exit 2
    }
done

cmake --build "$build" --target lwm2m-min-client-all lwm2m-min-client-tlv lwm2m-min-baseline \
    >/dev/null
bin="$build/bench"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for v in all tlv; do
    if ! "$bin/lwm2m-min-client-$v" >"$tmp/run-$v.txt" 2>&1; then
        echo "footprint: lwm2m-min-client-$v failed:" >&2
        cat "$tmp/run-$v.txt" >&2
        exit 1
    fi
done

# The same client for a Cortex-M4 (Thumb-2, newlib-nano), when Debian's gcc-arm-none-eabi and
# libnewlib-arm-none-eabi are installed: there the C library is linked in and counted.
arm=""
src="$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")"
if command -v arm-none-eabi-gcc >/dev/null && [ -f "$bin/objdefs_min.c" ] && [ -n "$src" ]; then
    arm="$tmp/arm"
    mkdir -p "$arm"
    # -D__int64_t_defined: Debian's toolchain pairs GCC's freestanding <stdint.h> with newlib's
    # <inttypes.h>, which then leaves PRId64 undefined.
    cflags=(-mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections -std=c11
        -D_POSIX_C_SOURCE=200809L -D__int64_t_defined=1 -I"$src/include" -I"$src/src"
        -I"$src/bench")
    lflags=(-mcpu=cortex-m4 -mthumb --specs=nano.specs --specs=nosys.specs -Xlinker --gc-sections)
    # No --wrap=malloc on newlib: the heap is measured on x86-64 only, the counter is off here.
    printf '%s\n' '#include "heap_count.h"' \
        'heap_stats heap_get(void) { heap_stats h = {0, 0, 0, 0}; return h; }' \
        'void heap_reset_peak(void) {}' >"$arm/heap_count_off.c"
    objs=()
    ok=1
    for f in "$src"/src/core/*.c "$src"/src/codec/*.c "$src"/src/model/*.c "$src"/src/client/*.c \
        "$bin/objdefs_min.c"; do
        case "$f" in */codec/codec.c | */model/ddf_xml.c) continue ;; esac # ddf_xml: <dirent.h>
        o="$arm/$(basename "$f" .c).o"
        arm-none-eabi-gcc "${cflags[@]}" -c "$f" -o "$o" || ok=0
        objs+=("$o")
    done
    # The codecs a variant leaves out are in the archive too, but nothing pulls them in.
    arm-none-eabi-ar rcs "$arm/libmin.a" "${objs[@]}" || ok=0
    for f in "$src/bench/min_client.c" "$src/bench/min_baseline.c" "$arm/heap_count_off.c"; do
        arm-none-eabi-gcc "${cflags[@]}" -c "$f" -o "$arm/$(basename "$f" .c).o" || ok=0
    done
    # The dispatch with each variant's LWM2M_CODEC_* definitions (bench/CMakeLists.txt).
    for v in all tlv; do
        read -r -a defs <"$bin/codecs_$v.defs" || ok=0
        arm-none-eabi-gcc "${cflags[@]}" "${defs[@]}" -c "$src/src/codec/codec.c" \
            -o "$arm/codec_$v.o" || ok=0
    done
    # -u _printf_float: the text codec writes floats with snprintf("%g"), which newlib-nano
    # leaves out by default (it would print nothing).
    arm-none-eabi-gcc "${lflags[@]}" "$arm/min_baseline.o" -o "$arm/baseline.elf" || ok=0
    for v in all tlv; do
        arm-none-eabi-gcc "${lflags[@]}" -u _printf_float "$arm/min_client.o" "$arm/heap_count_off.o" \
            "$arm/codec_$v.o" "$arm/libmin.a" -lm -o "$arm/$v.elf" -Wl,-Map="$arm/$v.map" || ok=0
    done
    if [ "$ok" != 1 ]; then
        echo "footprint: the Cortex-M4 build failed; reporting the host build only" >&2
        arm=""
    fi
fi

python3 - "$bin" "$tmp" "$json" "$arm" <<'EOF'
import collections, json, re, subprocess, sys

bin_dir, tmp, as_json, arm = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]

def size(exe):
    out = subprocess.run(["size", exe], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(x) for x in out.splitlines()[1].split()[:3])
    return {"text": text, "data": data, "bss": bss}

def map_objects(path):
    """Per input object: bytes of .text*/.rodata* (text) and .data*/.bss* kept in the output."""
    lines = open(path).read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    sums = collections.defaultdict(collections.Counter)
    pending = None
    for l in lines[start:]:
        m = re.match(r"^ (\.\S+)\s*$", l)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r"^ (\.\S+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$", l)
        if m:
            sec, n, obj = m.group(1), int(m.group(2), 16), m.group(3)
        else:
            m = re.match(r"^\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$", l)
            if not (m and pending):
                pending = None
                continue
            sec, n, obj = pending, int(m.group(1), 16), m.group(2)
        pending = None
        kind = ("text" if sec.startswith((".text", ".rodata")) else
                "data" if sec.startswith(".data") else
                "bss" if sec.startswith(".bss") else None)
        if kind:
            sums[obj][kind] += n
    return sums

def heap(run_file):
    h = {}
    for line in open(run_file):
        m = re.match(r"heap (.+?)\s+in_use\s+(\d+) B in\s+(\d+) blocks, peak\s+(\d+) B", line)
        if m:
            h[m.group(1).strip()] = {"in_use": int(m.group(2)), "blocks": int(m.group(3)),
                                     "peak": int(m.group(4))}
    return h

base = size(f"{bin_dir}/lwm2m-min-baseline")
result = {"baseline": base, "variants": {}}
for v in ("all", "tlv"):
    exe = f"{bin_dir}/lwm2m-min-client-{v}"
    s = size(exe)
    objs = map_objects(f"{exe}.map")
    lib = {re.sub(r".*\((.*)\.c\.o\)$", r"\1", o): c for o, c in objs.items()
           if "liblwm2m_min_" in o and sum(c.values()) > 0}
    # libc functions the library's linked objects call (the driver's printf left out).
    imports = {re.sub(r"@.*", "", x) for x in subprocess.run(
        ["nm", "-u", exe], capture_output=True, text=True, check=True).stdout.split()}
    members = subprocess.run(["nm", "-u", f"{bin_dir}/liblwm2m_min_{v}.a"], capture_output=True,
                             text=True, check=True).stdout
    wanted, member = set(), None
    for line in members.splitlines():
        m = re.match(r"^(\S+)\.c\.o:$", line)
        if m:
            member = m.group(1)
        elif line.strip().startswith("U ") and member in lib:
            wanted.add(line.split()[-1])
    libc = sorted(x for x in wanted if x in imports)
    result["variants"][v] = {
        "size": s,
        "delta": {k: s[k] - base[k] for k in s},
        "library_text": sum(c["text"] for c in lib.values()),
        "library_data": sum(c["data"] + c["bss"] for c in lib.values()),
        "objects": {k: c["text"] for k, c in sorted(lib.items(), key=lambda kv: -kv[1]["text"])},
        "libc_imports": libc,
        "heap": heap(f"{tmp}/run-{v}.txt"),
    }

if arm:
    def arm_size(elf):
        out = subprocess.run(["arm-none-eabi-size", elf], capture_output=True, text=True,
                             check=True).stdout
        text, data, bss = (int(x) for x in out.splitlines()[1].split()[:3])
        return {"text": text, "data": data, "bss": bss}
    abase = arm_size(f"{arm}/baseline.elf")
    result["cortex_m4"] = {"baseline": abase, "variants": {}}
    for v in ("all", "tlv"):
        s = arm_size(f"{arm}/{v}.elf")
        parts = collections.Counter()
        for obj, c in map_objects(f"{arm}/{v}.map").items():
            name = re.sub(r".*/", "", obj)
            part = ("library" if name.startswith("libmin.a(") or name.startswith("codec_")
                    else "driver" if name in ("min_client.o", "heap_count_off.o")
                    else "libc")
            parts[part] += c["text"]
        result["cortex_m4"]["variants"][v] = {
            "size": s, "delta": {k: s[k] - abase[k] for k in s},
            "library_text": parts["library"], "driver_text": parts["driver"],
            "libc_text": parts["libc"]}

if as_json:
    print(json.dumps(result))
    sys.exit(0)

kib = lambda n: f"{n / 1024:.1f} KiB"
print("client footprint (gcc -Os -ffunction-sections -fdata-sections -fno-unwind-tables, "
      "-Wl,--gc-sections, no PIE; libc dynamic, not counted)")
print(f"baseline empty program: text {base['text']} data {base['data']} bss {base['bss']}")
for v, label in (("all", "LWM2M_CODECS=all (every codec, the default)"),
                 ("tlv", "LWM2M_CODECS=tlv (TLV, text, opaque)")):
    r = result["variants"][v]
    d = r["delta"]
    print(f"\n[{v}] {label}")
    print(f"  size - baseline: text {d['text']} ({kib(d['text'])}), data {d['data']}, "
          f"bss {d['bss']}")
    print(f"  library objects only: text+rodata {r['library_text']} ({kib(r['library_text'])}),"
          f" data+bss {r['library_data']}")
    print("  by object: " + ", ".join(f"{k} {n}" for k, n in r["objects"].items()))
    h = r["heap"]
    for step in ("factory model", "after bootstrap", "after register"):
        if step in h:
            print(f"  heap {step}: {h[step]['in_use']} B in use in {h[step]['blocks']} blocks "
                  f"(peak during the step {h[step]['peak']} B)")
    print("  libc functions the library calls: " + " ".join(r["libc_imports"]))
if arm:
    print("\nCortex-M4 (arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os, newlib-nano with "
          "_printf_float, --gc-sections)")
    for v in ("all", "tlv"):
        r = result["cortex_m4"]["variants"][v]
        print(f"  [{v}] size - baseline: text {r['delta']['text']} ({kib(r['delta']['text'])}); "
              f"library {r['library_text']} ({kib(r['library_text'])}), "
              f"libc+libgcc {r['libc_text']}, driver {r['driver_text']}")
else:
    print("\n(no Cortex-M4 figures: install gcc-arm-none-eabi and libnewlib-arm-none-eabi)")
EOF
