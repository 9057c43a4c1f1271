"""Speed of the LUT-LLM model (issue 5): one design point in under 10 ms.

    python -m benchmarks.bench_lut [--repeats 50]      (from the repository root)

A design point is what a sweep evaluates per configuration: the resource fit of the
design on its device and the end-to-end run of Qwen3-1.7B (a 128-token prefill and a
decode step at the mid-generation context, 256 output tokens), workload expansion included.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from arch.units.fpga_lut import load_lut_design
from benchmarks.bench_sim import best_of
from sim.lut import end_to_end


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    acc = load_lut_design("lutllm_v80")
    acc.fpga  # noqa: B018 - load the device file once, as a sweep over one device does
    variants = [replace(acc, units=u) for u in (8, 16, 24)]

    def point():
        for design in variants:
            design.fit()
            end_to_end(design, "qwen3-1.7b", 128, 256)

    seconds = best_of(args.repeats, point) / len(variants)
    run = end_to_end(acc, "qwen3-1.7b", 128, 256)
    print(f"LUT-LLM design point (fit + Qwen3-1.7B prefill 128 + 256 decode tokens): {seconds * 1e3:.2f} ms "
          f"(target < 10 ms); e2e latency {run.latency_s:.3f} s, {acc.fit().describe()}")


if __name__ == "__main__":
    main()
