"""What the harness reads from /proc and from tcpload and echod output."""
import os
import tempfile
import unittest

from harness import load, scaling, scenarios, sysinfo

STAT = """cpu  10 0 10 100 0 0 0 0 0 0
cpu0 100 0 50 800 0 0 50 0 0 0
cpu1 200 100 100 100 100 0 0 400 0 0
intr 1
"""


class StatTest(unittest.TestCase):
    def test_busy_excludes_steal_and_idle(self):
        hz = sysinfo.HZ
        before = {c: {k: 0.0 for k in v} for c, v in sysinfo.parse_stat(STAT).items()}
        busy = sysinfo.core_busy(before, sysinfo.parse_stat(STAT))
        # cpu0: user 100, kernel 50 + 50 softirq, idle 800: busy 200 of 1000
        self.assertAlmostEqual(busy[0]["share"], 0.2)
        self.assertAlmostEqual(busy[0]["kernel"], 0.1)
        # cpu1: user+nice 300, system 100, idle+iowait 200, steal 400 of 1000
        self.assertAlmostEqual(busy[1]["share"], 0.4)
        self.assertAlmostEqual(busy[1]["steal"], 0.4)
        self.assertAlmostEqual(sysinfo.parse_stat(STAT)[1]["user"], 300 / hz)


HGRM = """       Value     Percentile TotalCount 1/(1-Percentile)

      10.000 0.000000000000          1           1.00
      10.000 0.500000000000         50           2.00
      20.000 0.900000000000         90          10.00
      30.000 0.990000000000         99         100.00
      40.000 1.000000000000        100
#[Mean    =       15.000, StdDeviation   =        5.000]
#[Max     =       40.000, Total count    =          100]
"""


class HistogramTest(unittest.TestCase):
    def hgrm(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".hgrm", delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        return load.read_hgrm(f.name)

    def test_hgrm_rows_and_samples(self):
        rows, samples = self.hgrm(HGRM)
        self.assertEqual(samples, 100)
        self.assertEqual(rows[0], (10.0, 0.0))
        self.assertEqual(rows[-1], (40.0, 100.0))

    def test_spectrum_stops_where_the_samples_do(self):
        # 100 samples: 99% is resolvable, 99.9% is not; 100 is the maximum
        self.assertEqual(load.spectrum(*self.hgrm(HGRM), (50, 90, 99, 99.9, 100)),
                         [(50, 10.0), (90, 20.0), (99, 30.0), (100, 40.0)])

    def test_a_percentile_between_rows_takes_the_next_value(self):
        self.assertEqual(load.spectrum(*self.hgrm(HGRM), (75,)), [(75, 20.0)])

    def test_stored_summary_drops_the_raw_buckets(self):
        self.assertEqual(load.stored({"a": 1, "histograms": {}, "counters": {}}), {"a": 1})


class IntervalTest(unittest.TestCase):
    def test_interval_lines_in_order_summary_and_text_skipped(self):
        text = ('{"type":"interval","index":-1,"start_s":-0.1,"end_s":0.0,"phase":"warmup",'
                '"completed":0,"per_second":0.0,"latency_us":{"message":{"count":0,"p50":null,'
                '"p99":null,"max":null}}}\n'
                'interval    0.00-0.10s window ...\n'
                '{"type":"interval","index":0,"start_s":0.0,"end_s":0.1,"phase":"window",'
                '"completed":5,"per_second":50.0,"latency_us":{"message":{"count":5,"p50":10.5,'
                '"p99":20.25,"max":30}}}\n'
                '{"type":"summary","messages":5}\n')
        self.assertEqual(load.intervals(text), [(-0.1, 0.0, None, None, None),
                                                (0.0, 50.0, 10.5, 20.25, 30)])


class EchodSummaryTest(unittest.TestCase):
    def test_worker_accepts_from_the_json_summary(self):
        text = ('not json\n{"type":"summary","accepted":7,'
                '"workers":[{"accepted":3,"active":0},{"accepted":4,"active":0}]}\n')
        self.assertEqual(load.worker_accepts(text), [3, 4])
        self.assertIsNone(load.worker_accepts("listening on 127.0.0.1:1\n"))


class CoresTest(unittest.TestCase):
    def test_worker_counts_need_a_load_core_each(self):
        self.assertEqual(scaling.worker_counts(2), ([1], [2]))
        self.assertEqual(scaling.worker_counts(3), ([1], [2]))
        self.assertEqual(scaling.worker_counts(16), ([1, 2, 4, 8], [16]))
        self.assertEqual(scaling.worker_counts(16, most=2), ([1, 2], []))

    def test_two_cores_add_an_accepts_only_point_on_one_core(self):
        points, unmeasured = scaling.plan(2)
        self.assertEqual([(p.workers, p.srv_cpus, p.load_cpus, p.accepts_only) for p in points],
                         [(1, [0], [1], False), (2, [0], [1], True)])
        self.assertEqual(unmeasured, [2])
        points, _ = scaling.plan(8)
        self.assertEqual([(p.workers, p.load_cpus) for p in points],
                         [(1, [1]), (2, [2, 3]), (4, [4, 5, 6, 7])])

    def test_the_flood_gets_its_own_core_from_four(self):
        self.assertEqual(scenarios.flood_cpu(2, 0, 1), 1)
        self.assertEqual(scenarios.flood_cpu(3, 0, 1), 1)
        self.assertEqual(scenarios.flood_cpu(4, 0, 1), 2)
        self.assertEqual(scenarios.flood_cpu(8, 2, 0), 1)


class KneeTest(unittest.TestCase):
    def rec(self, srv, run, verdict, share):
        return {"scenario": "latency", "point": "p", "server": srv, "run": run, "ok": True,
                "metrics": {"rate_verdict": verdict, "rate_done_share": share}}

    def test_a_load_that_only_sent_late_is_not_the_servers_fault(self):
        self.assertFalse(scenarios.behind({"rate_verdict": "sends_late", "rate_done_share": 1}))
        self.assertTrue(scenarios.behind({"rate_verdict": "sends_late", "rate_done_share": 0.9}))
        self.assertTrue(scenarios.behind({"rate_verdict": "replies_behind",
                                          "rate_done_share": 0.98}))
        self.assertFalse(scenarios.behind({"rate_verdict": None, "rate_done_share": None}))

    def test_a_server_breaks_when_most_runs_fall_behind(self):
        recs = [self.rec("a", r, "kept", 1.0) for r in range(3)] + \
               [self.rec("b", 0, "replies_behind", 0.9), self.rec("b", 1, "kept", 0.99),
                self.rec("b", 2, "sends_late", 0.5)] + \
               [self.rec("c", 0, "replies_behind", 0.9), self.rec("c", 1, "kept", 1.0),
                self.rec("c", 2, "sends_late", 1.0)]
        self.assertEqual(scenarios.broke(recs, "latency", "p"), ["b"])


if __name__ == "__main__":
    unittest.main()
