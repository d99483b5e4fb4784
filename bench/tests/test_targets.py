"""The targets table's own verdicts: fairness not measurable on a
saturated load core, and a target out of user space's reach."""
import unittest

from harness import targets


def rec(scenario, point, server, run, **metrics):
    return {"scenario": scenario, "point": point, "server": server, "run": run, "ok": True,
            "params": {}, "metrics": metrics}


def fairness(load_busy, ratios):
    return [rec("fairness", "p", "echod", r, p99_ratio=x, load_core_busy_flood=load_busy,
                flood_mb_per_s=100.0) for r, x in enumerate(ratios)]


class FairnessTest(unittest.TestCase):
    def test_a_saturated_load_core_is_not_measurable(self):
        (_, measured, verdict), = targets.fairness_rows(fairness(0.97, [1.1] * 5))
        self.assertTrue(verdict.startswith("not measurable"))
        self.assertIn("100 MB/s", measured)

    def test_below_saturation_the_ratios_decide(self):
        (_, _, verdict), = targets.fairness_rows(fairness(0.6, [1.1, 1.5, 1.9, 1.2, 1.3]))
        self.assertEqual(verdict, "**met**")
        (_, _, verdict), = targets.fairness_rows(fairness(0.6, [1.1, 1.5, 2.9, 1.2, 1.3]))
        self.assertEqual(verdict, "within noise")


def cps(echod_kernel, echod_core, nginx_core):
    out = []
    for r in range(5):
        out.append(rec("cps", "32 in flight", "echod", r, server_core_kernel_us=echod_kernel,
                       server_core_us=echod_core, ops_per_s=1000.0))
        out.append(rec("cps", "32 in flight", "nginx", r, server_core_kernel_us=nginx_core * 0.9,
                       server_core_us=nginx_core, ops_per_s=1000.0))
    return out


class UnreachableTest(unittest.TestCase):
    def row(self, recs):
        return targets.unreachable(recs).split("\n| hello-and-close at 1 worker: server")[1]

    def test_kernel_time_alone_above_the_target_is_out_of_reach(self):
        # echod's kernel part alone is 27/30 = 0.9x nginx's whole core time
        self.assertIn("out of user space's reach", self.row(cps(27.0, 28.0, 30.0)))

    def test_otherwise_the_usual_verdict(self):
        # kernel part 0.5x, whole core 0.6x: met, and reachable
        row = self.row(cps(15.0, 18.0, 30.0))
        self.assertNotIn("out of user space's reach", row)
        self.assertIn("**met**", row)


if __name__ == "__main__":
    unittest.main()
