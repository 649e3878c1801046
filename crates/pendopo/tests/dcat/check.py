"""Parses Pendopo's DCAT-AP export with rdflib, as a harvester would: the
catalogue's pages and one dataset in Turtle, JSON-LD and RDF/XML must be the
same graph, the Hydra paging must add up, and the DCAT-AP mandatory
properties must be there (the full SHACL check is shacl_check.py).
Usage: check.py BASE_URL
Exits non-zero with the reason on the first failure."""

import sys
import urllib.request

import rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

base = sys.argv[1]
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
FORMATS = [(".ttl", "text/turtle", "turtle"), (".jsonld", "application/ld+json", "json-ld"),
           (".rdf", "application/rdf+xml", "xml")]


def fail(msg):
    print("FAILED:", msg, file=sys.stderr)
    sys.exit(1)


def fetch(url, media_type, parser):
    with urllib.request.urlopen(url) as r:
        got = r.headers["Content-Type"]
        if not got.startswith(media_type):
            fail(f"{url}: content type {got}, not {media_type}")
        return rdflib.Graph().parse(data=r.read().decode("utf-8"), format=parser)


def without_paging(g):
    """The graph without its page node, whose address names the format."""
    out = rdflib.Graph()
    pages = set(g.subjects(RDF.type, HYDRA.PagedCollection))
    for t in g:
        if t[0] not in pages:
            out.add(t)
    return out, pages


# Every page, in every format: one graph, and the paging adds up.
datasets = []
number, total = 1, None
while True:
    graphs = []
    for suffix, media_type, parser in FORMATS:
        url = f"{base}/catalog{suffix}?page={number}"
        g = fetch(url, media_type, parser)
        g_rest, pages = without_paging(g)
        if [str(p) for p in pages] != [url]:
            fail(f"{url}: page node {pages}")
        page = next(iter(pages))
        if str(g.value(page, HYDRA.firstPage)) != f"{base}/catalog{suffix}?page=1":
            fail(f"{url}: hydra:firstPage {g.value(page, HYDRA.firstPage)}")
        graphs.append((g_rest, g, page, suffix))
    for g_rest, _, _, suffix in graphs[1:]:
        if not isomorphic(graphs[0][0], g_rest):
            fail(f"catalogue page {number}: Turtle and {suffix} differ")
    ttl, g, page, _ = graphs[0][0], graphs[0][1], graphs[0][2], None
    total = int(g.value(page, HYDRA.totalItems))
    per_page = int(g.value(page, HYDRA.itemsPerPage))
    catalogs = list(ttl.subjects(RDF.type, DCAT.Catalog))
    if len(catalogs) != 1:
        fail(f"{len(catalogs)} catalogues on page {number}")
    catalog = catalogs[0]
    for p in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
        if ttl.value(catalog, p) is None:
            fail(f"catalogue without {p}")
    here = sorted(ttl.objects(catalog, DCAT.dataset))
    if len(here) > per_page:
        fail(f"page {number} holds {len(here)} datasets, more than {per_page}")
    datasets += here
    previous = g.value(page, HYDRA.previousPage)
    if (previous is None) != (number == 1):
        fail(f"page {number}: hydra:previousPage {previous}")
    nxt = g.value(page, HYDRA.nextPage)
    if nxt is None:
        if str(g.value(page, HYDRA.lastPage)) != f"{base}/catalog.ttl?page={number}":
            fail(f"page {number} has no next page but hydra:lastPage {g.value(page, HYDRA.lastPage)}")
        break
    if str(nxt) != f"{base}/catalog.ttl?page={number + 1}":
        fail(f"page {number}: hydra:nextPage {nxt}")
    number += 1

if total != len(datasets) or len(set(datasets)) != total:
    fail(f"hydra:totalItems {total}, the pages list {len(datasets)} ({len(set(datasets))} distinct)")

names = []
for d in datasets:
    page_url = str(d).split("#", 1)[0]
    names.append(page_url.rsplit("/", 1)[-1])
    one = [fetch(page_url + suffix, media_type, parser) for suffix, media_type, parser in FORMATS]
    if not all(isomorphic(one[0], g) for g in one[1:]):
        fail(f"{page_url}: the Turtle, JSON-LD and RDF/XML differ")
    g = one[0]
    if (d, RDF.type, DCAT.Dataset) not in g:
        fail(f"{d} is not typed dcat:Dataset")
    for p in (DCTERMS.title, DCTERMS.description):
        if g.value(d, p) is None:
            fail(f"{d} without {p}")
    for dist in g.objects(d, DCAT.distribution):
        if g.value(dist, DCAT.accessURL) is None:
            fail(f"{dist} without dcat:accessURL")
    for agent in g.subjects(RDF.type, FOAF.Agent):
        if g.value(agent, FOAF.name) is None:
            fail(f"agent {agent} without foaf:name")
print("datasets:", " ".join(sorted(names)))
