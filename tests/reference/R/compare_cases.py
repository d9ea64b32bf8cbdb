"""Compare case JSONs written by make_cases.R with a reference set (a tool, not a test).

Usage: python tests/reference/R/compare_cases.py OUTDIR [REFDIR]

For every OUTDIR/values/*.json that also exists in REFDIR/values (default: tests/reference),
checks the same keys in the same order at every level, the same array lengths, equal strings,
null/"NaN"/"Inf" in the same places and numbers equal to a relative 1e-12; also compares the
regenerated CSVs byte for byte. Prints one line per case and exits 1 on any difference.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RTOL = 1e-12


def _walk(a: object, b: object, path: str, out: dict) -> None:
    if isinstance(a, dict):
        if not isinstance(b, dict) or list(a) != list(b):
            got = list(b) if isinstance(b, dict) else b
            out["errors"].append(f"{path}: keys {list(a)} vs {got!r}")
            return
        for k in a:
            _walk(a[k], b[k], f"{path}/{k}", out)
    elif isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            out["errors"].append(f"{path}: list length differs")
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(x, y, f"{path}[{i}]", out)
    elif isinstance(a, bool) or a is None or isinstance(a, str):
        if a != b or type(a) is not type(b):
            out["errors"].append(f"{path}: {a!r} vs {b!r}")
    elif isinstance(a, (int, float)):
        if isinstance(b, bool) or not isinstance(b, (int, float)):
            out["errors"].append(f"{path}: {a!r} vs {b!r}")
            return
        out["numbers"] += 1
        if a == b:
            out["exact"] += 1
            return
        rel = abs(a - b) / max(abs(a), abs(b))
        out["max_rel"] = max(out["max_rel"], rel)
        if rel > RTOL:
            out["errors"].append(f"{path}: {a!r} vs {b!r} (rel {rel:.3g})")
    else:
        out["errors"].append(f"{path}: unexpected {type(a).__name__}")


def main() -> int:
    new_dir = Path(sys.argv[1])
    ref_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parent.parent
    failed = 0
    for new in sorted((new_dir / "values").glob("*.json")):
        ref = ref_dir / "values" / new.name
        if not ref.exists():
            print(f"{new.stem:40s} (no reference file)")
            continue
        out = {"errors": [], "numbers": 0, "exact": 0, "max_rel": 0.0}
        _walk(json.loads(ref.read_text()), json.loads(new.read_text()), "", out)
        status = "OK " if not out["errors"] else "BAD"
        failed += bool(out["errors"])
        print(
            f"{status} {new.stem:40s} numbers {out['numbers']:6d}  bit-equal {out['exact']:6d}"
            f"  max rel diff {out['max_rel']:.2e}"
        )
        for e in out["errors"][:10]:
            print("     ", e)
    for new in sorted((new_dir / "data").glob("*.csv")):
        ref = ref_dir / "data" / new.name
        same = ref.exists() and ref.read_bytes() == new.read_bytes()
        failed += not same
        print(f"{'OK ' if same else 'BAD'} {new.name:40s} CSV byte-identical: {same}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
