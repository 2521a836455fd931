"""A trial for the sweep tests: loss = (x-3)^2 + (y+1)^2 + 1/(step+1), logged per step.

No sweep code here: heron.init() takes the trial's parameters from heron agent. With
--hold FILE the trial hangs after its first point while FILE exists (an agent is
killed meanwhile); a far-off x waits a little after step 1 so the pruner sees it.
"""

import argparse
import os
import time

import heron

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float, required=True)
parser.add_argument("--hold")
args = parser.parse_args()
run = heron.init(system_metrics=False, capture=False, capture_console=False)
x, y = run.config["x"], run.config.get("y", 0.0)
assert x == args.x, (x, args.x)  # the argv and the config agree
for step in range(5):
    run.log({"loss": (x - 3) ** 2 + (y + 1) ** 2 + 1.0 / (step + 1)}, step=step)
    if step == 1:
        run.flush()  # in the store now: the agent's pruner sees it
    while args.hold and os.path.exists(args.hold):
        time.sleep(0.05)
    if step == 1 and abs(x - 3) > 3:
        time.sleep(0.5)
run.finish()
