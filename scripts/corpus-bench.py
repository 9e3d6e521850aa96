#!/usr/bin/env python3
"""Time the public benchmark corpus on erl, LAM and AtomVM side by side.

usage: scripts/corpus-bench.py [-o OUTDIR] [-k KIND] [-r] [ID ...]

For each program of the corpus manifest (all of them, or the IDs given, or
those of one kind with -k: bg, main, run, eval) this runs, one right after
the other so that all three see the same load on the machine:

  erl     through the corpus's run_erl.sh (with ERLC=true: the programs were
          compiled into _build/<id>/ by its first full run),
  LAM     through the corpus's run_lam.sh,
  AtomVM  directly (the corpus has no script for it), through a start/0
          wrapper that does what run_erl.sh's invocation does.

Every side times the whole process, start-up included, and its output is
compared with erl's by md5. OUTDIR (default /tmp/corpus-bench) gets erl/,
lam/ and avm/, each with <id>.out, <id>.err and a times.tsv in the format
compare.sh reads (so `compare.sh OUTDIR/erl OUTDIR/lam` works on them), and
table.md: one row per program, then the geometric means of LAM/erl and
AtomVM/erl over identical outputs of programs taking at least MIN_SECONDS
on erl, and the programs above 5x. table.md is rewritten after every
program, so a run cut short still leaves a table of what it measured; -r
runs nothing and writes table.md again from what OUTDIR holds.

Verdicts: same (erl's output to the byte), DIFF, rc=N (exit code), timeout;
for AtomVM also layout (the same but for erl's ~p line breaks, which
AtomVM's io_lib does not make: counted in its mean) and no-halt (erl's
whole output, then stuck at the limit because the program's halt/0 from a
spawned process is missing on AtomVM: not counted). A time-out's time is
only a lower bound, so a mean over the programs that finished flatters
the slower VM.

Environment:
  CORPUS_DIR   the assembled corpus (default /tmp/corpus)
  LAM          the lam-translate binary (default target/release/lam-translate
               of this checkout)
  ATOMVM       the AtomVM binary built from source; unset or empty leaves the
               AtomVM columns out
  ATOMVM_LIB   AtomVM's atomvmlib.avm (default: libs/atomvmlib.avm next to
               ATOMVM's src/ directory, as its cmake build lays them out)
  TIMEOUT      seconds per run on each VM (default 120)
  ATOMVM_TIMEOUT  seconds per run on AtomVM (default TIMEOUT)
  MIN_SECONDS  the erl time from which a program counts in the means
               (default 0.5)
  LAM_FLAGS, ERL  passed on to run_lam.sh and run_erl.sh
"""

import hashlib
import collections
import math
import os
import re
import subprocess
import sys
import time

HEADER = "id\trc\tseconds\tbytes\tmd5\n"
# Above this ratio a program is listed by name: the ceiling.
CEILING = 5.0


def die(msg):
    print(f"corpus-bench: {msg}", file=sys.stderr)
    sys.exit(2)


def read_manifest(corpus):
    rows = []
    path = os.path.join(corpus, "manifest.tsv")
    try:
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                fields = line.split("\t")
                if len(fields) < 9:
                    die(f"{path}: malformed line (want 9 tab-separated fields): {line!r}")
                keys = ("id", "kind", "dir", "srcs", "mod", "arg", "stdin", "flags", "source")
                rows.append(dict(zip(keys, fields)))
    except OSError as e:
        die(f"cannot read the corpus manifest: {e}")
    return rows


def times_line(tsv, pid):
    """The (rc, seconds, md5, line) a run script wrote for program pid, or None."""
    try:
        with open(tsv) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if fields[0] == pid and len(fields) == 5:
                    return int(fields[1]), float(fields[2]), fields[4], line
    except (OSError, ValueError):
        pass
    return None


