"""Profile target: the fast splitter on 2-100-100-100-1 over [-10,10]^2.

Run: ``pyinstrument -r text benchmarks/profile_split.py``.
"""

import time

import regions
from regions.course import mlp

m = mlp((2, 100, 100, 100, 1), 0)
t = time.perf_counter()
n = regions.count_regions(m, (-10, -10, 10, 10))
print(n, time.perf_counter() - t)
