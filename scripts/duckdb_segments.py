"""The DuckDB side of `rekindle bench segments`: load the profiles CSV the bench wrote, then
time the same rule as SQL. Prints one JSON line: {"count": …, "ms": [runs…]}.

usage: python3 scripts/duckdb_segments.py PROFILES.csv RUNS
"""
import json
import sys
import time

import duckdb

path, runs = sys.argv[1], int(sys.argv[2])
con = duckdb.connect()
con.execute(f"CREATE TABLE profiles AS SELECT * FROM read_csv_auto('{path}')")
# The rule: orders >= 2 and spend(365d) >= ¥100 and days_since_order > 14
#           and watched within 30d and lifecycle != churned
sql = """
SELECT count(*) FROM profiles
WHERE orders >= 2 AND spend_365d_fen >= 10000 AND days_since_order > 14
  AND days_since_live <= 30 AND stage <> 'churned'
"""
times = []
count = None
for _ in range(runs):
    start = time.perf_counter()
    count = con.execute(sql).fetchone()[0]
    times.append((time.perf_counter() - start) * 1000)
print(json.dumps({"count": count, "ms": times, "duckdb": duckdb.__version__}))
