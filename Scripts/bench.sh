#!/usr/bin/env bash
# Prints speed and memory figures for a release build (a benchmark, not a test: nothing here
# passes or fails). Usage: Scripts/bench.sh [--full]   (--full also trains all of Fashion-MNIST)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --scratch-path .build-bench >/dev/null
bin=.build-bench/release/bp-pipeline
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# wall seconds and peak resident MiB of one command, via GNU time's -f when present.
measure() {
    local label=$1; shift
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "%e %M" -o "$out/.time" "$@" >/dev/null 2>"$out/.err" || { cat "$out/.err" >&2; return 1; }
        read -r wall rss < "$out/.time"
        printf '%-58s %8.2f s %8.0f MiB\n' "$label" "$wall" "$((rss / 1024))"
    else
        local start=$(date +%s.%N)
        "$@" >/dev/null 2>"$out/.err" || { cat "$out/.err" >&2; return 1; }
        printf '%-58s %8.2f s\n' "$label" "$(echo "$(date +%s.%N) - $start" | bc)"
    fi
}

core=$(OPENBLAS_VERBOSE=2 "$bin" validate Pipelines/seed.yaml 2>&1 | sed -n 's/^Core: //p' | head -1)
echo "OpenBLAS core: ${core:-unknown} (threads: ${OPENBLAS_NUM_THREADS:-1})"
measure "seed.yaml: 10000 full-batch epochs + 2 charts" "$bin" Pipelines/seed.yaml --out "$out/seed" --quiet
measure "spiral.yaml: 600 epochs, decision boundary 200x200" "$bin" Pipelines/spiral.yaml --out "$out/spiral" --quiet
measure "digits.yaml" "$bin" Pipelines/digits.yaml --out "$out/digits" --quiet
if [ -d /usr/share/datasets/fashion-mnist ]; then
    measure "fashion-mnist: load 60000 + 10000 images (validate)" "$bin" validate Pipelines/fashion-mnist.yaml
    measure "fashion-mnist: 1 epoch of 60000, batch 128, + test" "$bin" Pipelines/fashion-mnist.yaml \
        --out "$out/fm1" --set training.epochs=1 --quiet
    if [ "${1:-}" = "--full" ]; then
        measure "fashion-mnist: all 15 epochs" "$bin" Pipelines/fashion-mnist.yaml --out "$out/fm" --quiet
        grep -E '"test_accuracy"' "$out/fm/metrics.json"
    fi
fi
