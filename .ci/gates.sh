#!/usr/bin/env bash
# Quality gates (issue #16), each one a check counted into CI's tests: line:
#   deps       dependency-cruiser: no import cycle (type-only included), library never imports cli/, no orphans
#   lint       biome, recommended rules (project exceptions in biome.json, with reasons)
#   package    publint --strict: main/types/exports point at what npm pack ships
#   cxx-format clang-format --dry-run -Werror over the C++ of native/, cuda/ headers and test/trt-standin (not .cu: clang-format 14 breaks <<<>>> launches)
#   dead-code  knip (knip.json): no unused file, dependency or export; --production too, so that code
#              only tests call fails (a unit-tested helper used in its own module is tagged @internal)
#   mutation   Stryker over the modules listed in stryker.config.json: total score and every file's
#              (.ci/mutation-files.mjs) at least 85%; incremental, from the committed
#              stryker-incremental.json, so only mutants whose code or covering tests changed run again
# Prints one line per gate, then "gates-total: P passed, F failed".
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0
gate() {
  local name=$1; shift
  if "$@" > "test-artifacts/gate-$name.log" 2>&1; then echo "gate $name: pass"; passed=$((passed + 1))
  else echo "gate $name: FAIL"; tail -20 "test-artifacts/gate-$name.log"; failed=$((failed + 1)); fi
}
mkdir -p test-artifacts
gate deps npx depcruise src --config .dependency-cruiser.cjs --output-type err
gate lint npx biome lint
gate package npx publint --strict
gate dead-code bash -c 'npx knip && npx knip --production'
if ! command -v clang-format >/dev/null 2>&1; then
  (apt-get install -y -qq clang-format || (apt-get update -qq && apt-get install -y -qq clang-format)) >/dev/null 2>&1
fi
cxx=$(git ls-files 'native/*.cpp' 'native/*.h' 'cuda/*.h' 'cuda/test/*.h' 'test/trt-standin/*.cpp' 'test/trt-standin/*.h' 'test/trt-standin/cuda/*.h')
gate cxx-format clang-format --dry-run --Werror $cxx
gate mutation bash -c 'npx stryker run && node .ci/mutation-files.mjs test-artifacts/mutation.json'
echo "gates-total: $passed passed, $failed failed"
