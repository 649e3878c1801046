"""A catalogue copied from one Pendopo to another with the real `ckanapi`
command line, as a region moving off (or onto) CKAN would do it:

    ckanapi dump organizations|groups|datasets --all   (from the source)
    ckanapi load organizations, groups, datasets --upload-resources  (into the target)

Run by the Rust test `ckanapi_dump_and_load_copy_a_catalogue` with both
servers' URLs and a walidata token for each, and a work directory. It fills
the source through the API, copies, then checks that the target holds the
same organisations, groups and datasets (same ids, names, metadata, group
memberships) and the same uploaded bytes. Exits non-zero on the first failure."""

import io
import json
import os
import subprocess
import sys
import urllib.request

import ckanapi
from checks import check, passed

source_url, source_token, target_url, target_token, work = sys.argv[1:6]
source = ckanapi.RemoteCKAN(source_url, apikey=source_token, user_agent="pendopo-test")
target = ckanapi.RemoteCKAN(target_url, apikey=target_token, user_agent="pendopo-test")
def download(url):
    with urllib.request.urlopen(url) as r:
        return r.read()


# The source: two agencies, a group of the walidata's besides the six
# smart city ones, datasets with CKAN's core fields, extras, tags, groups,
# links and uploaded files (a table and a document).
source.action.organization_create(name="dinas-kesehatan", title="Dinas Kesehatan", description="Urusan kesehatan.", kind="dinas")
source.action.organization_create(name="bappeda", title="Badan Perencanaan Pembangunan Daerah", kind="badan", region_code="35.22")
source.action.group_create(name="data-prioritas", title="Data Prioritas", description="Data yang diminta Bupati.")
puskesmas = source.call_action("package_create", {
    "name": "jumlah-puskesmas",
    "title": "Jumlah Puskesmas per Kecamatan",
    "notes": "Jumlah puskesmas dan pustu per kecamatan. Contoh data (demo).",
    "owner_org": "dinas-kesehatan",
    "license_id": "cc-by-4.0",
    "author": "Seksi Data Kesehatan",
    "author_email": "data@dinkes.bojonegorokab.go.id",
    "maintainer": "Bidang P2P",
    "maintainer_email": "p2p@dinkes.bojonegorokab.go.id",
    "version": "2024.1",
    "url": "https://dinkes.bojonegorokab.go.id/data",
    "extras": [{"key": "sumber", "value": "Profil Kesehatan 2024"}],
    "tags": [{"name": "kesehatan"}, {"name": "puskesmas"}],
    "groups": [{"name": "smart-society"}],
    "resources": [{"name": "Profil di situs dinas", "url": "https://dinkes.bojonegorokab.go.id/profil.pdf"}],
    "satudata": {"frekuensi": "tahunan", "cakupan_wilayah": "35.22", "periode_awal": "2024"},
})
table = b"kecamatan,puskesmas,pustu\nNgraho,2,5\nKalitidu,1,4\nKanor,1,6\n"
document = bytes(range(256)) * 40 + b"%PDF-like bytes, kept as they are\n"
source.action.resource_create(package_id=puskesmas["id"], name="Tabel puskesmas", upload=("puskesmas.csv", io.BytesIO(table)))
source.action.resource_create(package_id=puskesmas["id"], name="Lampiran", upload=("lampiran.bin", io.BytesIO(document)))
source.action.member_create(id="data-prioritas", object=puskesmas["id"], object_type="package", capacity="public")
rencana = {
    "name": "rencana-pembangunan",
    "title": "Rencana Pembangunan Jangka Menengah",
    "owner_org": "bappeda",
    "license_id": "odc-odbl",
    "version": "2025-2029",
    "tags": [{"name": "perencanaan"}],
    "resources": [{"name": "Dokumen RPJMD", "url": "https://bappeda.bojonegorokab.go.id/rpjmd.pdf", "format": "PDF"}],
}
source.call_action("package_create", rencana)

# The copy, with the command line (its workers are `ckanapi` processes, so
# the venv's bin comes first on the PATH).
bin_dir = os.path.dirname(sys.executable)
env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))


def cli(*args):
    run = subprocess.run([os.path.join(bin_dir, "ckanapi"), *args], env=env, capture_output=True, text=True, timeout=300)
    check(run.returncode == 0, f"ckanapi {' '.join(args[:3])} exits 0:\n{run.stdout}\n{run.stderr}")
    # Each loaded record is reported as "... create None name" (None: no error).
    for line in run.stderr.splitlines():
        check("Error" not in line and "NotFound" not in line and "NotAuthorized" not in line, f"ckanapi {args[0]} {args[1]}: {line}")
    return run


