"""Test-wide set-up: the SKY130 standard-cell files live in the shared data folder beside the
checkout (tests may read them there; the library itself never ships them)."""

import os
from pathlib import Path

_SHARED_SKY130 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "liberty"
if _SHARED_SKY130.is_dir():
    os.environ.setdefault("BITPLANE_SKY130_DIR", str(_SHARED_SKY130))
