"""Continuous batching as an event-driven (simpy) serving simulation, on Duplex-style devices.

    >>> from arch.hbm import load_hbm_device
    >>> from sim.pim import System
    >>> requests = poisson_requests(8, rate_per_s=50.0, prompt_tokens=64, output_tokens=4, seed=1)
    >>> result = simulate_serving("mixtral-8x7b", System(load_hbm_device("duplex"), 2), requests)
    >>> result.output_tokens, result.tokens_emitted, len(result.finish_ns)
    (32, 32, 8)

Time is an integer count of nanoseconds. An arrival process wakes the engine when a request
arrives while it is idle; the engine runs iterations back to back. At the start of every
iteration it admits waiting requests in order of (arrival tick, request id) while the batch
holds fewer than ``max_batch`` requests, their KV cache (prompt + all output tokens,
reserved on admission as vLLM does) fits in the memory the weights leave free, and the
prompts admitted so far stay within ``max_prefill_tokens`` (one prompt is always admitted
when nothing else is prefilling). A request longer than the model's ``max_context`` (prompt
plus output) is refused before the run. An iteration prefills the admitted prompts (each emits its
first token) and decodes one token for every running request; its duration is the device
model's (:func:`sim.iteration.iteration_cost`) rounded up to a whole nanosecond. A request leaves
when it has emitted ``output_tokens`` tokens. Arrivals at the tick an iteration ends are
admitted into the next one; the result is a function of the inputs and the seed alone.

Metrics: throughput = output tokens / makespan (first arrival to last finish); time between
tokens = the gaps between a request's consecutive tokens (median and p99 over all gaps);
end-to-end latency = finish - arrival; energy per output token by component: dynamic (the
actions of every iteration) plus static (the devices' load-independent power,
:attr:`arch.hbm.HbmDevice.static_power_w`, times the makespan, on every device).
"""

from __future__ import annotations

import csv
import math
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import simpy

from arch.config import ConfigError, read_user_file
from arch.workloads import ModelConfig, format_bits, load_model

from .energy import energy_by_component
from .iteration import Batch, pricer
from .pim import TOTALS, System, actions_of

__all__ = ["Iteration", "Request", "ServingConfig", "ServingResult", "load_trace", "poisson_requests",
           "simulate_serving"]

NS_PER_S = 1_000_000_000
FP16_BYTES = format_bits("fp16") / 8  # weights and KV cache, as the iterations are priced


@dataclass(frozen=True)
class Request:
    """One request: it arrives at ``arrival_ns`` with a prompt and wants ``output_tokens``."""

    id: int
    arrival_ns: int
    prompt_tokens: int
    output_tokens: int

    def __post_init__(self):
        for name in ("arrival_ns", "prompt_tokens", "output_tokens"):
            value = getattr(self, name)
            ok = isinstance(value, int | np.integer) and value >= (0 if name == "arrival_ns" else 1)
            if not ok:
                kind = "non-negative" if name == "arrival_ns" else "positive"
                raise ValueError(f"request {self.id}: {name} must be a {kind} integer, not {value!r}")


@dataclass(frozen=True)
class ServingConfig:
    """Scheduler settings. ``routing``: ``expected`` (expected-value MoE routing) or
    ``sampled`` (each token picks its experts with a generator seeded by ``seed``)."""

    max_batch: int = 64
    max_prefill_tokens: int = 8192
    routing: str = "expected"
    seed: int = 0

    def __post_init__(self):
        for name in ("max_batch", "max_prefill_tokens"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value > 0):
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if self.routing not in ("expected", "sampled"):
            raise ValueError(f"routing must be one of expected, sampled, not {self.routing!r}")


@dataclass(frozen=True)
class Iteration:
    """One forward pass: when it started, how long it took, what it carried."""

    start_ns: int
    duration_ns: int
    prefill_requests: int
    prefill_tokens: int
    decode_tokens: int


@dataclass(frozen=True)
class ServingResult:
    """What one serving run did; per-request tuples are in request-id order."""

    system: str
    model: str
    devices: int
    config: ServingConfig
    iterations: tuple[Iteration, ...]
    arrival_ns: tuple[int, ...]
    first_token_ns: tuple[int, ...]
    finish_ns: tuple[int, ...]
    output_tokens: int  # asked for, summed over requests
    tokens_emitted: int  # counted as the simulation emitted them
    tbt_median_ns: float
    tbt_p99_ns: float
    actions: dict[str, float] = field(default_factory=dict)
    energy_pj: dict[str, float] = field(default_factory=dict)  # dynamic
    static_energy_pj: dict[str, float] = field(default_factory=dict)

    @property
    def makespan_ns(self) -> int:
        return max(self.finish_ns) - min(self.arrival_ns)

    @property
    def throughput_tok_s(self) -> float:
        return self.output_tokens * NS_PER_S / self.makespan_ns

    @property
    def latency_ns(self) -> np.ndarray:
        return np.subtract(self.finish_ns, self.arrival_ns)

    @property
    def dynamic_energy_per_token_j(self) -> float:
        return sum(self.energy_pj.values()) * 1e-12 / self.output_tokens

    @property
    def static_energy_per_token_j(self) -> float:
        return sum(self.static_energy_pj.values()) * 1e-12 / self.output_tokens

    @property
    def energy_per_token_j(self) -> float:
        """Dynamic plus static energy per output token."""
        return self.dynamic_energy_per_token_j + self.static_energy_per_token_j

    def energy_per_token_by_component_j(self) -> dict[str, float]:
        both = self.energy_pj | self.static_energy_pj
        return {c: e * 1e-12 / self.output_tokens for c, e in sorted(both.items())}


