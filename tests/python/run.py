#!/usr/bin/python3
"""Runs unittest modules and prints one TAP line per test, in the counting
convention of tests/real/checks.sh: "ok - ...", "not ok - ...", and
"# SKIP 1 check(s): NAME: REASON" for a skipped test.

    run.py MODULE...        (exit 1 if a test failed or erred)
"""
import os
import sys
import unittest

LABEL = os.environ.get("RUN_LABEL", "")
LABEL = "[%s] " % LABEL if LABEL else ""


class TapResult(unittest.TextTestResult):
    def addSuccess(self, test):
        super().addSuccess(test)
        print("ok - %s%s" % (LABEL, test.id()), flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        print("not ok - %s%s" % (LABEL, test.id()), flush=True)

    def addError(self, test, err):
        super().addError(test, err)
        print("not ok - %s%s (error)" % (LABEL, test.id()), flush=True)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        print("# SKIP 1 check(s): %s%s: %s" % (LABEL, test.id(), reason), flush=True)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            print("not ok - %s%s" % (LABEL, subtest.id()), flush=True)


def main(names):
    suite = unittest.defaultTestLoader.loadTestsFromNames(names)
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=0, resultclass=TapResult)
    result = runner.run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
