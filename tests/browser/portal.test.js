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
  // A download button for the data itself, and one per resource.
  const download = page.getByRole("link", { name: "Unduh data (CSV)" });
  const file = await page.request.get(base + (await download.getAttribute("href")));
  assert.equal(file.status(), 200);
  assert.match(await file.text(), /^kode_kecamatan|Ngraho/m);
  await page.getByRole("link", { name: /^Tabel Luas Panen/ }).click();
  const rows = page.locator("table").first().locator("tbody tr");
  assert.equal(await rows.count(), 25, "a page of the preview");
  assert.match(await rows.first().innerText(), /Ngraho\s+[\d.,]+\s+[\d.,]+\s+35\.22\.01/);
  // Columns by their labels, the row's name and its numbers first.
  const headings = await page.locator("table").first().locator("thead th").allInnerTexts();
  assert.deepEqual(headings.map((h) => h.trim()).slice(0, 4), ["#", "Kecamatan", "Luas panen (ha)", "Produksi (ton)"]);
  // Sort by a column, then check the chart is drawn.
  await page.getByRole("link", { name: "Luas panen (ha)" }).click();
  const number = (text) => Number(text.trim().replaceAll(".", "").replace(",", "."));
  const first = number(await rows.first().locator("td").nth(2).innerText());
  const second = number(await rows.nth(1).locator("td").nth(2).innerText());
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
  // Not yet: the summary names every missing field and links to it.
  const summary = editor.locator(".error-summary");
  assert.match(await summary.locator("h2").innerText(), /belum dapat diajukan/);
  assert.deepEqual(await summary.locator("a").allInnerTexts(), ["Frekuensi", "Konsep", "Satuan"]);
  await summary.getByRole("link", { name: "Konsep" }).click();
  await editor.waitForURL(base + "/dataset/luas-sawah-irigasi/edit#konsep");
  await editor.getByLabel("Frekuensi").selectOption("tahunan");
  await editor.getByLabel("Konsep").fill("Luas sawah yang diairi jaringan irigasi teknis");
  await editor.getByLabel("Satuan").fill("hektare");
  await editor.getByRole("button", { name: "Simpan" }).click();
  await editor.waitForURL(base + "/dataset/luas-sawah-irigasi");
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
  await citizen.getByLabel("Tanda bahaya", { exact: true }).selectOption("ID_PEMECAHAN");
  await citizen.getByRole("button", { name: "Terapkan saringan" }).click();
  assert.match(await citizen.locator("h2").first().innerText(), /^4 paket$/);
  await citizen.locator("table").getByRole("link", { name: /Pengadaan Peralatan Usaha Mikro Tahap 1/ }).click();
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

// ---------------------------------------------------------------------------
// On a phone: 390 px wide, Bahasa Indonesia, no JavaScript.

const PHONE = { viewport: { width: 390, height: 844 }, locale: "id-ID", javaScriptEnabled: false };

// Addresses that are not pages (files, feeds, APIs) or that change state.
const NOT_PAGES = /^\/(api|ocds|lang|logout|static|datastore|catalog|metrics|healthz|favicon)\b|\/(download|dokumen)\b|\.(csv|gz|json|xlsx|ttl|rdf|jsonld|ini|pdf|svg|zip)$/;

// One visit per kind of address: the first segment literally, then codes
// by their shape (35.22.01 and 35.22.01.2001 differ), names as "slug".
function kindOf(url) {
  const segs = url.pathname.split("/").filter(Boolean);
  const shape = segs.map((s, i) => (i === 0 ? s : /\d/.test(s) ? s.replace(/\d+/g, "9") : s.includes("-") ? "slug" : s));
  return shape.join("/") + (url.search ? "?" : "");
}

// What a page must not do on a phone: be wider than the screen, or have a
// form field whose only name is a placeholder or an invisible label.
async function phoneProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const width = document.documentElement.scrollWidth;
    if (width > 390) problems.push(`${width} px wide`);
    for (const el of document.querySelectorAll("input:not([type=hidden]):not([type=submit]), select, textarea")) {
      const visible = [...(el.labels || [])].some((l) => !l.classList.contains("sr-only") && l.textContent.trim() !== "");
      if (!visible) problems.push(`no visible label: ${el.outerHTML.slice(0, 80)}`);
    }
    return problems;
  });
}

