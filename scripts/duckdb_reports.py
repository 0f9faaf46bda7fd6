"""The DuckDB side of `rekindle bench reports`: load the events CSV the bench wrote into an
in-memory table (timed apart, not counted), then time the monthly first-order cohort matrix
as SQL, with the definitions of docs/reports.md. Prints one JSON line:
{"duckdb": …, "rows": …, "load_ms": …, "threads": …, "ms": [runs…], "cpu_ms": [runs…],
 "cells": [[cohort, period, eligible, ordered, active, revenue_fen], …],
 "local_day": {"load_ms": …, "ms": […], "cpu_ms": […], "cells": […]}}.

usage: python3 scripts/duckdb_reports.py EVENTS.csv RUNS TIME_ZONE FROM TO TODAY

EVENTS.csv has one row per event: person, at_utc (an instant), name, revenue_fen (orders).
"""
import json
import sys
import time

import duckdb

path, runs, tz, first, last, today = sys.argv[1:7]
runs = int(runs)
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")

start = time.perf_counter()
con.execute(
    """
    CREATE TABLE events AS SELECT * FROM read_csv(?, header = true, columns = {
        'person': 'UINTEGER', 'at_utc': 'TIMESTAMPTZ', 'name': 'VARCHAR', 'revenue_fen': 'BIGINT'})
    """,
    [path],
)
load_ms = (time.perf_counter() - start) * 1000
rows = con.execute("SELECT count(*) FROM events").fetchone()[0]

# Buyers in cohorts by the local month of their earliest order (first orders from FIRST to
# LAST); period k = calendar months from the cohort's month to the event's local month.
# Per cohort and period that has begun by TODAY: eligible = the cohort's buyers; ordered =
# buyers with an order in period k; active = buyers with any event in period k; revenue =
# their orders' revenue in period k. An event's local day is its instant in the store's time
# zone ({day}). Each person's months are summed before the join with the cohorts: the fastest
# of the forms tried.
SQL = """
WITH buyers AS (
    SELECT person, (min(at_utc) AT TIME ZONE $tz)::DATE AS first_day
    FROM {table} WHERE name = 'Order Completed' GROUP BY person
),
cohort AS (
    SELECT person, date_trunc('month', first_day)::DATE AS cohort
    FROM buyers WHERE first_day BETWEEN $first::DATE AND $last::DATE
),
sizes AS (
    SELECT cohort, count(*) AS eligible FROM cohort GROUP BY cohort
),
grid AS (
    SELECT cohort, eligible,
           unnest(range(0, (year($today::DATE) - year(cohort)) * 12
                           + month($today::DATE) - month(cohort) + 1)) AS k
    FROM sizes
),
months AS (
    SELECT person, date_trunc('month', {day})::DATE AS month,
           bool_or(name = 'Order Completed') AS ordered,
           sum(revenue_fen) FILTER (WHERE name = 'Order Completed') AS revenue
    FROM {table} GROUP BY person, month
),
cells AS (
    SELECT c.cohort, (year(m.month) - year(c.cohort)) * 12 + month(m.month) - month(c.cohort) AS k,
           count(*) FILTER (WHERE m.ordered) AS ordered, count(*) AS active,
           coalesce(sum(m.revenue), 0) AS revenue
    FROM months m JOIN cohort c USING (person)
    GROUP BY ALL
)
SELECT strftime(g.cohort, '%Y-%m-%d'), g.k, g.eligible,
       coalesce(c.ordered, 0), coalesce(c.active, 0), coalesce(c.revenue, 0)
FROM grid g LEFT JOIN cells c USING (cohort, k)
ORDER BY g.cohort, g.k
"""
PARAMS = {"tz": tz, "first": first, "last": last, "today": today}


def timed(sql):
    """RUNS runs of the query: their wall and CPU times (all threads) in ms, and the last
    run's cells."""
    times, cpu, cells = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        cells = con.execute(sql, PARAMS).fetchall()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return times, cpu, [[c[0], c[1], c[2], c[3], c[4], int(c[5])] for c in cells]


# The comparison: the events as they are, each instant put in the store's calendar by the query.
ms, cpu_ms, cells = timed(SQL.format(table="events", day="(at_utc AT TIME ZONE $tz)::DATE"))

# For the record, like Rekindle's profiles (whose fold marks each event's local day): the
# local day kept as a column at load (not counted), the same query reading it.
start = time.perf_counter()
con.execute("CREATE TABLE events_local AS SELECT *, (at_utc AT TIME ZONE ?)::DATE AS day FROM events", [tz])
local_load_ms = (time.perf_counter() - start) * 1000
local_ms, local_cpu_ms, local_cells = timed(SQL.format(table="events_local", day="day"))

print(
    json.dumps(
        {
            "duckdb": duckdb.__version__,
            "rows": rows,
            "load_ms": load_ms,
            "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
            "ms": ms,
            "cpu_ms": cpu_ms,
            "cells": cells,
            "local_day": {"load_ms": local_load_ms, "ms": local_ms, "cpu_ms": local_cpu_ms, "cells": local_cells},
        }
    )
)
