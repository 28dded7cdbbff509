#!/usr/bin/env python3
"""Generates demo-like weekly home-visit rounds as VRPLIB PCVRPTW files (bench/out/demo-like by default).

usage: python3 bench/rounds/demo_like.py [--sizes 50,100,200,500] [--seeds 1,2] [--out bench/out/demo-like]

Model of one instance:
  * depot = the health centre at (0, 0); visits scattered within ~3 km: 70 % in 4-10 neighbourhood
    clusters (radius 150-500 m), 30 % uniform in the 3 km disc.
  * Units: one coordinate unit = one minute of travel (15 km/h e-bike/scooter: 250 m per unit, straight
    line). Times are minutes after midnight. Read with the DIMACS convention (our reader, PyVRP's
    round_func="dimacs"): every value x10 and truncated, so durations are integer tenths of a minute and
    the cost = travel tenths-of-minutes + 10 x prizes of skipped visits.
  * Working day = depot window 08:00-17:30 (480-1050). Service 30-45 min. Client windows bound the
    *start* of service, set so the visit also ends inside the window: 15 % mornings only
    (08:00-12:00: start in [480, 720 - service]), 15 % afternoons only (13:30-17:30: start in
    [810, 1050 - service]), the rest all day ([480, 1050 - service]).
  * Vehicles = team members x 5 days (a route = one member-day): 2, 3, 4, 6 members for 50, 100, 200,
    500 visits (10, 15, 20, 30 routes); at 500 visits the week is too short and visits must be skipped.
  * Capacity non-binding (demand 1, capacity 1000).
  * Prizes = urgency, 100-2000 (log-uniform-ish); 5 % required = prize 0 (PyVRP reads prize 0 as
    required; so does our reader), required visits are open all day.
"""
import argparse
import math
import os
import random

MEMBERS = {50: 2, 100: 3, 200: 4, 500: 6}


def generate(n, seed):
    rng = random.Random(1000 * n + seed)
    unit_m = 250.0  # metres per coordinate unit (= per minute of travel)
    radius = 3000.0 / unit_m
    pts = []
    k = rng.randint(4, 10)
    centres = []
    for _ in range(k):
        r, a = radius * math.sqrt(rng.uniform(0.05, 0.8)), rng.uniform(0, 2 * math.pi)
        centres.append((r * math.cos(a), r * math.sin(a), rng.uniform(150, 500) / unit_m))
    for i in range(n):
        if rng.random() < 0.7:
            cx, cy, cr = rng.choice(centres)
            r, a = cr * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
            pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
        else:
            r, a = radius * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
            pts.append((r * math.cos(a), r * math.sin(a)))
    # Coordinates are written with 3 decimals. Avoid pairs whose 10 x distance is within 1e-6 of an
    # integer: there floor(10 x d) depends on how d is computed (vrplib uses |a|^2 + |b|^2 - 2ab), and
    # PyVRP's matrix would differ from ours by 1.
    pts = [(round(x, 3), round(y, 3)) for (x, y) in pts]
    allp = [(0.0, 0.0)] + pts
    for j in range(1, len(allp)):
        while any(abs(t - round(t)) < 1e-6 for t in (10 * math.hypot(allp[j][0] - q[0], allp[j][1] - q[1])
                                                     for q in allp[:j])):
            allp[j] = (round(allp[j][0] + 0.001, 3), allp[j][1])
    pts = allp[1:]
    rows = []
    for (x, y) in pts:
        service = rng.randint(30, 45)
        required = rng.random() < 0.05
        u = rng.random()
        if required or u >= 0.30:
            tw = (480, 1050 - service)
        elif u < 0.15:
            tw = (480, 720 - service)
        else:
            tw = (810, 1050 - service)
        prize = 0 if required else int(round(math.exp(rng.uniform(math.log(100), math.log(2000)))))
        rows.append((x, y, service, tw, prize))
    return rows


def write(path, name, n, rows):
    vehicles = 5 * MEMBERS.get(n, max(2, round(n / 80)))
    with open(path, "w") as f:
        f.write(f"NAME : {name}\nTYPE : PCVRPTW\n")
        f.write(f"COMMENT : demo-like home-visit week; 1 unit = 1 min travel (250 m); times in minutes; "
                f"{vehicles // 5} members x 5 days\n")
        f.write(f"DIMENSION : {n + 1}\nVEHICLES : {vehicles}\nCAPACITY : 1000\nEDGE_WEIGHT_TYPE : EUC_2D\n")
        f.write("NODE_COORD_SECTION\n1 0.000 0.000\n")
        for i, r in enumerate(rows):
            f.write(f"{i + 2} {r[0]:.3f} {r[1]:.3f}\n")
        f.write("DEMAND_SECTION\n1 0\n")
        for i in range(n):
            f.write(f"{i + 2} 1\n")
        f.write("SERVICE_TIME_SECTION\n1 0\n")
        for i, r in enumerate(rows):
            f.write(f"{i + 2} {r[2]}\n")
        f.write("TIME_WINDOW_SECTION\n1 480 1050\n")
        for i, r in enumerate(rows):
            f.write(f"{i + 2} {r[3][0]} {r[3][1]}\n")
        f.write("PRIZE_SECTION\n1 0\n")
        for i, r in enumerate(rows):
            f.write(f"{i + 2} {r[4]}\n")
        f.write("DEPOT_SECTION\n1\n-1\nEOF\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="50,100,200,500")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out", "demo-like"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for n in map(int, a.sizes.split(",")):
        for s in map(int, a.seeds.split(",")):
            name = f"demo-{n}-s{s}"
            write(os.path.join(a.out, name + ".vrp"), name, n, generate(n, s))
            print(os.path.join(a.out, name + ".vrp"))


if __name__ == "__main__":
    main()
