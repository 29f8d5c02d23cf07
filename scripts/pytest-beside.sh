#!/usr/bin/env bash
# make test's pytest run, in two sessions at once: the real-node tests (marker realnode) in one,
# everything else in the other. Both mostly wait (stacks starting, outages, pod drains, alert
# and autoscaler bounds), so on two cores the pair ends well before the two one after the
# other would. The real node's session writes to test-artifacts/realnode.log, printed once it
# ends; either session failing fails the run. Ctrl-C stops both (the node's teardown runs).
#
# Usage: scripts/pytest-beside.sh RUNNER... -- PYTEST_ARGS...
#   RUNNER: how to run a program in the project's environment (uv run --locked --all-extras)
set -uo pipefail
cd "$(dirname "$0")/.."

runner=()
while [[ $# -gt 0 && $1 != "--" ]]; do runner+=("$1"); shift; done
[[ $# -gt 0 ]] && shift
if [[ ${#runner[@]} -eq 0 ]]; then
    echo "usage: $0 RUNNER... -- PYTEST_ARGS..." >&2
    exit 2
fi

# PYTEST_ARGS with a marker expression of their own: one session, as asked.
for arg in "$@"; do
    if [[ $arg == -m || $arg == -m* ]]; then exec "${runner[@]}" pytest "$@"; fi
done

mkdir -p test-artifacts
log=test-artifacts/realnode.log
# Both sessions take the same arguments and split by marker, so PYTEST_ARGS that name other
# tests leave the real node's session with none (pytest's exit code 5, counted as a pass).
# No cache plugin in the second session: two sessions would write .pytest_cache at once.
"${runner[@]}" pytest -m realnode -p no:cacheprovider "$@" >"$log" 2>&1 &
node=$!
stop_node() { kill -INT "$node" 2>/dev/null; wait "$node"; exit 130; }
trap stop_node INT TERM
echo "the real-node tests run beside these, in a session of their own (pid $node): $log"

"${runner[@]}" pytest -m "not realnode" "$@"
main=$?

if kill -0 "$node" 2>/dev/null; then
    echo "waiting for the real-node tests (pid $node); their latest lines:"
    tail -n 3 "$log"
fi
wait "$node"
realnode=$?
echo
echo "================ the real-node tests' session ($log) ================"
cat "$log"
echo "pytest exit codes: everything else $main, the real node $realnode"
# pytest's 5 means no test was selected: a PYTEST_ARGS that picks other tests only.
[[ $realnode -eq 5 ]] && realnode=0
[[ $main -eq 5 ]] && main=0
if [[ $main -ne 0 ]]; then exit "$main"; fi
exit "$realnode"
