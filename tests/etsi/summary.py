"""Summarises a run of the ETSI NGSI-LD suite (Robot's output.xml).

Usage: summary.py OUTPUT_XML SUMMARY_MD FAILURES_TSV [TRACE_JSONL [ETSI_TP]]

ETSI_TP is the TP/ folder of ETSI's own suite as the mirror imported it:
a test whose name is in the same file there is counted as ETSI's, any
other as the mirror's extension (its own additions for v1.9.1).

Counts passed, failed and skipped tests per group (the suite's folder two
levels under TP/NGSI-LD, e.g. ContextInformation/Provision/Entities),
writes them as a Markdown table, lists every failed test with its file and
the first line of Robot's message in a TSV (with the last request to the
broker before the failure, from pendopo_auth.py's trace), and prints the table and the
closing `N passed, N failed` line.
"""

import collections
import json
import os
import sys

from robot.api import ExecutionResult, ResultVisitor


def group_of(source):
    parts = str(source).replace("\\", "/").split("/")
    if "NGSI-LD" in parts:
        rest = parts[parts.index("NGSI-LD") + 1 :]
        return "/".join(rest[:3]) if len(rest) > 3 else "/".join(rest[:-1])
    return "other"


def file_of(source):
    path = str(source).replace("\\", "/")
    return path[path.index("TP/") :] if "TP/" in path else path


def test_names(path):
    """The names of the test cases a .robot file defines."""
    names, in_tests = set(), False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("***"):
                in_tests = "test case" in line.lower()
            elif in_tests and line.strip() and not line[0].isspace() and not line.startswith("#"):
                names.add(line.split("  ")[0].strip())
    return names


class Collect(ResultVisitor):
    def __init__(self, etsi_tp):
        self.counts = collections.defaultdict(collections.Counter)
        self.failed = []
        self.etsi_tp = etsi_tp if etsi_tp and os.path.isdir(etsi_tp) else None
        self.etsi_names = {}

    def origin(self, test):
        if not self.etsi_tp:
            return "etsi"
        rel = file_of(test.source)[len("TP/") :]
        if rel not in self.etsi_names:
            path = os.path.join(self.etsi_tp, rel)
            self.etsi_names[rel] = test_names(path) if os.path.exists(path) else set()
        return "etsi" if test.name in self.etsi_names[rel] else "extension"

    def visit_test(self, test):
        group = group_of(test.source)
        origin = self.origin(test)
        self.counts[group][(origin, test.status)] += 1
        if test.status == "FAIL":
            message = (test.message or "").strip().splitlines()
            self.failed.append((group, origin, test.name, file_of(test.source), message[0][:300] if message else ""))


def last_requests(trace):
    """(file, test) -> 'METHOD path -> status answer' of the last request."""
    seen = {}
    if trace and os.path.exists(trace):
        with open(trace) as f:
            for line in f:
                t = json.loads(line)
                if t["requests"]:
                    method, path, status, body = t["requests"][-1]
                    seen[(file_of(t["file"]), t["test"])] = f"{method} {path} -> {status} {body}"
    return seen


def main(output_xml, summary_md, failures_tsv, trace=None, etsi_tp=None):
    collect = Collect(etsi_tp)
    ExecutionResult(output_xml).visit(collect)
    total = collections.Counter()
    lines = [
        "| group | ETSI passed | ETSI failed | extension passed | extension failed | skipped |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]

    def row(name, c):
        skipped = c[("etsi", "SKIP")] + c[("extension", "SKIP")]
        cells = [c[("etsi", "PASS")], c[("etsi", "FAIL")], c[("extension", "PASS")], c[("extension", "FAIL")], skipped]
        return f"| {name} | " + " | ".join(str(n) for n in cells) + " |"

    for group in sorted(collect.counts):
        total.update(collect.counts[group])
        lines.append(row(group, collect.counts[group]))
    lines.append(row("**all**", total))
    with open(summary_md, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(failures_tsv, "w") as f:
        f.write("group\torigin\ttest\tfile\tmessage\tlast request\n")
        last = last_requests(trace)
        for failed in collect.failed:
            failed = failed + (last.get((failed[3], failed[2]), ""),)
            f.write("\t".join(v.replace("\t", " ").replace("\n", " ") for v in failed) + "\n")
    print("\n".join(lines))
    for origin in ["etsi", "extension"]:
        passed, failed, skipped = (total[(origin, s)] for s in ["PASS", "FAIL", "SKIP"])
        print(f"{origin}: {passed} passed, {failed} failed, {skipped} skipped")
    passed, failed = (total[("etsi", s)] + total[("extension", s)] for s in ["PASS", "FAIL"])
    print(f"\n{passed} passed, {failed} failed")


if __name__ == "__main__":
    main(*sys.argv[1:6])
