"""Registry scale, end to end: ``synth``, ``validate`` and ``analyze`` of n patients.

Run: ``python benchmarks/bench_registry.py [n] [--engine ENGINE] [--format FORMAT] [--keep DIR]
[--skip analyze]``
(default n = 1000000, engine ``auto``, format ``auto``: ``synth`` writes Parquet above 100,000
patients, CSV below; ``--format csv`` or ``parquet`` forces one). Each command runs in its own
process under ``/usr/bin/time -v``; the script prints its wall time, CPU time (user + system:
less sensitive to a busy machine than wall time), peak resident memory (RSS: ``time -v``'s,
the largest of one process) and the peak memory of all its processes together (the sum of
their proportional set sizes, sampled every 0.25 s on Linux: ``analyze`` runs its analyses
in forked workers, ``--workers``, which share the cohort's memory), next to the issue's targets for n = 1e6 (validate <= 10 s / 1 GB, analyze <= 20 s /
1.5 GB, synth <= 10 s; for 10^7 patients, where ``auto`` reads the Parquet tables out of
core: validate and analyze under 4 GB). The protocol is ``sarcohort init``'s example pointed at the
synthetic tables. The machine is shared: compare figures taken on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"synth": (10.0, None), "validate": (10.0, 1.0), "analyze": (20.0, 1.5)}


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux's /proc)."""
    out = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    out += _tree(int(child))
    except OSError:
        pass
    return out


def _pss(pid: int) -> int:
    """The proportional set size of ``pid`` in bytes (0 when gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def timed(cmd: list[str]) -> tuple[float, float, float, float, int]:
    """Wall seconds, CPU seconds, peak RSS of one process (GB), peak memory of all the
    processes together (GB, NaN where /proc does not say) and exit code of ``cmd`` under
    ``/usr/bin/time -v``."""
    proc = subprocess.Popen(["/usr/bin/time", "-v", *cmd], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    peak = 0
    sampled = os.path.exists(f"/proc/{proc.pid}/smaps_rollup")
    while sampled and proc.poll() is None:
        peak = max(peak, sum(_pss(p) for p in _tree(proc.pid)))
        time.sleep(0.25)  # reading smaps_rollup costs a few ms a process: not every moment
    err = proc.communicate()[1]
    m = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", err)
    wall = (int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))) if m else float("nan")
    cpu = sum(float(c.group(1)) for c in re.finditer(r"(?:User|System) time \(seconds\): ([\d.]+)", err))
    r = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    rss = int(r.group(1)) / 1024**2 if r else float("nan")
    status = re.search(r"Exit status: (\d+)", err)
    code = int(status.group(1)) if status else proc.returncode
    if code not in (0, 1):
        print(err[-2000:], file=sys.stderr)
    return wall, cpu, rss, peak / 1024**3 if sampled else float("nan"), code


def protocol(folder: Path, patients: str, treatments: str, engine: str) -> Path:
    from sarcohort.protocol._options import example_protocol

    text = example_protocol().replace('patients = "patients.csv"', f'patients = "{patients}"')
    text = text.replace('treatments = "treatments.csv"', f'treatments = "{treatments}"')
    if engine != "auto":
        text = text.replace('date_format = "iso"', f'date_format = "iso"\nengine = "{engine}"', 1)
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--format", default="auto", choices=("auto", "csv", "parquet"),
                    help="what synth writes (auto: Parquet above 100,000 patients)")
    ap.add_argument("--keep", type=Path, help="keep the data and report in this folder")
    ap.add_argument("--skip", action="append", default=[], choices=("validate", "analyze"),
                    help="leave a command out")
    ap.add_argument("--workers", type=int, help="analyze --workers (default: its own choice)")
    args = ap.parse_args()
    exe = shutil.which("sarcohort") or "sarcohort"
    folder = args.keep or Path(tempfile.mkdtemp(prefix="sarcohort-registry-"))
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "cohort"
    rows = []
    rows.append(("synth", *timed([exe, "synth", "--n", str(args.n), "--out", str(data),
                                  "--format", args.format])))
    pat = next(p.name for p in sorted(data.iterdir()) if p.stem == "patients")
    trt = next(p.name for p in sorted(data.iterdir()) if p.stem == "treatments")
    study = protocol(data, pat, trt, args.engine)
    engine = [] if args.engine == "auto" else ["--engine", args.engine]
    if "validate" not in args.skip:
        rows.append(("validate", *timed([exe, "validate", str(data), "--protocol", str(study),
                                         *engine])))
    if "analyze" not in args.skip:
        rows.append(("analyze", *timed([exe, "analyze", str(study), "--out",
                                        str(folder / "report"), "--quiet", *engine,
                                        *(["--workers", str(args.workers)] if args.workers else [])])))
    print(f"n = {args.n} patients, engine = {args.engine}, data in {data} ({pat}, {trt})")
    print(f"{'command':10s} {'wall s':>8s} {'cpu s':>8s} {'peak GB':>8s} {'all GB':>8s} "
          f"{'exit':>5s}   target")
    for name, wall, cpu, rss, tree, code in rows:
        t, m = TARGETS[name]
        target = f"<= {t:g} s" + (f", <= {m:g} GB" if m else "")
        print(f"{name:10s} {wall:8.1f} {cpu:8.1f} {rss:8.2f} {tree:8.2f} {code:5d}   {target} "
              "(at n = 1e6)")
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
