"""Multi-objective search over a sweep spec with Optuna's NSGA-II, for spaces too big for a grid.

    bitplane search SPEC.yaml --trials 200 --out DIR

The search space is the spec's: a categorical choice of design (hardware family), then one
categorical per axis of that design (parameters are named ``<design>/<axis>`` so that each
family keeps its own choices). Each generation of ``population`` trials is asked for at
once, evaluated by the same executors as a sweep (process pool or Dask) and told back in
order, so a search is deterministic for a spec and seed. Every evaluated point goes to the
same crash-safe store (a point proposed twice is evaluated once); constraints become
NSGA-II's constraint values (feasible when all <= 0), failed or unsupported points are
failed trials. The answer is the Pareto set of the stored feasible points (``pareto.csv``).
"""

from __future__ import annotations

import math
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import optuna
from tqdm import tqdm

from .points import DesignPoint, make_point, supported
from .spec import OBJECTIVES, SweepSpec
from .store import ResultStore
from .sweep import SweepOutcome, finish, open_store, run_points

__all__ = ["run_search"]


@dataclass(frozen=True)
class _Space:
    spec: SweepSpec

    def designs(self) -> list[int]:
        return list(range(len(self.spec.designs)))

    def point(self, trial: optuna.trial.BaseTrial, seq: int) -> DesignPoint:
        design = trial.suggest_categorical("design", self.designs()) if len(self.spec.designs) > 1 else 0
        values = {axis: trial.suggest_categorical(f"{design}/{axis}", list(choices))
                  for axis, choices in self.spec.design_axes(design).items()}
        return make_point(self.spec, design, values, seq)


def _constraint_values(trial) -> list[float]:
    return trial.user_attrs.get("constraints", [])


_HAS_SET_CONSTRAINT = hasattr(optuna.trial.Trial, "set_constraint")  # optuna >= 5


def _sampler(spec: SweepSpec, population: int) -> optuna.samplers.NSGAIISampler:
    # optuna < 5 takes constraints through constraints_func (experimental there).
    legacy = _constraint_values if spec.constraints and not _HAS_SET_CONSTRAINT else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.NSGAIISampler(population_size=population, seed=spec.sampling.seed,
                                             constraints_func=legacy)


def _set_constraints(trial: optuna.Trial, spec: SweepSpec, row: dict) -> None:
    for c in spec.parsed_constraints:
        violation = c.violation(float(row[c.column]))
        violation = violation if math.isfinite(violation) else 1e300
        if _HAS_SET_CONSTRAINT:
            trial.set_constraint(str(c), violation)
    trial.set_user_attr("constraints", [c.violation(float(row[c.column])) for c in spec.parsed_constraints])


def _tell(study: optuna.Study, trial: optuna.Trial, spec: SweepSpec, store: ResultStore,
          point: DesignPoint | None) -> None:
    record = store.get(point.point_id) if point is not None else None
    if record is None or record.status != "ok":
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        return
    row = record.row
    values = [float(row[o]) for o in spec.objectives]
    if not all(math.isfinite(v) for v in values):
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        return
    if spec.constraints:
        _set_constraints(trial, spec, row)
    study.tell(trial, values)


def run_search(spec: SweepSpec, out_dir: Path, trials: int, *, population: int | None = None,
               jobs: int | None = None, dask: str | None = None, quiet: bool = False) -> SweepOutcome:
    """NSGA-II over ``spec`` for ``trials`` trials into ``out_dir`` (resumable, see module docstring)."""
    population = population or max(4, min(50, trials // 4 or 4))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=[OBJECTIVES[o] for o in spec.objectives],
                                sampler=_sampler(spec, population))
    space, skipped, evaluated = _Space(spec), 0, 0
    bar = tqdm(total=trials, desc="search", unit="trial", file=sys.stderr, disable=quiet or None,
               mininterval=0.5, dynamic_ncols=True)
    with open_store(out_dir, spec, kind="search") as store, bar:
        while len(study.trials) < trials:
            batch = [study.ask() for _ in range(min(population, trials - len(study.trials)))]
            points = []
            for trial in batch:
                point = space.point(trial, trial.number)
                if supported(point):
                    points.append(point)
                else:
                    skipped += 1
                    point = None
                trial.set_user_attr("point_id", point.point_id if point else "")
            evaluated += run_points(points, store, spec.qsnr, jobs=jobs, dask=dask, quiet=True,
                                    op_rows=spec.op_rows)
            by_id = {p.point_id: p for p in points}
            for trial in batch:
                _tell(study, trial, spec, store, by_id.get(trial.user_attrs["point_id"]))
            bar.update(len(batch))
        stored, failed, paths = finish(store, spec, out_dir, {"trials": trials, "population": population,
                                                              "skipped_unsupported": skipped})
    return SweepOutcome(Path(out_dir), stored, evaluated, skipped, failed, paths)
