"""Drives Pendopo's CKAN Action API with the real `ckanapi` client, as a
developer would against CKAN. Run by the Rust test `ckanapi_client` with the
server's URL and two API tokens; exits non-zero on the first failure."""

import sys

import ckanapi
from checks import check, passed, raises

base, walidata_token, editor_token = sys.argv[1:4]
walidata = ckanapi.RemoteCKAN(base, apikey=walidata_token, user_agent="pendopo-test")
editor = ckanapi.RemoteCKAN(base, apikey=editor_token, user_agent="pendopo-test")
anonymous = ckanapi.RemoteCKAN(base, user_agent="pendopo-test")

status = anonymous.action.status_show()
check(status["ckan_version"].startswith("2."), "status_show")
check(len(anonymous.action.group_list()) == 6, "six smart city groups")

dataset = walidata.action.package_create(
    name="produksi-padi",
    title="Produksi Padi per Kecamatan",
    notes="Produksi padi hasil petani. Contoh data (demo).",
    owner_org="dinas-pertanian",
    license_id="cc-by-4.0",
    tags=[{"name": "padi"}],
    resources=[{"name": "Produksi", "url": "https://example.id/padi.csv"}],
)
check(dataset["name"] == "produksi-padi", "package_create returns the dataset")
check(anonymous.action.package_show(id="produksi-padi")["title"] == "Produksi Padi per Kecamatan", "package_show")

e = raises(ckanapi.ValidationError, walidata.action.package_create, "duplicate name is a ValidationError",
           name="produksi-padi", owner_org="dinas-pertanian")
check("name" in e.error_dict, "the error names the field")
raises(ckanapi.NotAuthorized, anonymous.action.package_create, "anonymous create is NotAuthorized",
       name="x-y", owner_org="dinas-pertanian")
raises(ckanapi.NotAuthorized, editor.action.package_create, "another agency's dataset is NotAuthorized",
       name="x-y", owner_org="dishub")
raises(ckanapi.NotFound, anonymous.action.package_show, "unknown id is NotFound", id="tidak-ada")
raises(ckanapi.SearchQueryError, anonymous.action.package_search, "bad fq is a SearchQueryError", fq="author:budi")

found = anonymous.action.package_search(q="pertanian", **{"facet.field": ["tags", "organization"]})
check(found["count"] == 1, "Indonesian stemming: pertanian finds petani")
check(found["search_facets"]["tags"]["items"][0]["name"] == "padi", "facets")

import io
import urllib.request

csv_v1 = b"kecamatan,produksi_ton\nNgraho,1200\nKalitidu,1500\n"
uploaded = walidata.action.resource_create(package_id="produksi-padi", name="Tabel produksi", upload=("produksi.csv", io.BytesIO(csv_v1)))
check(uploaded["url_type"] == "upload" and uploaded["format"] == "CSV", "resource_create with a file upload")
check(uploaded["size"] == len(csv_v1) and uploaded["hash"].startswith("sha256:"), "size and hash recorded")
with urllib.request.urlopen(uploaded["url"]) as r:
    check(r.read() == csv_v1, "the download is the uploaded file")
csv_v2 = csv_v1 + b"Kanor,900\n"
updated = walidata.action.resource_update(id=uploaded["id"], upload=("produksi-2.csv", io.BytesIO(csv_v2)))
check(updated["id"] == uploaded["id"] and updated["size"] == len(csv_v2), "resource_update uploads a new version")
rows = anonymous.action.datastore_search(resource_id=uploaded["id"], filters={"kecamatan": "Kanor"})
check(rows["total"] == 1 and rows["records"][0]["produksi_ton"] == 900, "datastore_search on the newest version, typed")
check([f["type"] for f in rows["fields"]] == ["int", "text", "int8"], "datastore field types by CKAN's names")
raises(ckanapi.ValidationError, anonymous.action.datastore_search, "unknown filter column is a ValidationError",
       resource_id=uploaded["id"], filters={"tidak_ada": 1})
raises(ckanapi.NotAuthorized, anonymous.action.resource_create, "anonymous upload is NotAuthorized",
       package_id="produksi-padi", upload=("x.csv", io.BytesIO(b"a\n1\n")))
link = walidata.action.resource_create(package_id="produksi-padi", name="Sumber BPS", url="https://example.id/bps.csv")
check(link["format"] == "CSV" and link["url"] == "https://example.id/bps.csv", "resource_create with a link")
walidata.action.resource_delete(id=link["id"])
check(len(anonymous.action.package_show(id="produksi-padi")["resources"]) == 2, "resource_delete")

revised = walidata.call_action("package_revise", {
    "match__name": "produksi-padi",
    "update__resources__extend": '[{"name": "Tabel revisi"}]',
}, files={"update__resources__-1__upload": ("revisi.csv", io.BytesIO(csv_v1))})["package"]
check(revised["resources"][-1]["name"] == "Tabel revisi" and revised["resources"][-1]["url_type"] == "upload",
      "package_revise adds a resource with its file (multipart)")
with urllib.request.urlopen(revised["resources"][-1]["url"]) as r:
    check(r.read() == csv_v1, "the revised resource serves the file")
raises(ckanapi.ValidationError, walidata.call_action, "a bad table in package_revise is a ValidationError, nothing saved",
       action="package_revise", data_dict={"match__name": "produksi-padi", "update__resources__extend": '[{"name": "Rusak"}]'},
       files={"update__resources__-1__upload": ("rusak.csv", io.BytesIO(b"a,b\n1,2,3,4\n"))})
check(not any(r["name"] == "Rusak" for r in anonymous.action.package_show(id="produksi-padi")["resources"]), "nothing half-stored")
walidata.action.resource_delete(id=revised["resources"][-1]["id"])

patched = walidata.action.package_patch(id="produksi-padi", title="Produksi Padi 2024")
check(patched["title"] == "Produksi Padi 2024" and patched["tags"][0]["name"] == "padi", "package_patch")
draft = editor.action.package_create(name="draf-pertanian", owner_org="dinas-pertanian")
check(draft["satudata_state"] == "draft", "a produsen data's dataset is a draft")
check("draf-pertanian" not in anonymous.action.package_list(), "drafts are not listed")
walidata.action.package_delete(id="produksi-padi")
raises(ckanapi.NotFound, anonymous.action.package_show, "deleted datasets are gone", id="produksi-padi")

passed("ckanapi")