for thing in ["organizations", "groups", "datasets"]:
    cli("dump", thing, "--all", "-r", source_url, "-a", source_token, "-O", os.path.join(work, f"{thing}.jsonl"))
with open(os.path.join(work, "datasets.jsonl")) as f:
    dumped = [json.loads(line) for line in f]
check(sorted(d["name"] for d in dumped) == ["jumlah-puskesmas", "rencana-pembangunan"], "the dump holds both datasets")
for thing in ["organizations", "groups"]:
    cli("load", thing, "-I", os.path.join(work, f"{thing}.jsonl"), "-r", target_url, "-a", target_token)
cli("load", "datasets", "--upload-resources", "-I", os.path.join(work, "datasets.jsonl"), "-r", target_url, "-a", target_token)

# Organisations: the same ids, names and fields.
for org in source.action.organization_list(all_fields=True):
    copy = target.action.organization_show(id=org["id"])
    for field in ["id", "name", "title", "description", "kind", "region_code"]:
        check(copy[field] == org[field], f"organisation {org['name']}: {field} {copy[field]!r} == {org[field]!r}")
    check(copy["package_count"] == org["package_count"], f"organisation {org['name']}: its datasets")

# Groups: the walidata's own keeps its id; the six smart city ones exist in
# every region already and are updated in place (found by name).
for group in source.action.group_list(all_fields=True):
    copy = target.action.group_show(id=group["name"])
    for field in ["name", "title", "description"]:
        check(copy[field] == group[field], f"group {group['name']}: {field}")
    check(copy["package_count"] == group["package_count"], f"group {group['name']}: its datasets")
check(target.action.group_show(id="data-prioritas")["id"] == source.action.group_show(id="data-prioritas")["id"], "a created group keeps its id")

# Datasets: ids, names, metadata, memberships, resources and their bytes.
same = ["id", "name", "title", "notes", "license_id", "owner_org", "private", "state", "author", "author_email",
        "maintainer", "maintainer_email", "version", "url", "extras"]
for name in ["jumlah-puskesmas", "rencana-pembangunan"]:
    original = source.action.package_show(id=name)
    copy = target.action.package_show(id=original["id"])
    for field in same:
        check(copy[field] == original[field], f"{name}: {field} {copy[field]!r} == {original[field]!r}")
    check([t["name"] for t in copy["tags"]] == [t["name"] for t in original["tags"]], f"{name}: tags")
    check([g["name"] for g in copy["groups"]] == [g["name"] for g in original["groups"]], f"{name}: groups")
    check(copy["satudata"]["cakupan_wilayah"] == original["satudata"]["cakupan_wilayah"], f"{name}: Satu Data metadata")
    check(len(copy["resources"]) == len(original["resources"]), f"{name}: as many resources")
    for res, res_copy in zip(original["resources"], copy["resources"]):
        for field in ["id", "name", "format", "url_type", "position"]:
            check(res_copy[field] == res[field], f"{name}/{res['name']}: {field} {res_copy[field]!r} == {res[field]!r}")
        if res["url_type"] == "upload":
            check(res_copy["url"].startswith(target_url), f"{name}/{res['name']}: the file is served by the target")
            check(res_copy["size"] == res["size"] and res_copy["hash"] == res["hash"], f"{name}/{res['name']}: size and hash")
            check(download(res_copy["url"]) == download(res["url"]), f"{name}/{res['name']}: the same bytes")
        else:
            check(res_copy["url"] == res["url"], f"{name}/{res['name']}: the same link")

uploaded = {r["name"]: r for r in target.action.package_show(id="jumlah-puskesmas")["resources"]}
check(download(uploaded["Tabel puskesmas"]["url"]) == table, "the table's bytes arrived")
check(download(uploaded["Lampiran"]["url"]) == document, "the document's bytes arrived")
rows = target.action.datastore_search(resource_id=uploaded["Tabel puskesmas"]["id"], filters={"kecamatan": "Kanor"})
check(rows["total"] == 1 and rows["records"][0]["pustu"] == 6, "the copied table is in the target's datastore")

# Loading the same dump again updates in place: nothing doubles.
cli("load", "datasets", "--upload-resources", "-I", os.path.join(work, "datasets.jsonl"), "-r", target_url, "-a", target_token)
check(sorted(target.action.package_list()) == ["jumlah-puskesmas", "rencana-pembangunan"], "a second load creates nothing new")
again = target.action.package_show(id=puskesmas["id"])
check(len(again["resources"]) == len(puskesmas["resources"]) + 2, "nor new resources")
check(download({r["name"]: r for r in again["resources"]}["Lampiran"]["url"]) == document, "the file is still the same")

passed("ckanapi round trip")
