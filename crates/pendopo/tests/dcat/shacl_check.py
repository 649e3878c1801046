"""Validates Pendopo's DCAT-AP export with pySHACL against the official
DCAT-AP SHACL shapes vendored in shapes/ (README.md says which files and
why): every page of the catalogue, followed by hydra:nextPage as a
harvester does, and every dataset's own description, in Turtle.
Usage: shacl_check.py BASE_URL
Prints one line per shape set; exits non-zero with pySHACL's report at the
first document with a violation. Warnings (recommended properties Pendopo
does not know, our own concepts beside the EU ones) are counted, not failed."""

import os
import sys
import urllib.request

import pyshacl
import rdflib
from rdflib.namespace import DCAT, RDF, SH

base = sys.argv[1]
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shapes")
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")

V3 = "3.0.0/"
V2 = "2.1.1/dcat-ap_2.1.1_shacl_"
# Per profile of the export (?profile=), the shape sets it must pass.
CHECKS = {
    # DCAT-AP 3, the default: the release's SHACL template with its class
    # range, controlled vocabulary, recommended and deprecation shapes.
    "": [("DCAT-AP 3.0.0", [V3 + "dcat-ap-SHACL.ttl", V3 + "range.ttl", V3 + "mdr-vocabularies.shape.ttl",
                            V3 + "shapes_recommended.ttl", V3 + "deprecateduris.ttl"])],
    # DCAT-AP 2 (xsd:decimal byte sizes): 2.1.1, and 3.0.0's split shape
    # files, whose shapes.ttl still has the 2.x datatype.
    "dcat-ap-2": [
        ("DCAT-AP 3.0.0 split shapes", [V3 + "shapes.ttl", V3 + "range.ttl", V3 + "mdr-vocabularies.shape.ttl",
                                        V3 + "shapes_recommended.ttl", V3 + "deprecateduris.ttl"]),
        ("DCAT-AP 2.1.1", [V2 + "shapes.ttl", V2 + "range.ttl", V2 + "mdr-vocabularies.shape.ttl",
                           V2 + "shapes_recommended.ttl", V2 + "deprecateduris.ttl"]),
    ],
}


def fail(msg):
    print("FAILED:", msg, file=sys.stderr)
    sys.exit(1)


def get(url):
    with urllib.request.urlopen(url) as r:
        return rdflib.Graph().parse(data=r.read().decode("utf-8"), format="turtle")


def documents(profile):
    """The catalogue's pages and each dataset alone, as (url, graph)."""
    suffix = f"&profile={profile}" if profile else ""
    out, datasets = [], []
    url = f"{base}/catalog.ttl?page=1{suffix}"
    while url:
        page = get(url)
        out.append((url, page))
        catalog = page.value(predicate=RDF.type, object=DCAT.Catalog, any=False)
        datasets += sorted(page.objects(catalog, DCAT.dataset))
        paged = page.value(predicate=RDF.type, object=HYDRA.PagedCollection, any=False)
        nxt = page.value(paged, HYDRA.nextPage)
        url = str(nxt) if nxt is not None else None
    if not datasets or len(set(datasets)) != len(datasets):
        fail(f"the pages list {len(datasets)} datasets, {len(set(datasets))} distinct")
    for d in datasets:
        doc = str(d).split("#", 1)[0] + ".ttl" + (f"?profile={profile}" if profile else "")
        out.append((doc, get(doc)))
    return out, len(datasets)


for profile, sets in CHECKS.items():
    docs, n = documents(profile)
    for name, files in sets:
        shacl = rdflib.Graph()
        for f in files:
            shacl.parse(os.path.join(here, f), format="turtle")
        warnings = 0
        for url, data in docs:
            _, report, text = pyshacl.validate(data, shacl_graph=shacl, inference="none", advanced=True)
            # The report's own results; nested sh:detail results only explain them.
            severities = [report.value(r, SH.resultSeverity) for r in report.objects(None, SH.result)]
            if SH.Violation in severities:
                fail(f"{name}: {url} has {severities.count(SH.Violation)} violations\n{text}")
            warnings += len(severities)
        print(f"{name}: 0 violations in {len(docs)} documents ({n} datasets), {warnings} warnings")
