#!/usr/bin/env python3
"""The side-by-side benchmark: bp-pipeline against reference implementations of the same
workloads, interleaved in one run, threads pinned to 1 and then to all cores.

    python3 Benchmarks/run.py [--repeats 3] [--workloads w1,w2,w3,load,seed,mpi] [--binary PATH] [--openblas-coretype K]

Builds a release bp-pipeline (scratch path .build-bench), the C loop (Benchmarks/.build) and a
virtual environment (Benchmarks/.venv: numpy, scikit-learn, threadpoolctl and torch from PyPI),
then runs every implementation R times in turn (A B C ... A B C ...) and prints one Markdown
table of medians: samples/s, ns/step or ms/epoch, bp-pipeline's speed over each peer's, peak
RSS (the child's ru_maxrss, from wait4). Progress goes to stderr, the tables to stdout.
The mpi workload runs W1 float32 data-parallel under Open MPI's mpirun with N = 1 and 2 ranks
of one thread each, beside a plain one-thread run, and adds a table of samples/s, the speed-up
over the plain run and the fraction of train_seconds spent in the gradient exchange.
A benchmark, not a test: nothing passes or fails, and the machine's other load shows up in
the figures (the interleaving keeps the ratios fair).
Standard library only; Python 3.9 or later.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VENV = os.path.join(HERE, ".venv")
BUILD = os.path.join(HERE, ".build")
FASHION = "/usr/share/datasets/fashion-mnist"
W2_STEPS = 1_000_000           # bp-pipeline and the C loop (the W2)
W2_PYTHON_STEPS = 100_000      # pure Python takes ~10 µs a step: the same per-step figure, 10x sooner
W3_EPOCHS = 100                # of W3's 1000: the same per-epoch figure in a tenth of the time
# Packages torch declares that its CPU use never loads: Triton compiles GPU kernels, cuda-bindings
# is a Python API. The CUDA runtime libraries stay: libtorch links them.
TORCH_SKIP = {"triton", "cuda-bindings"}


def log(message):
    print(message, file=sys.stderr, flush=True)


@dataclass
class Job:
    """One implementation of one workload at one thread count."""
    workload: str          # W1, W2, W3, seed
    implementation: str    # bp-pipeline, PyTorch, ...
    precision: str
    threads: int
    command: list
    env: dict
    unit: str              # samples/s (higher is better), ns/step or ms/epoch (lower is better)
    read: object           # (stdout, out folder) -> (figure, loss)
    out: str = ""          # bp-pipeline's --out folder, one per run
    writes: bool = True    # a bp-pipeline run that takes --out (validate does not)
    skip: str = ""         # why the job does not run (not installed, not supported)
    figures: list = field(default_factory=list)
    rss: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    error: str = ""

    @property
    def key(self):
        return (self.workload, self.precision, self.threads)


def run_quiet(command, env=None):
    """(exit status, stdout + stderr) of a short command; status 127 when it cannot start."""
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
        return done.returncode, done.stdout + done.stderr
    except OSError as error:
        return 127, str(error)


def build_binary():
    log("building bp-pipeline (release, .build-bench) ...")
    # Built as the README installs it: with the Swift runtime linked in (it starts faster).
    subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--scratch-path", ".build-bench",
                    "--product", "bp-pipeline"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, ".build-bench", "release", "bp-pipeline")


def build_c_loop():
    """Benchmarks/.build/w2 from w2.c with gcc -O2; None when no C compiler works."""
    os.makedirs(BUILD, exist_ok=True)
    binary = os.path.join(BUILD, "w2")
    status, output = run_quiet(["gcc", "-O2", "-o", binary, os.path.join(HERE, "w2.c"), "-lm"])
    if status != 0:
        log("C loop: gcc failed: " + output.strip())
        return None
    return binary


def python_environment():
    """The venv's python, creating the venv on first use and installing each package it lacks
    (so an install cut short is finished by the next run)."""
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        log("creating Benchmarks/.venv ...")
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    pip = [python, "-m", "pip", "install", "--quiet"]
    for module, package in [("numpy", "numpy"), ("sklearn", "scikit-learn"), ("threadpoolctl", "threadpoolctl")]:
        if not importable(python, module) and run_quiet(pip + [package])[0] != 0:
            log(f"pip could not install {package}")
    if not importable(python, "torch"):
        # The wheel alone, then its requirements less TORCH_SKIP (markers such as
        # platform_system == "Linux" are left for pip to judge).
        log("installing torch and the CUDA runtime libraries it links (about 2.7 GB) ...")
        if run_quiet(pip + ["--no-deps", "torch"])[0] == 0:
            _, requirements = run_quiet([python, "-c", "import importlib.metadata as m; print('\\n'.join(m.requires('torch') or []))"])
            keep = [r for r in requirements.splitlines()
                    if r.strip() and "extra ==" not in r and re.split(r"[\s\[<>=~!;]", r, 1)[0].lower() not in TORCH_SKIP]
            if run_quiet(pip + keep)[0] != 0:
                log("pip could not install torch's requirements")
        else:
            log("pip could not install torch")
    return python


def importable(python, module):
    return run_quiet([python, "-c", f"import {module}"])[0] == 0


# The OpenBLAS settings a machine's environment may carry; removed for every implementation.
MACHINE_BLAS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# --openblas-coretype: the kernel bp-pipeline runs with (None: its own choice, as on a machine
# whose environment sets none).
BP_CORETYPE = None


def without_machine_blas():
    """The environment without the machine's OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (a machine
    here sets Haswell, AVX2 kernels, on an AVX-512 CPU, where numpy's own OpenBLAS and Debian's
    pick their AVX-512 ones)."""
    return {k: v for k, v in os.environ.items() if k not in MACHINE_BLAS}


def bp_base_env():
    """bp-pipeline's environment: the peers' (`without_machine_blas`), with the kernel
    --openblas-coretype names, if any."""
    env = without_machine_blas()
    if BP_CORETYPE:
        env["OPENBLAS_CORETYPE"] = BP_CORETYPE
    return env


def peer_env(threads):
    """The environment of a Python or C peer: every BLAS and OpenMP pool pinned to `threads`, and
    OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed (set on some machines for Debian's older
    OpenBLAS, they slow numpy's own)."""
    env = without_machine_blas()
    env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def read_json_line(stdout):
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in the output")


def read_metrics(out):
    with open(os.path.join(out, "metrics.json")) as f:
        return json.load(f)


def run_once(job, scratch, index):
    """Runs the job once; appends its figure, loss and peak RSS or records the error."""
    command = list(job.command)
    if job.implementation.startswith("bp-pipeline") and job.writes:
        job.out = os.path.join(scratch, f"{job.workload}-{job.precision}-{job.threads}-{index}")
        command += ["--out", job.out, "--quiet"]
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(command, env=job.env, cwd=HERE, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait for it again
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read(), stderr.read()
    if process.returncode != 0:
        job.error = f"exit {process.returncode}: " + (err.strip().splitlines() or [""])[-1][:80]
        return
    try:
        figure, loss = job.read(out, job.out, wall)
    except (ValueError, KeyError, OSError) as error:
        job.error = f"unreadable result: {error}"
        return
    job.figures.append(figure)
    job.losses.append(loss)
    job.rss.append(usage.ru_maxrss / 1024)  # KiB on Linux
    if job.out:
        shutil.rmtree(job.out, ignore_errors=True)


# Readers: (stdout, bp-pipeline's out folder, wall seconds) -> (figure, loss).
def bp_samples(_, out, __):
    m = read_metrics(out)
    return m["samples_per_second"], m.get("last_epoch_loss")


def bp_samples_and_exchange(_, out, __):
    """samples/s, and in place of a loss the fraction of train_seconds spent in the exchanges."""
    m = read_metrics(out)
    return m["samples_per_second"], m.get("exchange_seconds", 0) / m["train_seconds"]


def mpi_table(jobs):
    """The data-parallel rows: samples/s, speed-up over the plain one-thread run, time in the exchange."""
    rows = [job for job in jobs if job.workload == "MPI W1"]
    if not rows:
        return ""
    plain = next((median(job.figures) for job in rows if job.implementation.endswith("plain") and job.figures), None)
    lines = ["| W1 float32, 1 thread per rank | samples/s (median) | speed-up over plain | time in the exchange |",
             "|---|---|---|---|"]
    for job in rows:
        if job.skip or not job.figures:
            lines.append(f"| {job.implementation} | {job.skip or job.error or 'no result'} | | |")
            continue
        figure = median(job.figures)
        speedup = "–" if plain is None else f"{figure / plain:.2f}×"
        lines.append(f"| {job.implementation} | {number(figure)} | {speedup} | {100 * median(job.losses):.1f} % |")
    return "\n".join(lines)


def bp_ns_per_step(_, out, __):
    m = read_metrics(out)
    return m["train_seconds"] / m["epochs"] * 1e9, m.get("final_loss")


def bp_ms_per_epoch(_, out, __):
    m = read_metrics(out)
    return m["train_seconds"] / m["epochs"] * 1e3, m.get("last_epoch_loss")


def whole_process_ms(_, __, wall):
    return wall * 1e3, None


def peer_samples(stdout, _, __):
    r = read_json_line(stdout)
    return r["samples_per_second"], r["loss"]


def peer_ns_per_step(stdout, _, __):
    r = read_json_line(stdout)
    return r["ns_per_step"], r["loss"]


def peer_ms_per_epoch(stdout, _, __):
    r = read_json_line(stdout)
    return r["train_seconds"] / r["epochs"] * 1e3, r["loss"]


def jobs_for(threads, binary, features, python, peers, c_loop, workloads):
    """Every job at one thread count, in the order they interleave."""
    bp_env = dict(bp_base_env(), OPENBLAS_NUM_THREADS=str(threads))
    pin = ["--threads", str(threads)] if features["threads"] else []

    def bp(*arguments):
        return [binary, *arguments, *pin]

    env = peer_env(threads)
    py = [python] if python else []
    jobs = []

    def peer(workload, name, module, script, precision, unit, read, extra=()):
        skip = "" if module in peers else "not installed"
        jobs.append(Job(workload, name, precision, threads, py + [script, "--workload", workload.lower(),
                        "--precision", precision, "--threads", str(threads), *extra], env, unit, read, skip=skip))

    if "w1" in workloads:
        no_data = "" if os.path.isdir(FASHION) else f"no {FASHION}"
        for precision in ["float64", "float32"]:
            override = [] if precision == "float64" else ["--set", "training.precision=float32"]
            skip = no_data or ("" if precision == "float64" or features["float32"] else "not supported by this build")
            jobs.append(Job("W1", "bp-pipeline", precision, threads, bp("w1.yaml", *override), bp_env,
                            "samples/s", bp_samples, skip=skip))
            peer("W1", "PyTorch", "torch", "torch_peer.py", precision, "samples/s", peer_samples)
            peer("W1", "numpy (hand-written)", "numpy", "numpy_peer.py", precision, "samples/s", peer_samples)
        peer("W1", "scikit-learn MLPClassifier", "sklearn", "sklearn_peer.py", "float64", "samples/s", peer_samples)
        for job in jobs:
            job.skip = job.skip or no_data
    if "w2" in workloads and threads == 1:
        jobs.append(Job("W2", "bp-pipeline", "float64", 1, bp("w2.yaml"), bp_env, "ns/step", bp_ns_per_step))
        jobs.append(Job("W2", "C loop (gcc -O2)", "float64", 1, [c_loop or "w2", str(W2_STEPS)], env, "ns/step",
                        peer_ns_per_step, skip="" if c_loop else "no C compiler"))
        jobs.append(Job("W2", f"pure Python ({W2_PYTHON_STEPS:,} steps)", "float64", 1,
                        [sys.executable, "w2_python.py", str(W2_PYTHON_STEPS)], env, "ns/step", peer_ns_per_step))
    if "w3" in workloads:
        epochs = ["--epochs", str(W3_EPOCHS)]
        jobs.append(Job("W3", "bp-pipeline", "float64", threads, bp("w3.yaml", "--set", f"training.epochs={W3_EPOCHS}"),
                        bp_env, "ms/epoch", bp_ms_per_epoch))
        peer("W3", "PyTorch", "torch", "torch_peer.py", "float64", "ms/epoch", peer_ms_per_epoch, epochs)
        peer("W3", "numpy (hand-written)", "numpy", "numpy_peer.py", "float64", "ms/epoch", peer_ms_per_epoch, epochs)
    if "load" in workloads and threads == 1:
        jobs.append(Job("load", "bp-pipeline validate w1.yaml, whole process", "float64", 1, [binary, "validate", "w1.yaml"],
                        bp_env, "ms", whole_process_ms, writes=False, skip="" if os.path.isdir(FASHION) else f"no {FASHION}"))
    if "mpi" in workloads and threads == 1:
        mpirun = shutil.which("mpirun")
        root = ["--allow-run-as-root"] if os.geteuid() == 0 else []
        skip = "" if os.path.isdir(FASHION) else f"no {FASHION}"
        for ranks in [0, 1, 2]:
            # ranks 0: the plain run (no mpirun, MPI never initialised), the speed-up's reference.
            name = "bp-pipeline, plain" if ranks == 0 else f"bp-pipeline, mpirun -np {ranks}"
            launch = [] if ranks == 0 else [mpirun or "mpirun", *root, "-q", "--bind-to", "core", "-np", str(ranks)]
            jobs.append(Job("MPI W1", name, "float32", 1,
                            launch + [binary, "w1.yaml", "--set", "training.precision=float32", "--threads", "1"],
                            bp_env, "samples/s", bp_samples_and_exchange,
                            skip=skip or ("" if ranks == 0 or mpirun else "no mpirun")))
    if "seed" in workloads:
        # In both rounds: with one thread, and with every core as `bp-pipeline Pipelines/seed.yaml`
        # runs by default (its outputs are then written on the cores at once).
        jobs.append(Job("seed", "bp-pipeline, whole process", "float64", threads,
                        bp(os.path.join(ROOT, "Pipelines", "seed.yaml")), bp_env, "ms", whole_process_ms))
    return jobs


def median(values):
    return statistics.median(values) if values else None


def bp_figure(jobs, job):
    """bp-pipeline's median for the same workload, precision and threads (None when missing)."""
    for other in jobs:
        if other.implementation.startswith("bp-pipeline") and other.key == job.key and other.figures:
            return median(other.figures)
    return None


def speed_ratio(unit, bp, peer):
    """bp-pipeline's speed over the peer's (> 1: bp-pipeline is faster)."""
    if bp is None or peer is None:
        return None
    return bp / peer if unit == "samples/s" else peer / bp


def number(x):
    if x is None:
        return "–"
    return f"{x:,.0f}" if x >= 100 else f"{x:,.3g}"


def table(jobs):
    lines = ["| workload | implementation | precision | threads | median | unit | bp-pipeline's speed ÷ this | peak RSS MiB | loss |",
             "|---|---|---|---|---|---|---|---|---|"]
    for job in jobs:
        if job.workload == "MPI W1":
            continue  # mpi_table's
        mine = job.implementation.startswith("bp-pipeline")
        if job.skip or not job.figures:
            why = job.skip or job.error or "no result"
            lines.append(f"| {job.workload} | {job.implementation} | {job.precision} | {job.threads} | {why} | {job.unit} | | | |")
            continue
        figure = median(job.figures)
        ratio = "" if mine else speed_ratio(job.unit, bp_figure(jobs, job), figure)
        ratio = ratio if isinstance(ratio, str) else ("–" if ratio is None else f"{ratio:.2f}×")
        loss = median([x for x in job.losses if x is not None])
        lines.append(f"| {job.workload} | {job.implementation} | {job.precision} | {job.threads} | {number(figure)} | "
                     f"{job.unit} | {ratio} | {median(job.rss):.0f} | {'' if loss is None else f'{loss:.4g}'} |")
    return "\n".join(lines)


def targets(jobs, cores):
    """The issue's targets, each with its measured value."""
    def find(workload, implementation, precision, threads):
        for job in jobs:
            if (job.workload, job.implementation, job.precision, job.threads) == (workload, implementation, precision, threads):
                return job
        return None

    def ratio(workload, precision, threads, peer):
        job = find(workload, peer, precision, threads)
        if job is None or not job.figures:
            return None
        return speed_ratio(job.unit, bp_figure(jobs, job), median(job.figures))

    def bp(workload, precision, threads, pick):
        job = find(workload, "bp-pipeline" if workload != "seed" else "bp-pipeline, whole process", precision, threads)
        return median(pick(job)) if job and job.figures else None

    rows = [
        ("W1 float32, 1 thread: ≥ 1.5× PyTorch", ratio("W1", "float32", 1, "PyTorch"), 1.5, "≥"),
        ("W1 float32, 1 thread: ≥ 1.2× numpy float32", ratio("W1", "float32", 1, "numpy (hand-written)"), 1.2, "≥"),
        ("W1 float64, 1 thread: ≥ 1.5× scikit-learn", ratio("W1", "float64", 1, "scikit-learn MLPClassifier"), 1.5, "≥"),
        ("W1 float64, 1 thread: ≥ 1.2× numpy float64", ratio("W1", "float64", 1, "numpy (hand-written)"), 1.2, "≥"),
        (f"W1 float32, {cores} threads: ≥ 1.5× PyTorch", ratio("W1", "float32", cores, "PyTorch"), 1.5, "≥"),
        ("W2: ≤ 2× the C loop per step", None if ratio("W2", "float64", 1, "C loop (gcc -O2)") is None
         else 1 / ratio("W2", "float64", 1, "C loop (gcc -O2)"), 2, "≤"),
        ("W3 float64, 1 thread: ≥ 3× PyTorch", ratio("W3", "float64", 1, "PyTorch"), 3, "≥"),
        ("W1 peak RSS ≤ 150 MiB (float32 where supported)",
         bp("W1", "float32", 1, lambda j: j.rss) or bp("W1", "float64", 1, lambda j: j.rss), 150, "≤"),
        (f"Pipelines/seed.yaml whole process ≤ 100 ms (default: {cores} threads)",
         bp("seed", "float64", cores, lambda j: j.figures), 100, "≤"),
        ("Pipelines/seed.yaml whole process with --threads 1", bp("seed", "float64", 1, lambda j: j.figures), 100, "≤"),
    ]
    plain, two = find("MPI W1", "bp-pipeline, plain", "float32", 1), find("MPI W1", "bp-pipeline, mpirun -np 2", "float32", 1)
    if plain and two and plain.figures and two.figures:
        rows.append(("W1 float32, mpirun -np 2, 1 thread each: ≥ 1.7× the plain 1-thread run",
                     median(two.figures) / median(plain.figures), 1.7, "≥"))
    lines = ["| target | measured | met |", "|---|---|---|"]
    for name, value, bound, sense in rows:
        met = "–" if value is None else ("yes" if (value >= bound if sense == "≥" else value <= bound) else "no")
        lines.append(f"| {name} | {'not measured' if value is None else f'{value:.3g}'} | {met} |")
    return "\n".join(lines)


def machine(binary, python):
    """Lines that say what ran where."""
    model = re.search(r"Model name:\s*(.+)", run_quiet(["lscpu"])[1])
    flags = run_quiet(["lscpu"])[1]
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    # OpenBLAS prints "Core: NAME" each time it is loaded; bp-pipeline may restart itself once with
    # a better kernel than OpenBLAS's fallback, so the last line is the kernel the run used. It
    # restarts only for a run that calls BLAS (not the seed's), so ask about W3's spec.
    cores = re.findall(r"Core: (\S+)", run_quiet([binary, "validate", os.path.join(HERE, "w3.yaml")],
                                                 dict(bp_base_env(), OPENBLAS_VERBOSE="2"))[1])
    core = " after ".join(reversed(cores)) if cores else None
    built = binary == os.path.join(ROOT, ".build-bench", "release", "bp-pipeline")
    lines = [f"- CPU: {model.group(1).strip() if model else platform.processor()}, {os.cpu_count()} cores, {simd}; "
             f"{platform.system()} {platform.release()}",
             f"- bp-pipeline {run_quiet([binary, '--version'])[1].strip()} ({'release build' if built else binary}); OpenBLAS core "
             f"{core or 'unknown'} ("
             + (f"--openblas-coretype {BP_CORETYPE}" if BP_CORETYPE else "its own choice")
             + "".join(f"; the environment's {k}={os.environ[k]} removed for every implementation" for k in MACHINE_BLAS if k in os.environ)
             + ")"]
    if python:
        probe = ("import json, platform, importlib\n"
                 "info = {'python': platform.python_version()}\n"
                 "for name in ['numpy', 'sklearn', 'torch']:\n"
                 "    try: info[name] = importlib.import_module(name).__version__\n"
                 "    except ImportError: pass\n"
                 "try:\n"
                 "    import numpy, threadpoolctl\n"
                 "    import os.path as path\n"
                 "    info['blas'] = [f\"{path.basename(path.dirname(p['filepath']))}: {p['internal_api']} {p.get('version')} {p.get('architecture')}\" for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas']\n"
                 "except ImportError: pass\n"
                 "try:\n"
                 "    import torch; info['torch_cpu'] = torch.backends.cpu.get_cpu_capability(); info['torch_blas'] = 'MKL' if torch.backends.mkl.is_available() else 'other'\n"
                 "except ImportError: pass\n"
                 "print(json.dumps(info))")
        status, output = run_quiet([python, "-c", probe], peer_env(1))
        info = read_json_line(output) if status == 0 else {}
        lines.append(f"- Python {info.get('python', '?')}: numpy {info.get('numpy', 'not installed')} "
                     f"(BLAS: {', '.join(info.get('blas', [])) or 'unknown'}), scikit-learn {info.get('sklearn', 'not installed')}, "
                     f"torch {info.get('torch', 'not installed')}"
                     + (f" (CPU capability {info['torch_cpu']}, {info['torch_blas']})" if "torch_cpu" in info else ""))
    gcc = run_quiet(["gcc", "--version"])[1].splitlines()
    lines.append(f"- C: {gcc[0] if gcc else 'no gcc'}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each implementation (the median is shown)")
    parser.add_argument("--workloads", default="w1,w2,w3,load,seed,mpi", help="comma-separated: w1, w2, w3, load, seed, mpi")
    parser.add_argument("--binary", help="a bp-pipeline to measure instead of building one")
    parser.add_argument("--openblas-coretype", help="the OpenBLAS kernel bp-pipeline runs with (default: its own choice)")
    args = parser.parse_args()
    global BP_CORETYPE
    BP_CORETYPE = args.openblas_coretype
    workloads = set(args.workloads.lower().split(","))

    binary = os.path.abspath(args.binary) if args.binary else build_binary()
    c_loop = build_c_loop()
    python = python_environment()
    peers = {module for module in ["numpy", "sklearn", "torch"] if importable(python, module)}
    for module in sorted({"numpy", "sklearn", "torch"} - peers):
        log(f"{module}: not installed in Benchmarks/.venv; its rows are skipped")
    probe = os.path.join(HERE, "w3.yaml")
    features = {
        "float32": run_quiet([binary, "validate", probe, "--set", "training.precision=float32"])[0] == 0,
        "threads": "--threads" in run_quiet([binary, "help", "run"])[1],
    }
    cores = os.cpu_count() or 1
    scratch = tempfile.mkdtemp(prefix="bp-bench-")
    all_jobs = []
    try:
        for threads in sorted({1, cores}):
            jobs = jobs_for(threads, binary, features, python, peers, c_loop, workloads)
            for repeat in range(1, args.repeats + 1):
                for job in jobs:
                    if job.skip or job.error:
                        continue
                    run_once(job, scratch, repeat)
                    shown = f"{number(job.figures[-1])} {job.unit}" if job.figures and not job.error else job.error
                    log(f"[{repeat}/{args.repeats}] {job.workload} {job.implementation} {job.precision} "
                        f"{threads} thread{'s' * (threads > 1)}: {shown}")
            all_jobs += jobs
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(machine(binary, python))
    print(f"- {args.repeats} interleaved runs of each, median shown; --threads "
          f"{'passed' if features['threads'] else 'not supported by this build (OPENBLAS_NUM_THREADS only)'}; "
          f"training.precision {'supported' if features['float32'] else 'not supported by this build'}")
    print()
    print(table(all_jobs))
    if mpi_table(all_jobs):
        print()
        print(mpi_table(all_jobs))
    print()
    print(targets(all_jobs, cores))


if __name__ == "__main__":
    main()
