"""bench/tcpload-cost's arithmetic: one run's figures from tcpload's JSON
report and the server's CPU time and sleeps, and the medians over a
variant's runs; and the /proc reader of a process's sleeps."""
import importlib.machinery
import importlib.util
import os
import time
import unittest

from harness import sysinfo

_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                     "tcpload-cost")
_loader = importlib.machinery.SourceFileLoader("tcpload_cost", _PATH)
_spec = importlib.util.spec_from_loader("tcpload_cost", _loader)
cost = importlib.util.module_from_spec(_spec)
_loader.exec_module(cost)


def report(us_per_unit, sleeps, started, p50, verdict="kept", rate=50000):
    return {"cpu": {"us_per_unit": us_per_unit, "sleeps": sleeps},
            "latency_us": {"message": {"p50": p50, "p99": 4 * p50}},
            "totals": {"started": started}, "config": {"rate": rate},
            "rate": {"verdict": verdict}}


class RunRowTest(unittest.TestCase):
    def test_core_share_sleeps_and_server_cost_per_message(self):
        r = cost.run_row(report(8.0, 10000, 200000, 55.0), 1.2, 13000)
        self.assertAlmostEqual(r["core"], 0.4)
        self.assertAlmostEqual(r["sleeps_per_msg"], 0.05)
        self.assertAlmostEqual(r["server_us_per_msg"], 6.0)
        self.assertAlmostEqual(r["server_sleeps_per_msg"], 0.065)
        self.assertEqual((r["p50_us"], r["p99_us"], r["verdict"]), (55.0, 220.0, "kept"))

    def test_a_run_that_started_nothing_divides_by_nothing(self):
        r = cost.run_row(report(0.0, 0, 0, 0.0), 0.5, 7)
        self.assertEqual((r["sleeps_per_msg"], r["server_us_per_msg"],
                          r["server_sleeps_per_msg"]), (0.0, 0.0, 0.0))


class SummarizeTest(unittest.TestCase):
    def test_median_spread_and_runs_that_kept_the_rate(self):
        rows = [cost.run_row(report(u, 1000, 100000, 50.0, v), 0.6, 100)
                for u, v in ((9.0, "kept"), (7.0, "sends_late"), (8.0, "kept"))]
        s = cost.summarize(rows)
        u = s["us_per_msg"]
        self.assertEqual((u.median, u.lo, u.hi, u.n), (8.0, 7.0, 9.0, 3))
        self.assertEqual(s["kept"], 2)


class SleepsTest(unittest.TestCase):
    def test_a_sleep_counts_once_more(self):
        before = sysinfo.sleeps(os.getpid())
        time.sleep(0.01)
        self.assertGreater(sysinfo.sleeps(os.getpid()), before)


if __name__ == "__main__":
    unittest.main()
