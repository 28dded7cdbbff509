#!/usr/bin/env python3
"""Side-by-side: gridcare's solver vs PyVRP vs OR-Tools at the same time limit, all solutions scored
by the one Python evaluator (bench/evaluator.py, mirroring the Swift Evaluator).

usage: .venv/bin/python bench/peers.py [--set PCVRPTW | --dir FOLDER] [--seconds 10] [--seed 1]
                                       [--solvers ours:1,ours:10,pyvrp:10,ortools:10] [INSTANCE ...]
Our solutions are produced by running `.build/release/gridcare rounds solve` (one process at a time) and read back
from the .sol file it writes. Runs are sequential; nothing runs in parallel.
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import evaluator as E  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("DATA", "/work/shared/bench-data/vrplib")
DEFAULT = ["C1_10_1", "C2_10_1", "R1_10_1", "R2_10_1", "RC1_10_1", "RC2_10_1"]


def run_ours(path, secs, seed, out):
    binary = os.environ.get("GRIDCARE_BIN", os.path.join(ROOT, ".build/release/gridcare"))
    subprocess.run([binary, "rounds", "solve", path, "--seconds", str(secs), "--seed", str(seed), "--out", out],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return E.read_solution(out)


def run_pyvrp(path, secs, seed):
    from pyvrp import Model, read
    from pyvrp.stop import MaxRuntime
    data = read(path, round_func="dimacs")
    res = Model.from_data(data).solve(stop=MaxRuntime(secs), seed=seed, display=False)
    # ScheduledActivity.idx of a client is its index among clients; locations put depots first
    routes = [[a.idx + data.num_depots for a in r if a.is_client()] for r in res.best.routes()]
    # sanity: PyVRP's own distance must match our evaluator's on the same routes
    inst = E.read_instance(path)
    ours = E.evaluate(inst, routes)[1]
    if ours != res.best.distance():
        print(f"  warning: pyvrp distance {res.best.distance()} != evaluator {ours}", file=sys.stderr)
    return routes


def run_ortools(inst, secs):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    n, D, tw, sv = inst["n"], inst["dist"], inst["tw"], inst["service"]
    mgr = pywrapcp.RoutingIndexManager(n, inst["vehicles"], 0)
    rt = pywrapcp.RoutingModel(mgr)
    dist_cb = rt.RegisterTransitCallback(lambda i, j: D[mgr.IndexToNode(i)][mgr.IndexToNode(j)])
    rt.SetArcCostEvaluatorOfAllVehicles(dist_cb)
    time_cb = rt.RegisterTransitCallback(
        lambda i, j: sv[mgr.IndexToNode(i)] + D[mgr.IndexToNode(i)][mgr.IndexToNode(j)])
    horizon = tw[0][1]
    rt.AddDimension(time_cb, horizon, horizon, False, "Time")
    tdim = rt.GetDimensionOrDie("Time")
    for c in range(1, n):
        idx = mgr.NodeToIndex(c)
        tdim.CumulVar(idx).SetRange(tw[c][0], tw[c][1])
        if not inst["required"][c]:
            rt.AddDisjunction([idx], inst["prize"][c])
    for v in range(inst["vehicles"]):
        tdim.CumulVar(rt.Start(v)).SetRange(tw[0][0], tw[0][1])
        tdim.CumulVar(rt.End(v)).SetRange(tw[0][0], tw[0][1])
    dem_cb = rt.RegisterUnaryTransitCallback(lambda i: inst["demand"][mgr.IndexToNode(i)])
    rt.AddDimensionWithVehicleCapacity(dem_cb, 0, [inst["capacity"]] * inst["vehicles"], True, "Load")
    prm = pywrapcp.DefaultRoutingSearchParameters()
    prm.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    prm.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    prm.time_limit.FromMilliseconds(int(secs * 1000))
    sol = rt.SolveWithParameters(prm)
    if sol is None:
        return None
    routes = []
    for v in range(inst["vehicles"]):
        i, r = rt.Start(v), []
        i = sol.Value(rt.NextVar(i))
        while not rt.IsEnd(i):
            r.append(mgr.IndexToNode(i))
            i = sol.Value(rt.NextVar(i))
        if r:
            routes.append(r)
    return routes


def parse_solvers(spec, default_secs):
    """'ours:1,ours:10,pyvrp:10,ortools' -> [('ours', 1.0), ...]; no ':S' means --seconds."""
    out = []
    for tok in spec.split(","):
        name, _, secs = tok.partition(":")
        out.append((name, float(secs) if secs else default_secs))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="PCVRPTW", help="folder under $DATA (ignored with --dir)")
    ap.add_argument("--dir", default=None, help="instance folder instead of $DATA/SET (e.g. bench/demo-like); "
                    "without an instance list, every .vrp in it")
    ap.add_argument("--seconds", type=float, default=10, help="time limit for solvers given without ':S'")
    ap.add_argument("--seconds-ours", type=float, default=None, help="shorthand: time limit for 'ours'")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--solvers", default="ours,pyvrp,ortools",
                    help="comma list of ours|pyvrp|ortools, each optionally ':SECONDS', e.g. ours:1,ours:10,pyvrp:10")
    ap.add_argument("--reference", default=None,
                    help="column used as reference when an instance has no .sol (default: first pyvrp column)")
    ap.add_argument("instances", nargs="*")
    a = ap.parse_args()
    solvers = parse_solvers(a.solvers, a.seconds)
    if a.seconds_ours is not None:
        solvers = [(n, a.seconds_ours if n == "ours" else t) for n, t in solvers]
    labels = [f"{n}:{t:g}" for n, t in solvers]
    folder = os.path.abspath(a.dir) if a.dir else f"{DATA}/{a.set}"
    setname = os.path.basename(folder.rstrip("/"))
    names = a.instances
    if not names:
        names = DEFAULT if not a.dir else sorted(
            (f[:-4] for f in os.listdir(folder) if f.endswith(".vrp")),
            key=lambda x: [int(t) if t.isdigit() else t for t in x.replace("-", " ").replace("_", " ").split()])
    ref_label = a.reference or next((l for l in labels if l.startswith("pyvrp")), None)
    outdir = os.path.join(ROOT, "bench/out/peers", setname)
    os.makedirs(outdir, exist_ok=True)
    gaps = {l: [] for l in labels}
    print(f"{setname}, seed {a.seed}; cost in the file unit (scaled cost / 10); gap vs best-known .sol when there is "
          f"one, else vs {ref_label}; '*' = infeasible by the shared evaluator (bench/evaluator.py)")
    print(f"{'instance':14} {'reference':>10} " + " ".join(f"{l:>18}" for l in labels))
    for name in names:
        path = f"{folder}/{name}.vrp"
        inst = E.read_instance(path)
        sol_path = f"{folder}/{name}.sol"
        costs = {}
        for (s, secs), label in zip(solvers, labels):
            t0 = time.time()
            try:
                if s == "ours":
                    routes = run_ours(path, secs, a.seed, os.path.join(outdir, f"{name}-ours{secs:g}.sol"))
                elif s == "pyvrp":
                    routes = run_pyvrp(path, secs, a.seed)
                else:
                    routes = run_ortools(inst, secs)
            except Exception as e:  # report, keep going
                print(f"  {label} failed on {name}: {e}", file=sys.stderr)
                routes = None
            if routes is None:
                costs[label] = None
                continue
            cost, _, _, _, viol = E.evaluate(inst, routes)
            costs[label] = (cost, bool(viol))
            print(f"  {name} {label}: {time.time() - t0:.1f}s wall, cost {cost}, feasible={not viol}", file=sys.stderr)
        if os.path.exists(sol_path):
            ref = E.evaluate(inst, E.read_solution(sol_path))[0]
        elif ref_label and costs.get(ref_label) and not costs[ref_label][1]:
            ref = costs[ref_label][0]
        else:
            ref = None
        cells = []
        for label in labels:
            c = costs[label]
            if c is None:
                cells.append(f"{'no solution':>18}")
                continue
            cost, viol = c
            gap = 100.0 * (cost - ref) / ref if ref else float("nan")
            if not viol and ref:
                gaps[label].append(gap)
            cells.append(f"{cost / 10:>10.1f} {gap:>6.2f}%{'*' if viol else ' '}")
        print(f"{name:14} {(ref or float('nan')) / 10:>10.1f} " + " ".join(cells), flush=True)
    print(f"{'avg gap':14} {'':>10} " + " ".join(
        f"{(sum(g) / len(g) if g else float('nan')):>10.2f}% ({len(g)})".rjust(18) for g in gaps.values()))
    print(f"{'max gap':14} {'':>10} " + " ".join(
        f"{(max(g) if g else float('nan')):>10.2f}%    ".rjust(18) for g in gaps.values()))


if __name__ == "__main__":
    main()
