"""Verdict arithmetic: medians of per-run ratios, their spread, and the
verdict rule (met, missed, within noise, too few runs)."""
import unittest

from harness import stats


def rec(server, run, value, ok=True, point="p"):
    return {"scenario": "s", "point": point, "server": server, "run": run, "ok": ok,
            "metrics": {"x": value}}


class RatioTest(unittest.TestCase):
    def test_median_of_per_run_ratios_not_ratio_of_medians(self):
        # echod 10, 20, 30; libuv 20, 10, 30: medians are equal (20 and 20)
        # but the per-run ratios are 0.5, 2, 1, whose median is 1.
        recs = [rec("echod", r, v) for r, v in enumerate((10, 20, 30))] + \
               [rec("libuv", r, v) for r, v in enumerate((20, 10, 30))]
        s = stats.ratio(recs, "s", "p", "echod", "x", base="libuv")
        self.assertEqual((s.n, s.median, s.lo, s.hi), (3, 1.0, 0.5, 2.0))

    def test_ratio_pairs_runs_and_skips_failed_ones(self):
        recs = [rec("echod", 0, 10), rec("echod", 1, 10, ok=False), rec("echod", 2, 30),
                rec("libuv", 0, 5), rec("libuv", 1, 5), rec("libuv", 2, 10)]
        s = stats.ratio(recs, "s", "p", "echod", "x", base="libuv")
        self.assertEqual(sorted([s.lo, s.hi]), [2.0, 3.0])
        self.assertEqual(s.n, 2)

    def test_ratio_against_another_point(self):
        recs = [rec("a", 0, 8, point="big"), rec("a", 0, 2, point="one")]
        s = stats.ratio(recs, "s", "big", "a", "x", base="a", base_point="one")
        self.assertEqual(s.median, 4.0)

    def test_summary_of_nothing_is_false(self):
        s = stats.Summary([None])
        self.assertFalse(s)
        self.assertIsNone(s.median)


class VerdictTest(unittest.TestCase):
    at_least_one = stats.Target(">=", 1.0)
    at_most_two = stats.Target("<=", 2.0)

    def v(self, vals, target, min_runs=5):
        return stats.verdict(stats.Summary(vals), target, min_runs)

    def test_met_when_every_run_keeps_the_target(self):
        self.assertEqual(self.v([1.0, 1.1, 1.2, 1.05, 1.3], self.at_least_one), stats.MET)

    def test_missed_when_no_run_keeps_it(self):
        self.assertEqual(self.v([2.1, 2.5, 3, 2.2, 9], self.at_most_two), stats.MISSED)

    def test_within_noise_when_the_spread_straddles_it(self):
        # median 0.95 misses, but one run keeps it: within noise, not missed
        self.assertEqual(self.v([0.85, 0.9, 0.95, 0.97, 1.02], self.at_least_one), stats.NOISE)
        # median keeps it, one run does not: within noise, not met
        self.assertEqual(self.v([0.99, 1.1, 1.2, 1.3, 1.4], self.at_least_one), stats.NOISE)

    def test_the_bound_itself_keeps_the_target(self):
        self.assertEqual(self.v([1.0] * 5, self.at_least_one), stats.MET)
        self.assertEqual(self.v([2.0] * 5, self.at_most_two), stats.MET)

    def test_too_few_runs_for_a_verdict(self):
        self.assertEqual(self.v([1.5] * 4, self.at_least_one), stats.FEW)
        self.assertEqual(self.v([1.5], self.at_least_one, min_runs=1), stats.MET)

    def test_not_measured_without_runs(self):
        self.assertEqual(self.v([], self.at_least_one), stats.UNMEASURED)

    def test_target_refuses_an_unknown_operator(self):
        with self.assertRaises(ValueError):
            stats.Target("<", 1)


if __name__ == "__main__":
    unittest.main()
