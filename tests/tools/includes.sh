#!/bin/bash
# The tools are clients of the public API: their sources include only
# public headers (include/peerscope/*.h) and their own tools/*.h (a tool
# in a folder of its own, tools/NAME/, also its own tools/NAME/*.h), never
# the library's private headers under src/ (reachable today because the
# build's include path has src/ in it). Usage: includes.sh SOURCE_ROOT
# shellcheck source=lib.sh
. "$PSC_TOOLS_TESTLIB"

ROOT=$1
bad=()
# every include as FILE:"NAME" or FILE:<NAME>
while IFS= read -r hit; do
    f=${hit%%:*}
    line=${hit#*:}
    name=${line:1:${#line}-2}
    case "$line" in
        '"'*)
            # quoted: a public header, or one of the tools' own
            if [[ $name == peerscope/* ]]; then
                [ -f "$ROOT/include/$name" ] || bad+=("$(basename "$f"): $name is not a public header")
            elif [ ! -f "$ROOT/tools/$name" ] && [ ! -f "$(dirname "$f")/$name" ]; then
                bad+=("$(basename "$f"): $name is neither public nor in tools/")
            fi
            ;;
        *)
            # <...> is for the system; a name that resolves under src/ is the library's own
            [ -e "$ROOT/src/$name" ] && bad+=("$(basename "$f"): <$name> is a private header of src/")
            ;;
    esac
done < <(grep -H -o '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"][^>"]*[>"]' "$ROOT"/tools/*.[ch] "$ROOT"/tools/*/*.[ch] |
    sed 's/:[[:space:]]*#[[:space:]]*include[[:space:]]*/:/')
n=$(ls "$ROOT"/tools/*.[ch] "$ROOT"/tools/*/*.[ch] | wc -l)
if [ ${#bad[@]} -eq 0 ]; then
    ok "the $n sources of tools/ include public headers and their own only"
else
    not_ok "tools/ includes only public headers and its own" "${bad[@]}"
fi
finish
