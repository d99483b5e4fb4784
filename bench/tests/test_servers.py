"""Which scenario points each server takes part in: echod --splice at the
streaming point and the 4 KiB and 64 B ping-pong at 100 connections only."""
import unittest

from harness import servers


class SplicePointTest(unittest.TestCase):
    def setUp(self):
        self.srv = servers.echod_splice({"echod": "bin/echod"})

    def test_streaming_and_small_messages_at_100_connections(self):
        for point in ({"size": 65536, "conns": 10, "pipeline": 4},
                      {"size": 4096, "conns": 100, "pipeline": 1},
                      {"size": 64, "conns": 100, "pipeline": 1}):
            self.assertTrue(self.srv.supports(point), point)

    def test_not_elsewhere(self):
        for point in ({"size": 64, "conns": 1, "pipeline": 1},
                      {"size": 64, "conns": 1000, "pipeline": 1},
                      {"size": 64, "conns": 100, "pipeline": 16},
                      {"size": 64, "conns": 100, "rate": 50000}):
            self.assertFalse(self.srv.supports(point), point)

    def test_runs_echod_with_one_worker_and_splice(self):
        self.assertEqual(self.srv.command("127.0.0.1:0"),
                         ["bin/echod", "--listen", "127.0.0.1:0", "--workers", "1", "--splice"])


if __name__ == "__main__":
    unittest.main()
