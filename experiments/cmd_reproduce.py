"""``bitplane reproduce PAPER --out DIR``: paper reproductions from their published configurations.

Each paper is a module of :mod:`experiments.papers` with ``reproduce(out_dir) -> list[Path]``
that writes its CSV, plots and a markdown summary of our figures next to the paper's. A module
with named configurations lists them in ``PROFILES``; ``--profile NAME`` picks one and is
passed on as ``reproduce(out_dir, profile=NAME)``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from .errors import UserError
from .options import out_dir

# Paper name on the command line -> module under experiments.papers.
PAPERS: dict[str, str] = {
    "bitmod": "experiments.papers.bitmod",
    "int-vs-fp": "experiments.papers.int_vs_fp",
    "duplex": "experiments.papers.duplex",
    "lutllm": "experiments.papers.lutllm",
    "gemm-validation": "experiments.papers.gemm_validation",
}


def _profile_kwargs(module, paper: str, profile: str | None) -> dict:
    if profile is None:
        return {}
    allowed = sorted(getattr(module, "PROFILES", {}))
    if not allowed:
        raise UserError(f"--profile: {paper} has no profiles (got {profile!r})")
    if profile not in allowed:
        raise UserError(f"--profile for {paper} must be one of {', '.join(allowed)}, not {profile!r}")
    return {"profile": profile}


def cmd_reproduce(args) -> int:
    module = importlib.import_module(PAPERS[args.paper])
    kwargs = _profile_kwargs(module, args.paper, args.profile)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create {args.out}: {exc.strerror}") from None
    print(f"reproducing {args.paper} into {args.out} (this can take a minute or two) ...", flush=True)
    for path in module.reproduce(args.out, **kwargs):
        print(f"wrote {path}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("reproduce", help="reproduce a paper's headline results")
    p.add_argument("paper", choices=sorted(PAPERS))
    p.add_argument("--out", type=out_dir, default=Path("bitplane-results"), help="output folder")
    p.add_argument("--profile", default=None,
                   help="a named configuration of the paper (bitmod: simulator, paper-figure; duplex: "
                        "azure-conv, uniform, calibrated; lutllm: calibrated, roofline)")
    p.set_defaults(func=cmd_reproduce)
