#!/usr/bin/env bash
# CI step for the contract harness (called by .ci/run): for each TensorRT header set in ../shared/trt,
# builds the stand-in + the ASan/UBSan contract test and runs it, then builds the addon against the
# stand-in for the TypeScript harness tests. Prints per-set lines and one summary line:
#   contract-total: N passed, M failed, K skipped
# A failed build counts as one failed test; an absent header set as one skipped test (reason printed).
cd "$(dirname "$0")/../.."
mkdir -p test-artifacts
passed=0 failed=0 skipped=0
models=$(cd .. && pwd)/shared/data/yolov8n
for v in v10.0.1 v10.16 v11.1; do
  start=$SECONDS
  log=test-artifacts/contract-$v.log
  if [[ ! -f ../shared/trt/$v/include/NvInfer.h || ! -f $models/yolov8n_int8_qdq_entropy.onnx ]]; then
    echo "$v: skipped: ../shared/trt/$v/include or ../shared/data/yolov8n is absent (the harness needs the real TensorRT headers)"
    skipped=$((skipped + 1))
    continue
  fi
  if ! test/trt-standin/build.sh "$v" asan > "$log" 2>&1; then
    tail -20 "$log"; echo "$v: FAILED to build the stand-in / contract test"; failed=$((failed + 1)); continue
  fi
  scratch=$(mktemp -d)
  build-standin/$v-asan/trt_contract_test "$models" "$scratch" >> "$log" 2>&1
  rc=$?
  rm -rf "$scratch"
  line=$(grep -E '^contract: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
  if [[ -z $line ]]; then
    tail -20 "$log"; echo "$v: contract test crashed (rc $rc)"; failed=$((failed + 1)); continue
  fi
  p=$(sed -E 's/contract: ([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line")
  passed=$((passed + p)); failed=$((failed + f))
  [[ $f -gt 0 || $rc -ne 0 ]] && grep -E '^FAIL' "$log"
  [[ $rc -ne 0 && $f -eq 0 ]] && { echo "$v: contract test exited $rc (sanitizer report in $log)"; failed=$((failed + 1)); }
  if ! test/trt-standin/build.sh "$v" addon >> "$log" 2>&1; then
    tail -20 "$log"; echo "$v: FAILED to build the addon against the stand-in"; failed=$((failed + 1)); continue
  fi
  echo "$v: $line; addon build-standin/$v/Release/trt_diff_native.node ($((SECONDS - start)) s)"
done
echo "contract-total: $passed passed, $failed failed, $skipped skipped"
