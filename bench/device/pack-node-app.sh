#!/usr/bin/env bash
# Packs what `trt-diff run` needs on a machine without Node (the GPU machine): this checkout's dist/,
# package.json and build/Release/trt_diff_native.node, node_modules pruned to what `run` loads
# without images or dumps (onnxruntime-node for linux-x64 only, yargs and cli-table3 with their
# dependencies, protobuf), and a stripped copy of this machine's node. Run after `npx tsc -p
# tsconfig.json` (and the addon build), from the repository root:
#   bash bench/device/pack-node-app.sh OUT.tar.xz [extra files to put in the archive's extra/]
# The archive unpacks to appS/; bench/device/cpu-scaling.sh puts appS/bin first on PATH.
set -euo pipefail
out=$1; shift
root=$PWD
nm=$(readlink -f node_modules)
tmp=$(mktemp -d); A=$tmp/appS
mkdir -p "$A/bin" "$A/node_modules" "$A/build/Release" "$A/extra"
cp -r dist package.json "$A/"
cp build/Release/trt_diff_native.node "$A/build/Release/"
cp "$(readlink -f "$(command -v node)")" "$A/bin/node" && strip "$A/bin/node"
for m in onnxruntime-common yargs yargs-parser cliui escalade get-caller-file require-directory string-width \
         strip-ansi ansi-regex emoji-regex is-fullwidth-code-point get-east-asian-width wrap-ansi ansi-styles \
         y18n cli-table3 @colors @bufbuild onnx-buf; do
  [ -e "$nm/$m" ] && cp -r "$nm/$m" "$A/node_modules/"
done
o="$A/node_modules/onnxruntime-node"; mkdir -p "$o/bin/napi-v6/linux"
cp -r "$nm/onnxruntime-node/package.json" "$nm/onnxruntime-node/dist" "$nm/onnxruntime-node/lib" "$o/"
cp -r "$nm/onnxruntime-node/bin/napi-v6/linux/x64" "$o/bin/napi-v6/linux/"
for f in "$@"; do cp "$f" "$A/extra/"; done
du -sh "$A"
# xz: the device machine has xz (and python's lzma) but no zstd; 37 MB for 141 MB here (2026-12-07)
tar cf - -C "$tmp" appS | xz -9 -T2 > "$out"
ls -la "$out"
rm -rf "$tmp"