// Starting from the menu (and the pages the menu does not link), follows
// the links of every page it reaches, one page of each kind.
async function crawlPublicPages(page) {
  const seeds = ["/", "/group", "/pengadaan?flag=ID_PEMECAHAN", "/halaman-yang-tidak-ada"];
  // A process with red flags and payments, as a citizen finds one.
  await page.goto(base + "/pengadaan?flag=ID_HPS&stage=implementation");
  for (const href of await page.locator("table a[href^='/pengadaan/ocds-']").evaluateAll((as) => as.map((a) => a.getAttribute("href")))) {
    await page.goto(base + href);
    const text = await page.locator("main").innerText();
    if (/Pembayaran/.test(text) && /ID_HPS:/.test(text)) { seeds.push(href); break; }
  }
  const seen = new Set(seeds.map((s) => kindOf(new URL(s, base))));
  const queue = [...seeds];
  const visited = [];
  while (queue.length) {
    const path = queue.shift();
    const response = await page.goto(base + path);
    if (!(response.headers()["content-type"] || "").startsWith("text/html")) continue;
    visited.push({ path, status: response.status(), problems: await phoneProblems(page) });
    const links = await page.locator("a[href]").evaluateAll((as) => as.map((a) => new URL(a.getAttribute("href"), location.href).href));
    for (const link of links) {
      const url = new URL(link);
      if (url.origin !== new URL(base).origin || NOT_PAGES.test(url.pathname)) continue;
      const kind = kindOf(url);
      if (seen.has(kind)) continue;
      seen.add(kind);
      queue.push(url.pathname + url.search);
    }
  }
  return visited;
}

test("every public page of the demo fits a 390 px phone, with visible labels", async () => {
  const page = await browser.newPage(PHONE);
  const visited = await crawlPublicPages(page);
  const paths = visited.map((v) => v.path);
  console.log(`pages checked at 390 px (${paths.length}):\n  ${paths.join("\n  ")}`);
  // The kinds of pages the crawl must have reached from the menu.
  for (const expected of [
    /^\/$/, /^\/dataset$/, /^\/dataset\?/, /^\/dataset\/[^/?]+$/, /^\/dataset\/[^/]+\/resource\/[^/?]+$/,
    /^\/organization$/, /^\/organization\/[^/]+$/, /^\/group$/, /^\/wilayah$/, /^\/wilayah\/\d+\.\d+$/,
    /^\/wilayah\/\d+\.\d+\.\d+$/, /^\/wilayah\/\d+\.\d+\.\d+\.\d+$/, /^\/pengadaan$/, /^\/pengadaan\?/,
    /^\/pengadaan\/ocds-/, /^\/pengadaan\/dasbor$/, /^\/pengadaan\/peta/, /^\/pengadaan\/validasi$/, /^\/login/,
    /^\/halaman-yang-tidak-ada$/, /^\/lalu-lintas$/, /^\/pertanian$/, /^\/sensor$/,
  ]) {
    assert.ok(paths.some((p) => expected.test(p)), `a page like ${expected} was checked`);
  }
  for (const v of visited) {
    assert.equal(v.status, v.path === "/halaman-yang-tidak-ada" ? 404 : 200, v.path);
    assert.deepEqual(v.problems, [], `${v.path} on a phone`);
  }
  await page.close();
});

test("on a phone the results come before the filters, which fold away", async () => {
  const page = await browser.newPage(PHONE);
  for (const path of ["/dataset", "/pengadaan"]) {
    await page.goto(base + path);
    const results = await page.locator("#found").boundingBox();
    const filters = page.locator("details.filters");
    assert.equal(await filters.getAttribute("open"), null, `${path}: filters folded when none is chosen`);
    assert.ok(results.y < (await filters.boundingBox()).y, `${path}: results first`);
    assert.equal(await filters.locator("form, ul").first().isVisible(), false, `${path}: folded`);
  }
  // A chosen filter leaves them open, and says how many are chosen.
  await page.goto(base + "/pengadaan?flag=ID_HPS");
  assert.equal(await page.locator("details.filters").getAttribute("open"), "");
  assert.match(await page.locator("details.filters summary").innerText(), /1 aktif/);
  // Wide screens show them beside the results, open.
  const desktop = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: "id-ID" });
  await desktop.goto(base + "/pengadaan");
  assert.ok(await desktop.getByLabel("Tanda bahaya", { exact: true }).isVisible(), "open beside the results on a wide screen");
  await Promise.all([page.close(), desktop.close()]);
});

