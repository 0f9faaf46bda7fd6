"""Independent reference for `rekindle report cohorts|repurchase` over CDNOW_master.txt.

Plain Python, no Rekindle code: reads the raw transaction file (customer id, date YYYYMMDD,
CDs, dollars) and prints, as CSV,
  cohort,period,buyers,ordered        for the monthly cohort matrix by first-purchase month
  repurchase,month,new,within7,within30   for the 7- and 30-day repurchase of new buyers
where `ordered` is how many of the cohort bought in calendar month `period` after their first,
and `withinN` how many bought again on another day at most N days after their first.

Usage: python3 scripts/reference/cdnow_cohorts.py CDNOW_master.txt[.gz] 1998-06-30
"""

import datetime as dt
import gzip
import sys
from collections import defaultdict


def main(path: str, last: str) -> None:
    opener = gzip.open if path.endswith(".gz") else open
    days = defaultdict(set)
    with opener(path, "rt") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 4 or parts[0] == "customer_id":
                continue
            days[parts[0]].add(dt.datetime.strptime(parts[1], "%Y%m%d").date())
    today = dt.date.fromisoformat(last)
    month = lambda d: d.year * 12 + d.month - 1
    cells = defaultdict(set)  # (cohort month, k) -> customers
    buyers = defaultdict(int)
    new = defaultdict(lambda: [0, 0, 0])
    for customer, ds in days.items():
        ds = sorted(ds)
        first = ds[0]
        c = month(first)
        buyers[c] += 1
        for d in ds:
            cells[(c, month(d) - c)].add(customer)
        gap = (ds[1] - first).days if len(ds) > 1 else None
        row = new[c]
        row[0] += 1
        row[1] += gap is not None and gap <= 7
        row[2] += gap is not None and gap <= 30
    name = lambda m: f"{m // 12:04d}-{m % 12 + 1:02d}-01"
    for c in sorted(buyers):
        for k in range(month(today) - c + 1):
            print(f"cohort,{name(c)},{k},{buyers[c]},{len(cells[(c, k)])}")
    for c in sorted(new):
        n, w7, w30 = new[c]
        print(f"repurchase,{name(c)},{n},{w7},{w30}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
