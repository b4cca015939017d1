#!/usr/bin/env bash
# Builds and runs one libFuzzer target for a number of seconds.
#
#   fuzz/run.sh TARGET SECONDS      e.g. fuzz/run.sh spec 600
#
# Targets are built with swiftc directly (SwiftPM cannot link -sanitize=fuzzer executables here):
# the harness fuzz/<Name>Fuzz.swift plus the sources it tests, C modules found through -I.
# Output lives in fuzz/out/ (git-ignored): the binary, a working corpus seeded from Pipelines/*.yaml
# and the test fixtures, and crash-* / timeout-* / oom-* files. Turn every crash into a test fixture.
set -euo pipefail

cd "$(dirname "$0")/.."
target="${1:?usage: fuzz/run.sh TARGET SECONDS (targets: spec)}"
seconds="${2:?usage: fuzz/run.sh TARGET SECONDS}"

case "$target" in
spec)
    harness=fuzz/SpecFuzz.swift
    sources=(Sources/PipelineSpec/*.swift)
    includes=(-I Sources/CYaml)
    seeds=(Pipelines Tests/EndToEndTests/Fixtures/specs fuzz/seeds)
    dictionary=fuzz/yaml.dict
    ;;
*)
    echo "unknown fuzz target '$target' (known: spec)" >&2
    exit 64
    ;;
esac

out="fuzz/out/$target"
mkdir -p "$out/corpus" "$out/artifacts"
binary="$out/$target-fuzz"

echo "building $binary" >&2
swiftc -O -sanitize=fuzzer,address -parse-as-library "${includes[@]}" \
    "${sources[@]}" "$harness" -o "$binary" 2>&1 | grep -v "Cannot export local symbol" >&2 || true
[ -x "$binary" ] || { echo "build failed" >&2; exit 1; }

# Seed the working corpus with every YAML file of the seed folders (recursively).
for folder in "${seeds[@]}"; do
    [ -d "$folder" ] || { echo "seed folder $folder is missing" >&2; exit 1; }
    find "$folder" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.txt' \) -exec cp {} "$out/corpus/" \;
done

options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192
         -artifact_prefix="$out/artifacts/" -print_final_stats=1)
[ -n "${dictionary:-}" ] && [ -f "$dictionary" ] && options+=(-dict="$dictionary")

exec "$binary" "${options[@]}" "$out/corpus"
