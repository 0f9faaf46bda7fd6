"""The Python side of `rekindle bench models`: fit BG/NBD with the `lifetimes` package on the
customers the bench drew. Prints one JSON line: {"params": [r, alpha, a, b], "seconds": …}.

usage: python3 scripts/lifetimes_bgnbd.py CUSTOMERS.csv
"""
import json
import sys
import time

import lifetimes
import pandas as pd
from lifetimes import BetaGeoFitter

data = pd.read_csv(sys.argv[1])
start = time.perf_counter()
model = BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
seconds = time.perf_counter() - start
p = model.params_
print(json.dumps({
    "params": [p["r"], p["alpha"], p["a"], p["b"]],
    "seconds": seconds,
    "version": lifetimes.__version__,
}))
