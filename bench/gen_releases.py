"""Deterministic synthetic OCDS release packages for the benchmarks.

Usage: gen_releases.py PROCESSES RELEASES_PER_PROCESS [--compiled] > out.jsonl
Each line is a release package holding one release (with --compiled: the
last release of each process alone, tagged compiled, as red-flag input);
releases of a process
carry planning, tender, award, contract and implementation steps with
parties, bids (bid extension), items, documents and transactions, in the
shape Indonesian e-procurement data takes. Demo data: nothing here is real.
"""

import json
import random
import sys

processes = int(sys.argv[1])
per = int(sys.argv[2])
compiled = "--compiled" in sys.argv[3:]
rng = random.Random(2017)
methods = [("open", "Tender"), ("selective", "Seleksi"), ("limited", "E-purchasing"), ("direct", "Pengadaan Langsung"), ("direct", "Penunjukan Langsung")]
categories = ["goods", "works", "services"]
tags = ["planning", "tender", "award", "contract", "implementation"]


def party(i, role):
    return {"id": f"ID-NPWP-{i:09d}", "name": f"CV Contoh Usaha {i}", "roles": [role],
            "address": {"locality": "Bojonegoro", "region": "Jawa Timur", "countryName": "Indonesia"}}


for p in range(processes):
    ocid = f"ocds-bjn001-{p:07d}"
    method, details = rng.choice(methods)
    value = rng.randrange(50_000_000, 5_000_000_000)
    buyer = {"id": f"OPD-{rng.randrange(1, 40):02d}", "name": "Dinas Contoh"}
    suppliers = [party(rng.randrange(1, 5000), "tenderer") for _ in range(rng.randrange(1, 6))]
    for r in range(per):
        day = 1 + r * 5
        release = {
            "ocid": ocid,
            "id": f"{ocid}-{r + 1:02d}",
            "date": f"2024-{1 + p % 12:02d}-{day:02d}T09:00:00+07:00",
            "tag": [tags[min(r, len(tags) - 1)]],
            "initiationType": "tender",
            "buyer": buyer,
            "parties": [{**buyer, "roles": ["buyer", "procuringEntity"]}] + suppliers,
            "planning": {"budget": {"amount": {"amount": value * 1.1, "currency": "IDR"}, "project": "Kegiatan contoh"},
                         "documents": [{"id": f"rup-{p}", "documentType": "procurementPlan", "title": f"RUP {p}"}]},
            "tender": {
                "id": f"T-{p}",
                "title": f"Pengadaan contoh nomor {p}",
                "status": "active" if r < 2 else "complete",
                "procurementMethod": method,
                "procurementMethodDetails": details,
                "mainProcurementCategory": rng.choice(categories),
                "value": {"amount": value, "currency": "IDR"},
                "procuringEntity": {"id": buyer["id"], "name": buyer["name"]},
                "tenderPeriod": {"startDate": "2024-01-02T08:00:00+07:00", "endDate": f"2024-01-{10 + r:02d}T16:00:00+07:00"},
                "numberOfTenderers": len(suppliers),
                "items": [{"id": str(i), "description": f"Barang {i}", "quantity": rng.randrange(1, 100),
                           "classification": {"scheme": "CPV", "id": f"{rng.randrange(10, 99)}000000"}} for i in range(3)],
                "documents": [{"id": f"doc-{p}-{r}", "documentType": "tenderNotice", "title": f"Pengumuman revisi {r}"}],
            },
            "bids": {"details": [{"id": f"bid-{p}-{i}", "date": "2024-01-08T10:00:00+07:00", "status": rng.choice(["valid", "valid", "disqualified"]),
                                  "tenderers": [{"id": s["id"], "name": s["name"]}], "value": {"amount": value * rng.uniform(0.8, 1.0), "currency": "IDR"}}
                                 for i, s in enumerate(suppliers)]},
        }
        if r >= 2:
            release["awards"] = [{"id": f"A-{p}", "status": "active", "date": "2024-02-01T10:00:00+07:00",
                                  "value": {"amount": value * 0.95, "currency": "IDR"}, "suppliers": [{"id": suppliers[0]["id"], "name": suppliers[0]["name"]}]}]
        if r >= 3:
            release["contracts"] = [{"id": f"C-{p}", "awardID": f"A-{p}", "status": "active", "dateSigned": "2024-02-10T10:00:00+07:00",
                                     "value": {"amount": value * 0.95, "currency": "IDR"},
                                     "implementation": {"transactions": [{"id": f"pay-{p}-{t}", "date": f"2024-0{3 + t}-01T10:00:00+07:00",
                                                                          "value": {"amount": value * 0.3, "currency": "IDR"}} for t in range(r - 2)]}}]
        if compiled:
            if r == per - 1:
                release["tag"] = ["compiled"]
                sys.stdout.write(json.dumps(release, separators=(",", ":")) + "\n")
            continue
        package = {"uri": f"https://pendopo.example/ocds/{ocid}", "publishedDate": release["date"], "version": "1.1",
                   "publisher": {"name": "Demo"}, "extensions": [], "releases": [release]}
        sys.stdout.write(json.dumps(package, separators=(",", ":")) + "\n")
