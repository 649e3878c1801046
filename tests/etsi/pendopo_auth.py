"""Robot Framework listener that signs the ETSI suite's requests for Pendopo.

Pendopo's NGSI-LD writes need an API token (`Authorization: Bearer ...`),
and the suite has no variable for an extra header: every keyword builds
its own headers and calls RequestsLibrary. Loaded with
`robot --listener pendopo_auth.py`, this module wraps
`requests.Session.request` once, so that every request to the broker
(URLs starting with PENDOPO_ETSI_URL) carries the token in
PENDOPO_ETSI_TOKEN, unless the test set an Authorization header itself.
Requests elsewhere (the suite's notification servers) are left alone.

Before each test file it deletes every entity through the API (a query
with `idPattern=.*`, then batch deletes) and every subscription: the suite's files assume an
empty broker (its own tooling truncates the broker's tables between runs),
and a file whose teardown failed would otherwise change the counts that
later files' queries expect.

It also keeps each test's requests to the broker (method, path, status,
the start of the answer) and, when PENDOPO_ETSI_TRACE names a file,
appends a JSON line there for every failed test: its file, name, Robot's
message and the requests made before its teardown, so that a failure can
be told from the request that caused it.
"""

import json
import os
from urllib.parse import urlsplit

import requests

ROBOT_LISTENER_API_VERSION = 3

_BASE = os.environ.get("PENDOPO_ETSI_URL", "")
_TOKEN = os.environ.get("PENDOPO_ETSI_TOKEN", "")
_TRACE = os.environ.get("PENDOPO_ETSI_TRACE", "")
_plain_request = requests.Session.request
# Requests made outside a test (a suite's setup) are kept apart, for the
# tests that fail because their suite's setup did.
_test = {"requests": [], "teardown": False, "suite": [], "in_test": False}


def _signed_request(self, method, url, *args, **kwargs):
    if _BASE and _TOKEN and str(url).startswith(_BASE):
        headers = dict(kwargs.get("headers") or {})
        if not any(k.lower() == "authorization" for k in headers):
            headers["Authorization"] = f"Bearer {_TOKEN}"
        kwargs["headers"] = headers
    response = _plain_request(self, method, url, *args, **kwargs)
    if str(url).startswith(_BASE) and not _test["teardown"]:
        parts = urlsplit(response.request.url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        seen = [method.upper(), path, response.status_code, response.text[:400]]
        _test["requests" if _test["in_test"] else "suite"].append(seen)
    return response


def _delete_all_entities():
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {_TOKEN}"
    api = f"{_BASE}/ngsi-ld/v1"
    for _ in range(100):
        # An idPattern alone is no query (clause 6.4.3.2, the suite's 019_03_05): local=true makes it one.
        found = _plain_request(session, "GET", f"{api}/entities", params={"idPattern": ".*", "local": "true", "limit": "1000"})
        if found.status_code != 200:
            raise RuntimeError(f"pendopo_auth: listing the entities to delete: {found.status_code} {found.text[:300]}")
        ids = [e["id"] for e in found.json()]
        if not ids:
            return
        _plain_request(session, "POST", f"{api}/entityOperations/delete", json=ids)


def _delete_all_subscriptions():
    # A file whose test made a subscription it meant to be refused leaves it
    # behind, and the listing tests (031_*) count every subscription.
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {_TOKEN}"
    api = f"{_BASE}/ngsi-ld/v1"
    for _ in range(100):
        found = _plain_request(session, "GET", f"{api}/subscriptions", params={"limit": "1000"})
        if found.status_code != 200:
            raise RuntimeError(f"pendopo_auth: listing the subscriptions to delete: {found.status_code} {found.text[:300]}")
        ids = [s["id"] for s in found.json()]
        if not ids:
            return
        for sid in ids:
            _plain_request(session, "DELETE", f"{api}/subscriptions/{sid}")


def start_suite(data, result):
    _test["suite"] = []
    _test["teardown"] = False
    if str(data.source).endswith(".robot"):
        _delete_all_entities()
        _delete_all_subscriptions()


def start_test(data, result):
    _test["requests"] = []
    _test["teardown"] = False
    _test["in_test"] = True


def start_keyword(data, result):
    if result.type == "TEARDOWN":
        _test["teardown"] = True


def end_test(data, result):
    _test["in_test"] = False
    _test["teardown"] = False
    if _TRACE and result.failed:
        seen = _test["requests"]
        if result.message.startswith("Parent suite setup failed"):
            seen = _test["suite"] + seen
        line = {"file": str(data.source), "test": data.name, "message": result.message, "requests": seen}
        with open(_TRACE, "a") as f:
            f.write(json.dumps(line) + "\n")


if not _BASE or not _TOKEN:
    raise RuntimeError("pendopo_auth: set PENDOPO_ETSI_URL and PENDOPO_ETSI_TOKEN")
requests.Session.request = _signed_request