test("charts are readable on a phone: 12 px text, nothing cut, Indonesian numbers", async () => {
  const page = await browser.newPage(PHONE);
  const padi = "/dataset/produksi-padi";
  await page.goto(base + padi);
  const resource = await page.locator("a[href*='/resource/']:not([href*='/download/'])").first().getAttribute("href");
  for (const path of ["/pengadaan/dasbor", resource, resource + "?chart=line"]) {
    await page.goto(base + path);
    const texts = await page.locator("svg.chart").evaluateAll((svgs) =>
      svgs.flatMap((svg) => {
        const box = svg.getBoundingClientRect();
        const scale = box.width / svg.viewBox.baseVal.width;
        return [...svg.querySelectorAll("text")].map((t) => {
          const r = t.getBoundingClientRect();
          return { text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale, inside: r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5 };
        });
      }),
    );
    assert.ok(texts.length > 5, `${path}: charts with text`);
    for (const t of texts) {
      assert.ok(t.px >= 12, `${path}: "${t.text}" is ${t.px.toFixed(1)} px`);
      assert.ok(t.inside, `${path}: "${t.text}" is not cut`);
    }
  }
  await page.goto(base + "/pengadaan/dasbor");
  const main = await page.locator("main").innerText();
  assert.match(main, /\b\d{1,2},\d%/, "a share as 63,4%");
  assert.doesNotMatch(main, /\b\d+\.\d%/, "no share as 63.4%");
  assert.match(main, /Grafik memuat 12 perangkat daerah/, "the top-N chart says so");
  await page.goto(base + padi);
  assert.match(await page.locator("main").innerText(), /\b\d{1,2} (Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|Desember) \d{4}\b/, "dates in words");
  await page.close();
});

test("the menu marks the current page and the focus ring stands out", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: "id-ID" });
  await page.goto(base + "/dataset?tags=pangan");
  const current = page.locator("header nav a[aria-current=page]");
  assert.deepEqual(await current.allInnerTexts(), ["Dataset"]);
  // Contrast of the ring against what is around it (WCAG: at least 3:1).
  const luminance = (rgb) => {
    const [r, g, b] = rgb.match(/\d+/g).slice(0, 3).map((v) => { const c = Number(v) / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const backgroundOf = (el) => el.evaluate((node) => {
    for (let n = node; n; n = n.parentElement) { const c = getComputedStyle(n).backgroundColor; if (c !== "rgba(0, 0, 0, 0)") return c; }
    return "rgb(255, 255, 255)";
  });
  for (const target of [page.locator("main a").first(), current, page.locator("#q")]) {
    await target.focus();
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    const ring = await target.evaluate((el) => ({ style: getComputedStyle(el).outlineStyle, width: parseFloat(getComputedStyle(el).outlineWidth), color: getComputedStyle(el).outlineColor }));
    assert.equal(ring.style, "solid");
    assert.ok(ring.width >= 2, `ring ${ring.width} px`);
    const ratio = contrast(ring.color, await backgroundOf(target));
    assert.ok(ratio >= 3, `ring contrast ${ratio.toFixed(2)}:1`);
  }
  await page.close();
});

test("the map names its points for screen readers and tells flagged ones by shape", async () => {
  const page = await browser.newPage(PHONE);
  await page.goto(base + "/pengadaan?flag=ID_HPS");
  const points = await page.locator("svg.map a").evaluateAll((as) =>
    as.map((a) => ({ name: a.getAttribute("aria-label"), shape: a.querySelector("use").getAttribute("href") })),
  );
  assert.ok(points.length > 0, "points on the map");
  for (const p of points) {
    assert.match(p.name, /\(bertanda bahaya\)$/, "a flagged process says so");
    assert.equal(p.shape, "#pf", "as a triangle");
  }
  const titles = await page.locator("table a[href^='/pengadaan/ocds-']").allInnerTexts();
  assert.ok(points.every((p) => titles.includes(p.name.replace(/ \(bertanda bahaya\)$/, ""))), "named as in the list");
  assert.match(await page.locator("figure figcaption").last().innerText(), /segitiga merah/);
  // The big map's points are left to the list it links.
  await page.goto(base + "/pengadaan/peta");
  assert.equal(await page.locator("svg.map g[aria-hidden=true] a[tabindex='-1']").count() > 100, true);
  assert.ok(await page.getByRole("link", { name: "Daftar paket yang sama, dengan nama dan nilainya" }).isVisible());
  await page.close();
});

test("the English pages fit a phone too, with dates in English", async () => {
  const context = await browser.newContext(PHONE);
  await context.addCookies([{ name: "pendopo_lang", value: "en", url: base }]);
  const page = await context.newPage();
  for (const path of ["/", "/dataset", "/dataset/produksi-padi", "/pengadaan", "/pengadaan/dasbor", "/wilayah/35.22.01"]) {
    await page.goto(base + path);
    assert.equal(await page.locator("html").getAttribute("lang"), "en", path);
    assert.deepEqual(await phoneProblems(page), [], `${path} in English on a phone`);
  }
  await page.goto(base + "/dataset/produksi-padi");
  const text = await page.locator("main").innerText();
  assert.match(text, /\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}, \d{2}:\d{2} WIB\b/);
  assert.doesNotMatch(text, /Desember|Januari|Agustus|Oktober/);
  await context.close();
});
