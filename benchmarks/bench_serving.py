"""Speed of the continuous-batching serving simulation (issue 5).

    python -m benchmarks.bench_serving [--requests 1000]      (from the repository root)

The Duplex serving simulation of Mixtral-8x7B on two Duplex devices: ``--requests`` requests
arriving as a seeded Poisson process (20 requests/s), prompts of 256-1024 and outputs of
64-512 tokens, continuous batching up to 128 requests. Timed once with expected-value MoE
routing and once with sampled routing (every token of every MoE layer picks its experts).
Target: 1,000 requests in under 60 s.
"""

from __future__ import annotations

import argparse
import time

from arch.hbm import load_hbm_device
from sim.pim import System
from sim.serving import ServingConfig, poisson_requests, simulate_serving

TARGET_S = 60.0


def bench(requests: int, routing: str) -> None:
    workload = poisson_requests(requests, rate_per_s=20.0, prompt_tokens=(256, 1024), output_tokens=(64, 512),
                                seed=0)
    system = System(load_hbm_device("duplex"), devices=2)
    start = time.perf_counter()
    result = simulate_serving("mixtral-8x7b", system, workload, ServingConfig(max_batch=128, routing=routing))
    seconds = time.perf_counter() - start
    print(f"{requests} requests on Mixtral-8x7B, 2 x duplex, {routing} routing: {seconds:.2f} s "
          f"({len(result.iterations)} iterations, {result.tokens_emitted} tokens, "
          f"{result.throughput_tok_s:,.0f} tok/s simulated; target < {TARGET_S:.0f} s -> "
          f"{'ok' if seconds < TARGET_S else 'MISSED'})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args(argv)
    for routing in ("expected", "sampled"):
        bench(args.requests, routing)


if __name__ == "__main__":
    main()
