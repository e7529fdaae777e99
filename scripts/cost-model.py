#!/usr/bin/env python3
"""Where the offer Function's instructions go: one command, after scripts/build-wasm.sh.

    python3 scripts/cost-model.py

Generates the benchmark input (tests/fixtures/generate.py `bench`) at a few sizes, measures each
through the Function host (`cargo run --release --example measure_input`, function-runner's
counts) and splits bench-typical, bench-large and bench-xl into parts by their marginal costs:
a base (one line, one campaign, a catalog of 4 variants), then per purchased line, per campaign
evaluated, per catalog variant in the input. The parts are fitted from separate runs, so the
residual line shows how far the model is from additive.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
import generate  # noqa: E402

BENCHES = {"bench-typical": (3, 20, 50), "bench-large": (200, 50, 200), "bench-xl": (500, 100, 500)}


def measure(inputs):
    """Instruction counts of each (name, input) through the host."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, doc in inputs:
            path = os.path.join(tmp, f"{name}.json")
            with open(path, "w") as f:
                json.dump(doc, f, separators=(",", ":"))
            paths.append(path)
        out = subprocess.run(
            ["cargo", "run", "--quiet", "--release", "--example", "measure_input", "--", *paths],
            cwd=ROOT, check=True, capture_output=True, text=True).stdout
    counts = {}
    for line in out.splitlines():
        m = re.match(r"(.*)\.json: (\d+) instructions, .* input (\d+) B, .*?: (.*)$", line)
        if m:
            counts[os.path.basename(m.group(1))] = (int(m.group(2)), int(m.group(3)), m.group(4))
    return counts


def main():
    sizes = {"base": (1, 1, 4), "lines": (101, 1, 4), "campaigns": (1, 41, 4), "catalog": (1, 1, 204)}
    sizes.update(BENCHES)
    runs = measure([(name, generate.bench(*size)) for name, size in sizes.items()])
    for name, (count, size, outcome) in runs.items():
        if outcome != "ok":
            print(f"{name}: {outcome}", file=sys.stderr)
    base = runs["base"][0]
    per_line = (runs["lines"][0] - base) / 100
    per_campaign = (runs["campaigns"][0] - base) / 40
    per_variant = (runs["catalog"][0] - base) / 200
    print(f"base (1 line, 1 campaign, 4 variants): {base:>12,}")
    print(f"per purchased line:                    {per_line:>12,.0f}")
    print(f"per campaign:                          {per_campaign:>12,.0f}")
    print(f"per catalog variant:                   {per_variant:>12,.0f}")
    print()
    print(f"{'':16}{'measured':>12}{'base':>12}{'lines':>12}{'campaigns':>12}{'catalog':>12}{'residual':>12}  input")
    for name, (lines, campaigns, variants) in BENCHES.items():
        count, size, outcome = runs[name]
        parts = [base, per_line * (lines - 1), per_campaign * (campaigns - 1),
                 per_variant * (variants - 4)]
        residual = count - sum(parts)
        cells = "".join(f"{p:>12,.0f}" for p in parts)
        print(f"{name:16}{count:>12,}{cells}{residual:>12,.0f}  {size:,} B {outcome}")


if __name__ == "__main__":
    main()
