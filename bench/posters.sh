#!/usr/bin/env bash
# Village posters benchmark (issue 12): one APBDes poster as PDF (A4 and
# A1), and all 430 villages' posters drawn, written as PDF and put in one
# ZIP. Release build; prints the figures docs/benchmarks.md records.
# Usage: bench/posters.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -p pendopo --example poster_bench
