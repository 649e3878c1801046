// The portal in a real browser, on the built binary with the demo data.
// Satu Data: a citizen searches and reads a table; a produsen data creates a
// dataset, uploads a CSV and submits it; the walidata publishes it.
// Procurement: a citizen filters by a red flag, reads it explained and
// reports what she saw; the agency answers from its inbox.
// Needs: target/debug/pendopo, Debian's chromium at /usr/bin/chromium.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = process.env.PENDOPO_BIN || join(root, "target", "debug", "pendopo");
const dataDir = mkdtempSync(join(tmpdir(), "pendopo-browser-"));
const env = { ...process.env, RUST_LOG: "warn" };
delete env.PENDOPO_DATABASE_URL;
let server, base, adminPassword, browser;

before(async () => {
  server = spawn(bin, ["--data-dir", dataDir, "serve", "--demo", "--listen", "127.0.0.1:0"], { env });
  let out = "";
  base = await new Promise((resolve, reject) => {
    // The demo (30 datasets, 2,000 procurement processes) loads first.
    const timer = setTimeout(() => reject(new Error("server did not start: " + out)), 120000);
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const pw = out.match(/Admin account \(shown only this once\): \S+ \/ (\S+)/);
      if (pw) adminPassword = pw[1];
      const m = out.match(/Pendopo is serving on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    server.on("exit", (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
  // A produsen data of Dinas Pertanian, as the walidata would add one.
  execFileSync(bin, ["--data-dir", dataDir, "user", "add", "--email", "editor@pertanian.test", "--password", "rahasia-editor-1", "--role", "editor", "--org", "dinas-pertanian"], { env });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
});

async function signIn(page, email, password) {
  await page.goto(base + "/login");
  await page.getByLabel("Surel").fill(email);
  await page.getByLabel("Kata sandi").fill(password);
  await page.getByRole("button", { name: "Masuk" }).click();
  await page.waitForURL(base + "/");
}

test("a citizen searches, opens a dataset and reads its table", async () => {
  const page = await browser.newPage({ locale: "id-ID" });
  await page.goto(base + "/");
  await page.getByLabel("Cari dataset").fill("padi");
  await page.getByRole("button", { name: "Cari" }).first().click();
  await page.getByRole("link", { name: "Luas Panen dan Produksi Padi per Kecamatan" }).click();
  assert.match(await page.locator("h1").innerText(), /Luas Panen dan Produksi Padi/);
  await page.getByRole("link", { name: /^Tabel Luas Panen/ }).click();
  const rows = page.locator("table").first().locator("tbody tr");
  assert.equal(await rows.count(), 25, "a page of the preview");
  assert.match(await rows.first().innerText(), /35\.22\.01\s+Ngraho/);
  // Sort by a column, then check the chart is drawn.
  await page.getByRole("link", { name: "luas_panen_ha" }).click();
  const first = Number((await rows.first().locator("td").nth(3).innerText()).trim());
  const second = Number((await rows.nth(1).locator("td").nth(3).innerText()).trim());
  assert.ok(first <= second, `sorted ascending: ${first} <= ${second}`);
  assert.equal(await page.locator("svg[role=img] rect").count(), 28, "a bar per kecamatan");
  await page.close();
});

test("a produsen data creates and submits, the walidata publishes", async () => {
  const editor = await browser.newPage({ locale: "id-ID" });
  await signIn(editor, "editor@pertanian.test", "rahasia-editor-1");
  await editor.goto(base + "/dataset/new");
  await editor.getByLabel("Judul").fill("Luas Sawah Irigasi per Kecamatan");
  await editor.getByLabel("Nama singkat (URL)").fill("luas-sawah-irigasi");
  await editor.getByLabel("Keterangan").first().fill("Luas sawah beririgasi teknis. Contoh data (demo).");
  await editor.getByRole("button", { name: "Simpan" }).click();
  await editor.waitForURL(base + "/dataset/luas-sawah-irigasi");
  const csv = join(dataDir, "sawah.csv");
  writeFileSync(csv, "kecamatan,luas_ha\nNgraho,1200\nKalitidu,1850\n");
  await editor.getByLabel("Tambah berkas (CSV, XLSX, ODS, PDF, ...)").setInputFiles(csv);
  await editor.getByRole("button", { name: "Unggah" }).click();
  await editor.waitForURL(/\/dataset\/luas-sawah-irigasi\/resource\//);
  assert.match(await editor.locator("body").innerText(), /2 baris/);
  await editor.goto(base + "/dataset/luas-sawah-irigasi");
  await editor.getByRole("button", { name: "Ajukan ke walidata" }).click();
  assert.match(await editor.locator("body").innerText(), /Diajukan/);

  const walidata = await browser.newPage({ locale: "id-ID" });
  await signIn(walidata, "admin@bojonegorokab.go.id", adminPassword);
  await walidata.goto(base + "/dataset/review");
  await walidata.getByRole("link", { name: "Luas Sawah Irigasi per Kecamatan" }).click();
  await walidata.getByRole("button", { name: "Terbitkan" }).click();
  assert.match(await walidata.locator("body").innerText(), /Terbit/);

  const citizen = await browser.newPage({ locale: "id-ID" });
  const response = await citizen.goto(base + "/dataset/luas-sawah-irigasi");
  assert.equal(response.status(), 200, "published for everyone");
  await Promise.all([editor.close(), walidata.close(), citizen.close()]);
});

test("a citizen follows a red flag and reports; the agency answers", async () => {
  const citizen = await browser.newPage({ locale: "id-ID" });
  await citizen.goto(base + "/pengadaan");
  await citizen.getByLabel("Tanda bahaya").selectOption("ID_PEMECAHAN");
  await citizen.getByRole("button", { name: "Cari" }).click();
  assert.match(await citizen.locator("h2").first().innerText(), /^4 paket$/);
  await citizen.getByRole("link", { name: /Pengadaan Peralatan Usaha Mikro Tahap 1/ }).click();
  const text = await citizen.locator("main").innerText();
  assert.match(text, /Dugaan pemecahan paket/);
  assert.match(text, /Yang tidak dibuktikannya:/);
  assert.match(text, /Rp 191\.000\.000/);
  await citizen.getByLabel("Apa yang Anda lihat di lapangan?").fill("Barang yang sama dibeli empat kali dalam sebulan.");
  await citizen.getByLabel("Kontak Anda (tidak wajib)").fill("warga@contoh.id");
  await citizen.getByRole("button", { name: "Kirim laporan" }).click();
  assert.match(await citizen.locator("#laporan ~ article").first().innerText(), /empat kali dalam sebulan/);
  assert.doesNotMatch(await citizen.locator("main").innerText(), /warga@contoh\.id/, "the contact is not public");

  const officer = await browser.newPage({ locale: "id-ID" });
  await signIn(officer, "admin@bojonegorokab.go.id", adminPassword);
  await officer.goto(base + "/pengadaan/laporan");
  assert.match(await officer.locator("main").innerText(), /warga@contoh\.id/, "the agency sees the contact");
  await officer.getByRole("link", { name: /Pengadaan Peralatan Usaha Mikro Tahap 1/ }).first().click();
  await officer.getByLabel("Jawaban perangkat daerah").first().fill("Pembelian bertahap sesuai jadwal kegiatan; dokumen tersedia di kantor dinas.");
  await officer.getByRole("button", { name: "Kirim jawaban" }).first().click();

  await citizen.reload();
  assert.match(await citizen.locator("main").innerText(), /Pembelian bertahap sesuai jadwal kegiatan/);
  await Promise.all([citizen.close(), officer.close()]);
});