def run_script(corpus, script, outdir, pid, env):
    # The scripts print a progress line of their own; the table is ours.
    subprocess.run(
        [os.path.join(corpus, script), "-o", outdir, pid],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return times_line(os.path.join(outdir, "times.tsv"), pid)


def erlang_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def avm_wrapper(prog):
    """Source of a start/0 module running prog as run_erl.sh's erl command does.

    A Benchmarks Game program whose main/1 returns leaves the work to
    processes it spawned (erl keeps running until one of them halts), so the
    wrapper then waits until they are gone.
    """
    mod, arg, kind = prog["mod"], prog["arg"], prog["kind"]
    if kind == "bg":
        body, finish = f"{mod}:main([{erlang_string(arg)}])", "wait(N0)"
    elif kind == "main":
        body, finish = f"try {mod}:main({arg}) catch exit:ok -> exit_ok end", "report(R)"
    elif kind == "run":
        body, finish = f"{mod}:run({arg}, [], [])", "report(R)"
    elif kind == "eval":
        body, finish = f"{mod}:{arg}()", "report(R)"
    else:
        return None
    return f"""-module(avm_bench_wrap).
-export([start/0]).
-compile(nowarn_unused_function).
start() ->
    N0 = length(erlang:processes()),
    _ = N0,
    R = {body},
    _ = R,
    {finish}.
report(R) -> io:format("~p~n", [R]), ok.
wait(N0) ->
    case length(erlang:processes()) > N0 of
        true -> receive after 10 -> wait(N0) end;
        false -> ok
    end.
"""


def run_avm(corpus, outdir, prog, atomvm, atomvm_lib, timeout):
    pid = prog["id"]
    build = os.path.join(corpus, "_build", pid)
    wrapdir = os.path.join(build, "avmwrap")
    os.makedirs(wrapdir, exist_ok=True)
    src = avm_wrapper(prog)
    if src is None:
        return False
    with open(os.path.join(wrapdir, "avm_bench_wrap.erl"), "w") as f:
        f.write(src)
    c = subprocess.run(
        ["erlc", "-o", wrapdir, os.path.join(wrapdir, "avm_bench_wrap.erl")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if c.returncode != 0:
        return False
    # The wrapper goes first: AtomVM starts the first module exporting start/0.
    beams = sorted(
        os.path.join(build, b) for b in os.listdir(build) if b.endswith(".beam")
    )
    argv = [atomvm, os.path.join(wrapdir, "avm_bench_wrap.beam"), *beams, atomvm_lib]
    stdin = "/dev/null" if prog["stdin"] == "-" else os.path.join(corpus, prog["stdin"])
    out_path = os.path.join(outdir, pid + ".out")
    with open(stdin, "rb") as fin, open(out_path, "wb") as fout, open(
        os.path.join(outdir, pid + ".err"), "wb"
    ) as ferr:
        t0 = time.monotonic()
        try:
            rc = subprocess.run(
                argv,
                cwd=os.path.join(corpus, prog["dir"]),
                stdin=fin,
                stdout=fout,
                stderr=ferr,
                timeout=timeout,
            ).returncode
        except subprocess.TimeoutExpired:
            rc = 124  # what timeout(1) answers in the run scripts
        secs = time.monotonic() - t0
    with open(out_path, "rb") as f:
        data = f.read()
    md5 = hashlib.md5(data).hexdigest()
    with open(os.path.join(outdir, "times.tsv"), "a") as f:
        f.write(f"{pid}\t{rc}\t{secs:.3f}\t{len(data)}\t{md5}\n")
    return True


Result = collections.namedtuple("Result", "rc secs md5 verdict")


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def judge(outdir, side, pid, rc, md5, erl):
    """same / DIFF / rc=N / timeout, as compare.sh says it, and for AtomVM
    two more: layout and no-halt."""
    err = read_bytes(os.path.join(outdir, side, pid + ".err"))
    complete = erl is not None and erl.rc == 0 and md5 == erl.md5
    # AtomVM has no erlang:halt nor init:stop (it says it cannot resolve them
    # when it loads the module): a program that halts itself crashes there
    # with undef after its work, or, halting from a process of its own, leaves
    # the others waiting until the time limit. A crash after the whole output
    # (erl's to the byte) is the halt; a time-out after it is told apart.
    halts = side == "avm" and (b"erlang:halt/" in err or b"init:stop/" in err)
    if rc == 124:
        return "no-halt" if halts and complete else "timeout"
    if rc != 0 and not (halts and complete):
        return f"rc={rc}"
    if complete:
        return "same"
    # AtomVM's ~p does not break lines at erl's 80 columns: the wrapper's
    # printing of a main/run result then differs only by erl's line breaks.
    if side == "avm" and erl is not None and erl.rc == 0:
        ours = read_bytes(os.path.join(outdir, side, pid + ".out"))
        theirs = read_bytes(os.path.join(outdir, "erl", pid + ".out"))
        if ours and re.sub(rb"\n +", b"", theirs) == ours:
            return "layout"
    return "DIFF"


def load(outdir, pid, with_avm):
    """erl's, LAM's and AtomVM's results for pid, from OUTDIR's times.tsv files."""

    def side(name, erl):
        r = times_line(os.path.join(outdir, name, "times.tsv"), pid)
        if r is None:
            return None
        rc, secs, md5, _ = r
        return Result(rc, secs, md5, judge(outdir, name, pid, rc, md5, erl) if erl is not False else None)

    erl = side("erl", False)
    return pid, erl, side("lam", erl), side("avm", erl) if with_avm else None


def verdict(r):
    return "-" if r is None else r.verdict


# Verdicts whose times count in the means: the program did the same work.
COUNTED = {"LAM": ("same",), "AtomVM": ("same", "layout")}


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def fmt_secs(r):
    return "-" if r is None else f"{r.secs:.2f}"


def fmt_ratio(erl, r):
    if erl is None or r is None or erl.secs <= 0:
        return "-"
    return f"{r.secs / erl.secs:.2f}x"


def write_table(path, results, with_avm, min_secs, note):
    lines = [
        "| program | erl s | LAM s | LAM/erl | LAM same? |"
        + (" AtomVM s | AtomVM/erl | AtomVM same? |" if with_avm else ""),
        "|---|---|---|---|---|" + ("---|---|---|" if with_avm else ""),
    ]
    for pid, erl, lam, avm in results:
        row = f"| {pid} | {fmt_secs(erl)} | {fmt_secs(lam)} | {fmt_ratio(erl, lam)} | {verdict(lam)} |"
        if with_avm:
            row += f" {fmt_secs(avm)} | {fmt_ratio(erl, avm)} | {verdict(avm)} |"
        lines.append(row)

    def summary(name, idx):
        long = [r for r in results if r[1] is not None and r[1].rc == 0 and r[1].secs >= min_secs]
        same = [r for r in long if verdict(r[idx]) in COUNTED[name]]
        ratios = [(r[0], r[idx][1] / r[1][1]) for r in same]
        g = geomean([x for _, x in ratios])
        above = sorted(((p, x) for p, x in ratios if x > CEILING), key=lambda t: -t[1])
        out = [
            f"- {name}: {len(same)} of {len(long)} programs taking ≥{min_secs} s on erl give erl's output; "
            + (f"geometric mean {name}/erl over them **{g:.2f}x**" if g else "no geometric mean")
            + f"; {len(above)} above {CEILING:g}x"
            + (": " + ", ".join(f"{p} {x:.1f}x" for p, x in above) if above else "")
        ]
        counts = collections.Counter(verdict(r[idx]) for r in results)
        out.append(
            f"  (all {len(results)} programs: "
            + ", ".join(f"{n} {v}" for v, n in counts.most_common())
            + ")"
        )
        return out, {r[0] for r in same}

    lines += ["", f"Summary ({note}):", ""]
    lam_lines, lam_same = summary("LAM", 2)
    lines += lam_lines
    if with_avm:
        avm_lines, avm_same = summary("AtomVM", 3)
        lines += avm_lines
        both = [r for r in results if r[0] in lam_same & avm_same]
        if both:
            gl = geomean([r[2].secs / r[1].secs for r in both])
            ga = geomean([r[3].secs / r[1].secs for r in both])
            lines.append(
                f"- on the {len(both)} programs where both give erl's output: LAM/erl {gl:.2f}x, AtomVM/erl {ga:.2f}x"
            )
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def main():
    args = sys.argv[1:]
    outdir, kind, report_only = "/tmp/corpus-bench", None, False
    while args and args[0].startswith("-"):
        if args[0] == "-o" and len(args) > 1:
            outdir, args = args[1], args[2:]
        elif args[0] == "-k" and len(args) > 1:
            kind, args = args[1], args[2:]
        elif args[0] == "-r":
            report_only, args = True, args[1:]
        else:
            die("usage: corpus-bench.py [-o OUTDIR] [-k KIND] [-r] [ID ...]")
    outdir = os.path.abspath(outdir)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    corpus = os.path.abspath(os.environ.get("CORPUS_DIR", "/tmp/corpus"))
    lam = os.path.abspath(os.environ.get("LAM", os.path.join(here, "target/release/lam-translate")))
    atomvm = os.environ.get("ATOMVM", "")
    try:
        timeout = float(os.environ.get("TIMEOUT", "120"))
        avm_timeout = float(os.environ.get("ATOMVM_TIMEOUT", str(timeout)))
        min_secs = float(os.environ.get("MIN_SECONDS", "0.5"))
    except ValueError:
        die("TIMEOUT, ATOMVM_TIMEOUT and MIN_SECONDS must be numbers")

    progs = read_manifest(corpus)
    known = {p["id"] for p in progs}
    unknown = [a for a in args if a not in known]
    if unknown:
        die("not in the manifest: " + " ".join(unknown))
    if args:
        progs = [p for p in progs if p["id"] in args]
    if kind:
        progs = [p for p in progs if p["kind"] == kind]
    table = os.path.join(outdir, "table.md")

    if report_only:
        with_avm = os.path.isfile(os.path.join(outdir, "avm", "times.tsv"))
        erl_tsv = os.path.join(outdir, "erl", "times.tsv")
        results = [load(outdir, p["id"], with_avm) for p in progs if times_line(erl_tsv, p["id"])]
        if not results:
            die(f"no results in {outdir}")
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(erl_tsv)))
        write_table(table, results, with_avm, min_secs, f"{len(results)} programs, run of {when}")
        print(f"table: {table}")
        return

    for script in ("run_erl.sh", "run_lam.sh"):
        if not os.access(os.path.join(corpus, script), os.X_OK):
            die(f"{corpus}/{script} missing: set CORPUS_DIR to an assembled corpus")
    if not os.access(lam, os.X_OK):
        die(f"not an executable: {lam} (set LAM)")
    atomvm_lib = None
    if atomvm:
        atomvm = os.path.abspath(atomvm)
        if not os.access(atomvm, os.X_OK):
            die(f"not an executable: {atomvm} (ATOMVM)")
        default_lib = os.path.join(os.path.dirname(os.path.dirname(atomvm)), "libs", "atomvmlib.avm")
        atomvm_lib = os.path.abspath(os.environ.get("ATOMVM_LIB", default_lib))
        if not os.path.isfile(atomvm_lib):
            die(f"AtomVM's library not found: {atomvm_lib} (set ATOMVM_LIB)")
    if not progs:
        die("no program selected")
    if not os.path.isdir(os.path.join(corpus, "_build", progs[0]["id"])):
        die(f"{corpus}/_build is not there: run run_erl.sh once first, it compiles the programs")

    dirs = {side: os.path.join(outdir, side) for side in ("erl", "lam", "avm")}
    for side, d in dirs.items():
        if side == "avm" and not atomvm:
            continue
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "times.tsv"), "w") as f:
            f.write(HEADER)

    env = dict(os.environ, TIMEOUT=f"{timeout:g}", LAM=lam, ERLC="true")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results, lam_lines = [], []
    print(f"{'program':<22} {'erl':>7} {'lam':>7} {'ratio':>7}" + (" " * 9 + "atomvm   ratio" if atomvm else ""))
    for i, prog in enumerate(progs):
        pid = prog["id"]
        run_script(corpus, "run_erl.sh", dirs["erl"], pid, env)
        lam_r = run_script(corpus, "run_lam.sh", dirs["lam"], pid, env)
        # run_lam.sh starts its times.tsv afresh on every call: keep the whole run's.
        if lam_r is not None:
            lam_lines.append(lam_r[3])
        with open(os.path.join(dirs["lam"], "times.tsv"), "w") as f:
            f.write(HEADER + "".join(lam_lines))
        if atomvm:
            run_avm(corpus, dirs["avm"], prog, atomvm, atomvm_lib, avm_timeout)
        r = load(outdir, pid, bool(atomvm))
        results.append(r)
        _, erl, lam_res, avm = r
        line = f"{pid:<22} {fmt_secs(erl):>7} {fmt_secs(lam_res):>7} {fmt_ratio(erl, lam_res):>7} {verdict(lam_res):<7}"
        if atomvm:
            line += f" {fmt_secs(avm):>7} {fmt_ratio(erl, avm):>7} {verdict(avm)}"
        print(line, flush=True)
        done = "complete" if i + 1 == len(progs) else f"partial, {i + 1} of {len(progs)} programs"
        write_table(table, results, bool(atomvm), min_secs, f"run started {started}, {done}")
    print(f"table: {table}")


if __name__ == "__main__":
    main()
