#!/bin/sh
# Rewrites the expected stderr and exit code of every specs/*.case from the binary's current
# behaviour. For when a message changes on purpose (a plugin added to a "known:" list): run it,
# then read `git diff Tests/EndToEndTests/Fixtures` line by line before committing.
#   Tests/EndToEndTests/Fixtures/update-expected.sh [path/to/bp-pipeline]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
binary=$(cd "$here/../../.." && pwd)/.build/debug/bp-pipeline
binary=$(realpath "${1:-$binary}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$here/specs/." "$work/"
for case in "$here"/specs/*.case; do
    name=$(basename "$case" .case)
    spec="$name.yaml"
    args=""
    header=$(sed '/^stderr:$/q' "$case" | grep -v '^stderr:$')
    if printf '%s\n' "$header" | grep -q '^spec:'; then spec=$(printf '%s\n' "$header" | sed -n 's/^spec: *//p'); fi
    if printf '%s\n' "$header" | grep -q '^args:'; then args=$(printf '%s\n' "$header" | sed -n 's/^args: *//p'); fi
    eval "set -- $spec $args"
    status=0
    (cd "$work" && "$binary" "$@" >/dev/null 2>"$work/.stderr") || status=$?
    { printf '%s\n' "$header" | grep -v '^exit:'; echo "exit: $status"; echo "stderr:"; cat "$work/.stderr"; } > "$case.new"
    # Keep the field order: note, spec, args, then exit.
    mv "$case.new" "$case"
done
