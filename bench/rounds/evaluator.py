"""The one evaluator for the peer comparison, mirroring Sources/Routing/Evaluator.swift.

Convention (DIMACS, as in the Swift reader): every time/duration/distance/prize is scaled by 10
and kept integer; EUC_2D distance = floor(10 * euclidean). Client id i = VRPLIB node i + 1,
depot = 0. cost = sum of route distances + sum of prizes of skipped clients (scaled integers).
"""
import math


def read_instance(path):
    """Minimal VRPLIB reader for the fields the benchmark sets use."""
    hdr, sec, d = {}, None, {"coord": {}, "demand": {}, "tw": {}, "service": {}, "prize": {}}
    weights = []
    with open(path) as f:
        for line in f:
            t = line.split()
            if not t:
                continue
            if t[0] == "EOF":
                break
            if not (t[0][0].isdigit() or t[0][0] == "-") and "SECTION" not in t[0]:
                k, v = line.split(":", 1)
                hdr[k.strip().upper()] = v.strip()
                continue
            if t[0].endswith("_SECTION"):
                sec = t[0]
                continue
            if sec == "EDGE_WEIGHT_SECTION":   # a full matrix, row after row (gridcare rounds export)
                weights += [float(x) for x in t]
                continue
            i = int(t[0]) - 1
            if sec == "NODE_COORD_SECTION":
                d["coord"][i] = (float(t[1]), float(t[2]))
            elif sec == "DEMAND_SECTION":
                d["demand"][i] = int(t[1])
            elif sec == "TIME_WINDOW_SECTION":
                d["tw"][i] = (round(float(t[1]) * 10), round(float(t[2]) * 10))
            elif sec == "SERVICE_TIME_SECTION":
                d["service"][i] = round(float(t[1]) * 10)
            elif sec == "PRIZE_SECTION":
                d["prize"][i] = round(float(t[1]) * 10)
    n = int(hdr["DIMENSION"])
    st = round(float(hdr.get("SERVICE_TIME", 0)) * 10)
    inst = {
        "name": hdr.get("NAME", path),
        "n": n,
        "vehicles": int(hdr.get("VEHICLES", n - 1)),
        "capacity": int(hdr.get("CAPACITY", 10**9)),
        "coord": [d["coord"][i] for i in range(n)],
        "demand": [d["demand"].get(i, 0) for i in range(n)],
        "tw": [d["tw"].get(i, (0, 10**9)) for i in range(n)],
        "service": [d["service"].get(i, st if i else 0) for i in range(n)],
        "prize": [d["prize"].get(i, 0) for i in range(n)],
        # as PyVRP: without a PRIZE_SECTION all clients are required; with one, prize 0 = required
        "required": [not d["prize"] or d["prize"].get(i, 0) == 0 for i in range(n)],
    }
    if hdr.get("EDGE_WEIGHT_TYPE", "EUC_2D") == "EXPLICIT":
        inst["dist"] = [[round(10 * weights[i * n + j]) for j in range(n)] for i in range(n)]
    else:
        xy = inst["coord"]
        inst["dist"] = [[math.floor(10 * math.hypot(a[0] - b[0], a[1] - b[1])) for b in xy] for a in xy]
    return inst


def read_solution(path):
    routes = []
    with open(path) as f:
        for line in f:
            if line.lower().startswith("route"):
                routes.append([int(x) for x in line.split(":", 1)[1].split()])
    return routes


def evaluate(inst, routes):
    """Returns (cost, distance, skipped_prize, n_skipped, violations)."""
    D, tw, sv, dem = inst["dist"], inst["tw"], inst["service"], inst["demand"]
    n, seen, viol, dist, used = inst["n"], set(), [], 0, 0
    for k, r in enumerate(routes):
        if not r:
            continue
        used += 1
        t, prev, load = tw[0][0], 0, 0
        for c in r:
            if not 1 <= c < n:
                viol.append(f"route {k+1}: invalid client {c}")
                break
            if c in seen:
                viol.append(f"client {c} visited more than once")
            seen.add(c)
            load += dem[c]
            dist += D[prev][c]
            begin = max(t + D[prev][c], tw[c][0])
            if begin > tw[c][1]:
                viol.append(f"route {k+1}: client {c} starts at {begin} after latest {tw[c][1]}")
            t, prev = begin + sv[c], c
        dist += D[prev][0]
        if t + D[prev][0] > tw[0][1]:
            viol.append(f"route {k+1}: returns after depot latest")
        if load > inst["capacity"]:
            viol.append(f"route {k+1}: load {load} exceeds capacity")
    if used > inst["vehicles"]:
        viol.append(f"{used} routes exceed {inst['vehicles']} vehicles")
    skipped = [c for c in range(1, n) if c not in seen]
    for c in skipped:
        if inst["required"][c]:
            viol.append(f"required client {c} not visited")
    sp = sum(inst["prize"][c] for c in skipped if not inst["required"][c])
    return dist + sp, dist, sp, len(skipped), viol
