"""What the ckanapi test scripts share: a check that stops the script at the
first failure, and one that expects an exception (a CKAN error)."""

import sys

checks = 0


def check(condition, what):
    global checks
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1


def raises(exception, fn, what, **kwargs):
    try:
        fn(**kwargs)
    except exception as e:
        check(True, what)
        return e
    check(False, f"{what}: no {exception.__name__}")


def passed(name):
    print(f"{name}: {checks} checks passed")
