"""Parses Pendopo's DCAT-AP export with rdflib, as a harvester would, and
checks the DCAT-AP 3 mandatory properties. Usage: check.py BASE_URL
Exits non-zero with the reason on the first failure."""

import sys
import urllib.request

import rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

base = sys.argv[1]


def fetch(path):
    with urllib.request.urlopen(base + path) as r:
        return r.read().decode("utf-8"), r.headers["Content-Type"]


def fail(msg):
    print("FAILED:", msg, file=sys.stderr)
    sys.exit(1)


ttl_text, ttl_type = fetch("/catalog.ttl")
ld_text, ld_type = fetch("/catalog.jsonld")
if not ttl_type.startswith("text/turtle") or not ld_type.startswith("application/ld+json"):
    fail(f"content types {ttl_type} / {ld_type}")
ttl = rdflib.Graph().parse(data=ttl_text, format="turtle")
ld = rdflib.Graph().parse(data=ld_text, format="json-ld")
if not isomorphic(ttl, ld):
    fail("the Turtle and JSON-LD catalogues differ")

catalogs = list(ttl.subjects(RDF.type, DCAT.Catalog))
if len(catalogs) != 1:
    fail(f"{len(catalogs)} catalogues")
catalog = catalogs[0]
for p in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
    if ttl.value(catalog, p) is None:
        fail(f"catalogue without {p}")
datasets = list(ttl.objects(catalog, DCAT.dataset))
for d in datasets:
    if (d, RDF.type, DCAT.Dataset) not in ttl:
        fail(f"{d} is not typed dcat:Dataset")
    for p in (DCTERMS.title, DCTERMS.description):
        if ttl.value(d, p) is None:
            fail(f"{d} without {p}")
    for dist in ttl.objects(d, DCAT.distribution):
        if ttl.value(dist, DCAT.accessURL) is None:
            fail(f"{dist} without dcat:accessURL")
for agent in ttl.subjects(RDF.type, FOAF.Agent):
    if ttl.value(agent, FOAF.name) is None:
        fail(f"agent {agent} without foaf:name")

names = sorted(str(d).rsplit("/", 1)[-1] for d in datasets)
one = names[0] if names else None
if one:
    single = rdflib.Graph().parse(data=fetch(f"/dataset/{one}.ttl")[0], format="turtle")
    single_ld = rdflib.Graph().parse(data=fetch(f"/dataset/{one}.jsonld")[0], format="json-ld")
    if not isomorphic(single, single_ld):
        fail("the dataset's Turtle and JSON-LD differ")
print("datasets:", " ".join(names))
