#!/usr/bin/env bash
# Builds and runs a libFuzzer target for the data parsers for a number of seconds.
#
#   fuzz/run-data.sh csv|idx|model|predict SECONDS      e.g. fuzz/run-data.sh csv 600
#
# The data plugins live in the Pipeline module, which imports BackpropCore, PipelineSpec and
# Render. SwiftPM cannot link -sanitize=fuzzer executables here, so this script copies those four
# modules' sources into fuzz/out/data-src-TARGET with their cross-module imports removed and compiles
# them as one module with the harness (fuzz/CSVFuzz.swift, IDXFuzz.swift, ModelFuzz.swift or
# PredictFuzz.swift), the libpng shim as a C object beside it. The data harnesses drive the real
# plugin (spec text -> registry -> load()), the model one TrainedModel.load, the predict one
# Prediction.run with fixed models.
# Output lives in fuzz/out/ (git-ignored): binary, working corpus, crash-*/timeout-*/oom-* files.
# Turn every crash into a fixture under Tests/EndToEndTests/Fixtures/specs/data.
set -euo pipefail

cd "$(dirname "$0")/.."
target="${1:?usage: fuzz/run-data.sh csv|idx|model|predict SECONDS}"
seconds="${2:?usage: fuzz/run-data.sh csv|idx|model|predict SECONDS}"
case "$target" in
csv) harness=fuzz/CSVFuzz.swift; seeds=(fuzz/seeds-csv Tests/EndToEndTests/Fixtures/specs/data Data) ; pattern='*.csv*' ;;
idx) harness=fuzz/IDXFuzz.swift; seeds=(fuzz/seeds-idx) ; pattern='*' ;;
model) harness=fuzz/ModelFuzz.swift; seeds=(fuzz/seeds-model) ; pattern='*.json' ;;
predict) harness=fuzz/PredictFuzz.swift; seeds=(fuzz/seeds-predict) ; pattern='*' ;;
*) echo "unknown fuzz target '$target' (known: csv, idx, model, predict)" >&2; exit 64 ;;
esac

out="fuzz/out/$target"
src="fuzz/out/data-src-$target"
mkdir -p "$out/corpus" "$out/artifacts"
binary="$out/$target-fuzz"

rm -rf "$src"
mkdir -p "$src/swift" "$src/CPNGShim"
for module in PipelineSpec BackpropCore Render Pipeline; do
    find "Sources/$module" -name '*.swift' | while read -r file; do
        flat="$module-$(echo "${file#Sources/$module/}" | tr '/' '-')"
        # As one module, BackpropCore's float64 alias `Parameter` would clash with the Pipeline's
        # plugin `Parameter<Value>` (apart, each module sees its own); nothing in the Pipeline uses
        # the alias, so the flattened copy goes without it.
        grep -v -E '^(@testable )?import (PipelineSpec|BackpropCore|Render)$|^public typealias Parameter = ParameterOf<Double>$' \
            "$file" > "$src/swift/$flat"
    done
done
cp Sources/CPNGShim/include/pngshim.h "$src/CPNGShim/"
printf 'module CPNGShim {\n    header "pngshim.h"\n    export *\n}\n' > "$src/CPNGShim/module.modulemap"
clang -O1 -fsanitize=address -c Sources/CPNGShim/pngshim.c -I Sources/CPNGShim/include -o "$src/pngshim.o"

echo "building $binary" >&2
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name Pipeline \
    -I Sources/CYaml -I Sources/CBLAS -I Sources/CCairo -I Sources/CPNG -I Sources/CZlib -I Sources/CMPI -I "$src/CPNGShim" \
    $(pkg-config --cflags-only-I cairo openblas ompi-c | sed 's/-I/-Xcc -I/g') $(pkg-config --libs-only-L ompi-c) \
    "$src"/swift/*.swift "$harness" "$src/pngshim.o" \
    -lyaml -lopenblas -lcairo -lpng16 -lz -lmpi -o "$binary" 2>&1 | grep -v "Cannot export local symbol" >&2 || true
[ -x "$binary" ] || { echo "build failed" >&2; exit 1; }

for folder in "${seeds[@]}"; do
    [ -d "$folder" ] || { echo "seed folder $folder is missing" >&2; exit 1; }
    find "$folder" -type f -name "$pattern" -size -64k -exec cp {} "$out/corpus/" \;
done

exec "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=16384 \
    -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$out/corpus"
