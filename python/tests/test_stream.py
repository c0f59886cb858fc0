"""test_stream.py -- the parq Python binding: value conversion (ints, floats,
bools, strings, lists, structs, nulls), rank shares, exact resume through
state_dict/load_state_dict, refusal of a foreign state, epochs, projection
and the __arrow_c_stream__ capsule. Skips when libparq.so (or the parq
binary used to write test data) is not found."""
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import parq  # noqa: E402
from parq import _lib  # noqa: E402


def _find_bin():
    cands = [os.environ.get("PARQ_BIN")]
    if os.environ.get("PARQ_LIBRARY"):
        cands.append(os.path.join(os.path.dirname(os.environ["PARQ_LIBRARY"]), "parq"))
    cands.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "parq"))
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


SIZES = [250, 300, 130]  # 100-row row groups: 100,100,50 | 100,100,100 | 100,30
TOTAL = sum(SIZES)


def _row(i):
    return {"id": i, "x": i * 0.5, "flag": i % 2 == 0, "s": None if i % 7 == 0 else "r%d" % i,
            "tags": None if i % 11 == 0 else list(range(i % 4)),
            "st": {"a": None if i % 5 == 0 else i * 2, "b": "b%d" % i}}


class StreamTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        try:
            _lib.load()
        except OSError as e:
            raise unittest.SkipTest("libparq.so not found: %s" % e)
        binary = _find_bin()
        if not binary:
            raise unittest.SkipTest("parq binary not found (set PARQ_BIN) to write test data")
        cls.tmp = tempfile.mkdtemp(prefix="parq_py_")
        cls.ds = os.path.join(cls.tmp, "ds")
        cls.other = os.path.join(cls.tmp, "other")
        os.makedirs(cls.ds)
        os.makedirs(cls.other)
        lo = 0
        for k, n in enumerate(SIZES):
            src = os.path.join(cls.tmp, "in%d.jsonl" % k)
            with open(src, "w") as f:
                for i in range(lo, lo + n):
                    f.write(json.dumps(_row(i)) + "\n")
            subprocess.run([binary, "convert", src, "-o", os.path.join(cls.ds, "shard_%05d.parquet" % k),
                            "--row-group-rows", "100", "--quiet"], check=True)
            lo += n
        src = os.path.join(cls.tmp, "o.jsonl")
        with open(src, "w") as f:
            for i in range(200):
                f.write(json.dumps({"id": i}) + "\n")
        subprocess.run([binary, "convert", src, "-o", os.path.join(cls.other, "shard_00000.parquet"),
                        "--row-group-rows", "100", "--quiet"], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def ids(self, s):
        out = []
        for b in s:
            out.extend(b["id"])
        return out

    def test_values(self):
        rows = []
        for b in parq.stream(self.ds, batch_rows=64):
            n = len(b["id"])
            self.assertTrue(all(len(v) == n for v in b.values()))
            rows.extend(dict(zip(b.keys(), vals)) for vals in zip(*b.values()))
        self.assertEqual(len(rows), TOTAL)
        for i in (0, 1, 7, 11, 63, 64, 99, 100, 249, 250, 679):
            want = _row(i)
            got = rows[i]
            self.assertEqual(got["id"], i)
            self.assertEqual(got["x"], want["x"])
            self.assertIs(got["flag"], want["flag"])
            self.assertEqual(got["s"], want["s"])
            self.assertEqual(got["tags"], want["tags"])
            self.assertEqual(got["st"], want["st"])

    def test_string_views_same_values(self):
        plain = [b for b in parq.stream(self.ds, batch_rows=37)]
        views = [b for b in parq.stream(self.ds, batch_rows=37, string_views=True)]
        self.assertEqual(plain, views)

    def test_rank_shares(self):
        for world in (1, 2, 3, 5):
            seen = []
            for rank in range(world):
                seen.extend(self.ids(parq.stream(self.ds, rank=rank, world=world, columns=["id"], batch_rows=50)))
            self.assertEqual(sorted(seen), list(range(TOTAL)), "world %d" % world)

    def test_resume(self):
        kw = dict(rank=1, world=2, columns=["id"], batch_rows=40, epochs=3, seed=11, shuffle=True)
        full = self.ids(parq.stream(self.ds, **kw))
        self.assertGreater(len(full), 600)  # rank 1 of 2: row-group sizes vary per epoch
        for cut in (0, 1, 5, 9, 26):
            s = parq.stream(self.ds, **kw)
            got = []
            for _ in range(cut):
                b = next(s, None)
                if b is None:
                    break
                got.extend(b["id"])
            state = s.state_dict()
            s.close()
            self.assertEqual(state["version"], 1)
            self.assertEqual(state["world"], 2)
            s2 = parq.stream(self.ds, **dict(kw, prefetch=0))
            s2.load_state_dict(state)
            got.extend(self.ids(s2))
            self.assertEqual(got, full, "cut %d" % cut)
        # state= in the constructor works the same way
        s = parq.stream(self.ds, **kw)
        first = next(s)["id"]
        rest = self.ids(parq.stream(self.ds, state=s.state_dict(), **kw))
        self.assertEqual(first + rest, full)

    def test_foreign_state_refused(self):
        s = parq.stream(self.ds, columns=["id"])
        next(s)
        state = s.state_dict()
        with self.assertRaises(parq.ParqError) as cm:
            parq.stream(self.other, state=state)
        self.assertEqual(cm.exception.code, -1)
        self.assertIn("another dataset", str(cm.exception))
        with self.assertRaises(parq.ParqError):
            parq.stream(self.ds, world=2, state=state)
        with self.assertRaises(RuntimeError):
            s.load_state_dict(state)  # already iterating

    def test_epochs(self):
        a = self.ids(parq.stream(self.ds, columns=["id"], batch_rows=1000, epochs=3, seed=3))
        b = self.ids(parq.stream(self.ds, columns=["id"], batch_rows=1000, epochs=3, seed=3, prefetch=0))
        c = self.ids(parq.stream(self.ds, columns=["id"], batch_rows=1000, epochs=3, seed=4))
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)
        self.assertEqual(a[:TOTAL], list(range(TOTAL)))
        self.assertNotEqual(a[TOTAL:2 * TOTAL], a[2 * TOTAL:])
        self.assertEqual(sorted(a[TOTAL:2 * TOTAL]), list(range(TOTAL)))

    def test_projection_and_limit_errors(self):
        b = next(parq.stream(self.ds, columns=["s", "st"]))
        self.assertEqual(sorted(b), ["s", "st"])
        with self.assertRaises(parq.ParqError) as cm:
            next(parq.stream(self.ds, columns=["missing"]))
        self.assertIn("missing", str(cm.exception))
        with self.assertRaises(parq.ParqError) as cm:
            next(parq.stream(self.ds, memory_limit=500))
        self.assertEqual(cm.exception.code, -4)

    def test_arrow_c_stream(self):
        s = parq.stream(self.ds, columns=["id", "s"], batch_rows=100)
        cap = s.__arrow_c_stream__()
        api = ctypes.pythonapi
        api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
        api.PyCapsule_IsValid.restype = ctypes.c_int
        self.assertEqual(api.PyCapsule_IsValid(cap, b"arrow_array_stream"), 1)
        api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
        ptr = api.PyCapsule_GetPointer(cap, b"arrow_array_stream")
        api.PyCapsule_GetPointer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]  # restore _lib's declaration
        st = _lib.ArrowArrayStream.from_address(ptr)
        sch = _lib.ArrowSchema()
        self.assertEqual(st.get_schema(ctypes.byref(st), ctypes.byref(sch)), 0)
        self.assertEqual(sch.n_children, 2)
        rows = 0
        while True:
            arr = _lib.ArrowArray()
            self.assertEqual(st.get_next(ctypes.byref(st), ctypes.byref(arr)), 0)
            if not arr.release:
                break
            rows += arr.length
            arr.release(ctypes.byref(arr))
        sch.release(ctypes.byref(sch))
        self.assertEqual(rows, TOTAL)
        del cap  # the destructor releases the stream

        try:
            import pyarrow  # noqa: F401
        except ImportError:
            return
        reader = pyarrow.RecordBatchReader.from_stream(parq.stream(self.ds, columns=["id"]))
        self.assertEqual(reader.read_all().num_rows, TOTAL)


if __name__ == "__main__":
    unittest.main()