# --- requests ------------------------------------------------------------------------------

def _draw(rng: np.random.Generator, spec, count: int) -> np.ndarray:
    """``spec`` is a token count or an inclusive (low, high) range drawn uniformly."""
    if isinstance(spec, int):
        return np.full(count, spec)
    low, high = spec
    return rng.integers(low, high + 1, count)


def poisson_requests(count: int, rate_per_s: float | None, prompt_tokens, output_tokens,
                     seed: int = 0) -> tuple[Request, ...]:
    """``count`` requests with exponential gaps at ``rate_per_s`` (all at 0 when None); token
    counts fixed or drawn uniformly from inclusive (low, high) ranges, all from ``seed``."""
    rng = np.random.default_rng(seed)
    if rate_per_s is None:
        arrivals = np.zeros(count, dtype=np.int64)
    else:
        arrivals = np.floor(np.cumsum(rng.exponential(1.0 / rate_per_s, count)) * NS_PER_S).astype(np.int64)
    prompts, outputs = _draw(rng, prompt_tokens, count), _draw(rng, output_tokens, count)
    rows = zip(arrivals, prompts, outputs, strict=True)
    return tuple(Request(i, int(a), int(p), int(o)) for i, (a, p, o) in enumerate(rows))


def _trace_rows(path: str | Path) -> list[tuple[float, int, int]]:
    """Rows of a trace CSV read through the one user-file loader (``#`` lines are comments);
    a bad row is one ConfigError line."""
    text = read_user_file(path, "trace CSV")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("#")]
    reader = csv.DictReader(lines)
    rows = []
    try:
        for r in reader:
            row = (float(r["arrival_s"]), int(r["prompt_tokens"]), int(r["output_tokens"]))
            if not (math.isfinite(row[0]) and row[0] >= 0 and min(row[1:]) > 0):
                raise ValueError(f"arrival_s must be >= 0 and token counts positive, not {row}")
            rows.append(row)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}:{reader.line_num}: trace rows need arrival_s, prompt_tokens and "
                          f"output_tokens: {exc}") from None
    return rows


def load_trace(source) -> tuple[Request, ...]:
    """Requests from rows of (arrival_s, prompt_tokens, output_tokens): a list of tuples, or a
    CSV file with those three columns (header names as given here; ``#`` lines are comments)."""
    rows = _trace_rows(source) if isinstance(source, str | Path) else list(source)
    return tuple(Request(i, round(float(a) * NS_PER_S), int(p), int(o)) for i, (a, p, o) in enumerate(rows))


# --- the engine ----------------------------------------------------------------------------

@dataclass
class _Running:
    request: Request
    emitted: int = 0


