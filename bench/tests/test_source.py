"""The dirty-tree check: what counts as dirty, and the refusal."""
import os
import subprocess
import tempfile
import unittest

from harness import results, source


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


class TreeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-test-")
        self.root = self.tmp.name
        git(self.root, "init", "-q")
        with open(os.path.join(self.root, ".gitignore"), "w") as f:
            f.write("/results/\n")
        with open(os.path.join(self.root, "a.c"), "w") as f:
            f.write("int a;\n")
        git(self.root, "add", ".")
        git(self.root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def test_clean_tree_passes(self):
        st = source.state(self.root)
        self.assertEqual(st["dirty"], [])
        self.assertEqual(len(source.label(st)), 40)
        source.require_clean(st, "test")

    def test_ignored_files_do_not_count(self):
        self.write("results/run/results.json", "{}")
        self.assertEqual(source.state(self.root)["dirty"], [])

    def test_a_modified_file_is_refused(self):
        self.write("a.c", "int b;\n")
        st = source.state(self.root)
        self.assertEqual(st["dirty"], ["a.c"])
        self.assertTrue(source.label(st).endswith("-dirty"))
        with self.assertRaisesRegex(source.DirtyTree, r"report refused.*a\.c.*--allow-dirty"):
            source.require_clean(st, "report")

    def test_an_untracked_file_is_refused(self):
        # the Makefile's wildcards build an untracked lib/*.c too
        self.write("lib/new.c", "int c;\n")
        self.assertEqual(source.state(self.root)["dirty"], ["lib/new.c"])

    def test_a_stored_run_says_whether_it_was_dirty(self):
        meta = {"commit": "abc-dirty", "dirty_paths": ["a.c"]}
        self.assertEqual(results.tree(meta), {"commit": "abc", "dirty": ["a.c"]})
        self.assertEqual(results.tree({"commit": "abc"})["dirty"], [])
        self.assertTrue(results.tree({"commit": "abc-dirty"})["dirty"])


class PorcelainTest(unittest.TestCase):
    def test_renames_name_the_new_path(self):
        self.assertEqual(source.parse_porcelain(" M a.c\nR  old.c -> new.c\n?? x/y\n"),
                         ["a.c", "new.c", "x/y"])


if __name__ == "__main__":
    unittest.main()
