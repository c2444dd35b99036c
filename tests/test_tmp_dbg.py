import sys, hashlib
from tests.test_fuzz import SplitBugDriver
import harness.fuzz as F
orig = F._Examiner.run
log = []
def run(self, scenario, full=False):
    r = orig(self, scenario, full=full)
    log.append(hashlib.md5(scenario.model_dump_json().encode()).hexdigest()[:6] + ("F" if r[1] else ("n" if r[0].status=="n/a" else "p")))
    return r
F._Examiner.run = run
from harness.cli import main
def test_x(capsys):
    main(["fuzz", "--driver", SplitBugDriver.name, "--seed", "7", "--examples", "60"])
    sys.__stderr__.write(" ".join(log[:80]) + "\n")
if __name__ == "__main__":
    main(["fuzz", "--driver", SplitBugDriver.name, "--seed", "7", "--examples", "60"])
    sys.__stderr__.write(" ".join(log[:80]) + "\n")