class _Engine:
    """Mutable state of one run; :func:`simulate_serving` drives it with simpy processes."""

    def __init__(self, model: ModelConfig, system: System, requests, config: ServingConfig):
        self.model, self.system, self.config = model, system, config
        self.pending = deque(sorted(requests, key=lambda r: (r.arrival_ns, r.id)))
        self.waiting: deque[Request] = deque()
        self.running: list[_Running] = []
        self.kv_bytes_per_token = 2 * model.layers * model.kv_dim * FP16_BYTES
        self.kv_free = system.capacity_bytes - FP16_BYTES * model.params
        if self.kv_free <= 0:
            weights_gb = FP16_BYTES * model.params / 1e9
            raise ValueError(f"{model.name} ({weights_gb:.0f} GB of FP16 weights) does not fit in "
                             f"{system.devices} x {system.device.name} "
                             f"({system.capacity_bytes / 1e9:.0f} GB)")
        self.pricer = pricer(model, system)
        self.rng = np.random.default_rng(config.seed) if config.routing == "sampled" else None
        self.totals = np.zeros(len(TOTALS))
        self.iterations: list[Iteration] = []
        self.first: dict[int, int] = {}
        self.finish: dict[int, int] = {}
        self.last_token: dict[int, int] = {}
        self.gaps: list[int] = []
        self.emitted = 0
        self.wake: simpy.Event | None = None

    def _reserve(self, r: Request) -> float:
        return (r.prompt_tokens + r.output_tokens) * self.kv_bytes_per_token

    def arrive(self, now: int) -> None:
        while self.pending and self.pending[0].arrival_ns <= now:
            self.waiting.append(self.pending.popleft())

    def admit(self) -> list[_Running]:
        admitted, prompts = [], 0
        while self.waiting and len(self.running) + len(admitted) < self.config.max_batch:
            r = self.waiting[0]
            if self._reserve(r) > self.kv_free:
                if not self.running and not admitted:
                    raise ValueError(f"request {r.id} needs more KV cache than the devices hold")
                break
            if admitted and prompts + r.prompt_tokens > self.config.max_prefill_tokens:
                break
            self.waiting.popleft()
            self.kv_free -= self._reserve(r)
            prompts += r.prompt_tokens
            admitted.append(_Running(r))
        return admitted

    def step(self, now: int, admitted: list[_Running]) -> int:
        """Cost the iteration starting at ``now``; returns its duration in ns."""
        batch = Batch(tuple(a.request.prompt_tokens for a in admitted),
                      tuple(s.request.prompt_tokens + s.emitted for s in self.running))
        cost = self.pricer.cost(batch, self.rng)
        self.totals += cost.totals
        duration = max(1, math.ceil(cost.time_s * NS_PER_S))
        self.iterations.append(Iteration(now, duration, len(admitted), sum(batch.prefill_tokens),
                                         len(batch.decode_context)))
        return duration

    def emit(self, end: int, admitted: list[_Running]) -> None:
        """Every request of the iteration that ended at ``end`` emits one token."""
        for s in self.running:
            self.gaps.append(end - self.last_token[s.request.id])
        for a in admitted:
            self.first[a.request.id] = end
        self.running.extend(admitted)
        still = []
        for s in self.running:
            s.emitted += 1
            self.emitted += 1
            self.last_token[s.request.id] = end
            if s.emitted == s.request.output_tokens:
                self.finish[s.request.id] = end
                self.kv_free += self._reserve(s.request)
            else:
                still.append(s)
        self.running = still


def _arrivals(env: simpy.Environment, engine: _Engine):
    for tick in sorted({r.arrival_ns for r in engine.pending}):
        yield env.timeout(tick - env.now)
        if engine.wake is not None and not engine.wake.triggered:
            engine.wake.succeed()


def _serve(env: simpy.Environment, engine: _Engine, total: int):
    while len(engine.finish) < total:
        engine.arrive(int(env.now))
        admitted = engine.admit()
        if not admitted and not engine.running:
            engine.wake = env.event()
            yield engine.wake
            continue
        yield env.timeout(engine.step(int(env.now), admitted))
        engine.emit(int(env.now), admitted)


def simulate_serving(model: ModelConfig | str, system: System, requests, config: ServingConfig | None = None,
                     ) -> ServingResult:
    """Serve ``requests`` on ``system`` with continuous batching (module docstring)."""
    model = model if isinstance(model, ModelConfig) else load_model(model)
    config = config or ServingConfig()
    requests = tuple(requests)
    if not requests:
        raise ValueError("requests must not be empty")
    ids = [r.id for r in requests]
    if len(set(ids)) != len(ids):
        raise ValueError("request ids must be unique")
    longest = max(requests, key=lambda r: r.prompt_tokens + r.output_tokens)
    if longest.prompt_tokens + longest.output_tokens > model.max_context:
        raise ValueError(f"request {longest.id}: {longest.prompt_tokens} prompt + {longest.output_tokens} "
                         f"output tokens exceed the max_context of {model.name} ({model.max_context})")
    engine = _Engine(model, system, requests, config)
    env = simpy.Environment()
    env.process(_arrivals(env, engine))
    env.run(until=env.process(_serve(env, engine, len(requests))))
    return _result(model, system, requests, config, engine)


def _result(model, system, requests, config, engine: _Engine) -> ServingResult:
    order = sorted(r.id for r in requests)
    gaps = np.asarray(engine.gaps, dtype=float)
    tbt = (float(np.median(gaps)), float(np.percentile(gaps, 99))) if gaps.size else (0.0, 0.0)
    actions = actions_of(engine.totals, system.device)
    by_id = {r.id: r for r in requests}
    makespan_s = (max(engine.finish.values()) - min(r.arrival_ns for r in requests)) / NS_PER_S
    static = {c: w * system.devices * makespan_s * 1e12 for c, w in system.device.static_power_w.items()}
    return ServingResult(
        system.device.name, model.name, system.devices, config, tuple(engine.iterations),
        tuple(by_id[i].arrival_ns for i in order), tuple(engine.first[i] for i in order),
        tuple(engine.finish[i] for i in order), sum(r.output_tokens for r in requests), engine.emitted,
        tbt[0], tbt[1], actions, energy_by_component(actions, system.device.energy), static)
