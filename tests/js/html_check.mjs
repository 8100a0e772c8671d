// Opens a cfscan HTML report in Debian's Chromium (headless, driven by puppeteer-core) and
// checks what a reader relies on: the numbers shown equal the JSON report's, nothing is
// requested but the page itself, no console error, page error or dialog, no injected
// element, the tables are there with JavaScript off, and the page fits a phone's width.
// Writes screenshots at 1366x768 and 390x844 (full page) into OUTDIR.
//
//   node tests/js/html_check.mjs REPORT.html [REPORT.json] OUTDIR [--text STRING]...
//
// --text: a string (e.g. a hostile URI) that must appear as text on the page.
// Prints one line per failed check ("FAIL ...") and exits 1 if any failed, 0 otherwise.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const args = process.argv.slice(2);
const texts = [];
const pos = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--text') texts.push(args[++i]);
  else pos.push(args[i]);
}
const [htmlPath, jsonPath, outDir] = pos.length === 3 ? pos : [pos[0], null, pos[1]];
const json = jsonPath ? JSON.parse(readFileSync(jsonPath, 'utf8')) : null;
const html = readFileSync(htmlPath, 'utf8');
const url = pathToFileURL(htmlPath).href;

const fails = [];
const fail = (m) => fails.push(m);
const eq = (what, got, want) => {
  if (String(got) !== String(want)) fail(`${what}: page shows ${got}, JSON has ${want}`);
};

// The CSP names the page's one script by its SHA-256: the pair must agree (Chromium would
// refuse the script otherwise, which the console check below also catches).
const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
const csp = (html.match(/http-equiv="Content-Security-Policy" content="([^"]*)"/) || [])[1] || '';
for (const s of scripts) {
  const h = createHash('sha256').update(s, 'utf8').digest('base64');
  if (!csp.includes(`'sha256-${h}'`)) fail(`CSP does not list the script's hash sha256-${h}`);
}
if (!/default-src 'none'/.test(csp)) fail(`CSP lacks default-src 'none': ${csp}`);

const browser = await puppeteer.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') fail(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => fail(`page error: ${e.message}`));
  page.on('dialog', async (d) => {
    fail(`dialog (${d.type()}): ${d.message()}`);
    await d.dismiss();
  });
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    if (r.url() === url) r.continue();
    else {
      fail(`request leaves the page: ${r.url()}`);
      r.abort();
    }
  });
  await page.setViewport({ width: 1366, height: 768 });
  await page.goto(url, { waitUntil: 'load' });

  // ---- safety: nothing but the page's own elements --------------------------------------
  const dom = await page.evaluate(() => {
    const onAttrs = [];
    for (const el of document.querySelectorAll('*'))
      for (const a of el.attributes) if (/^on/i.test(a.name)) onAttrs.push(`${el.tagName} ${a.name}`);
    const urls = [];
    for (const el of document.querySelectorAll('[href],[src],[action],[formaction],[xlink\\:href]'))
      for (const n of ['href', 'src', 'action', 'formaction', 'xlink:href']) {
        const v = el.getAttribute(n);
        if (v !== null && !/^#d\d+(-c\d+)?$/.test(v) && v !== '#inputs' && v !== '#legend') urls.push(`${el.tagName} ${n}=${v}`);
      }
    return {
      scripts: document.scripts.length,
      svgOnload: document.querySelectorAll('svg[onload]').length,
      embeds: document.querySelectorAll('img,iframe,object,embed,frame,link,base,form,meta[http-equiv=refresh]').length,
      onAttrs,
      urls,
      text: document.body.textContent,
      pwned: typeof window.__pwned !== 'undefined',
    };
  });
  if (dom.scripts !== scripts.length) fail(`page has ${dom.scripts} scripts, the file ${scripts.length}`);
  if (dom.scripts !== 1) fail(`page has ${dom.scripts} scripts, cfscan writes 1`);
  if (dom.svgOnload) fail(`${dom.svgOnload} svg[onload] elements`);
  if (dom.embeds) fail(`${dom.embeds} img/iframe/object/embed/link/base/form elements`);
  if (dom.onAttrs.length) fail(`event-handler attributes: ${dom.onAttrs.slice(0, 5).join(', ')}`);
  if (dom.urls.length) fail(`links or sources other than the page's anchors: ${dom.urls.slice(0, 5).join(', ')}`);
  for (const t of texts) if (!dom.text.includes(t)) fail(`text not shown as text: ${t}`);

  // ---- the numbers equal the JSON report's ------------------------------------------------
  if (json) {
    const got = await page.evaluate(() => {
      const num = (el, a) => (el ? el.getAttribute(a) : null);
      const q = (s) => document.querySelector(s);
      const causeName = (c) => {
        const li = document.querySelector(`ul.legend li[data-c="${c}"]`);
        return li ? li.textContent : `#${c}`;
      };
      const topk = (t) =>
        t
          ? {
              eb: t.getAttribute('data-eb'),
              total: t.getAttribute('data-total'),
              items: [...t.tBodies[0].rows].map((r) => ({
                value: r.cells[0].textContent,
                count: r.getAttribute('data-count'),
                error: r.getAttribute('data-error'),
              })),
            }
          : null;
      return {
        kpi: Object.fromEntries([...document.querySelectorAll('.kpi dd')].map((d) => [d.id, d.getAttribute('data-v')])),
        overview: document.querySelectorAll('table.overview tbody tr').length,
        dists: [...document.querySelectorAll('section.dist')].map((s) => ({
          id: s.querySelector('.did').textContent,
          requests: s.getAttribute('data-requests'),
          forbidden: s.getAttribute('data-forbidden'),
          hidden: s.getAttribute('data-hidden'),
          ref: num(s.querySelector('.refms'), 'data-v'),
          peak: num(s.querySelector('.peak'), 'data-v'),
          k: num(s.querySelector('svg.timeline'), 'data-k'),
          cols: [...s.querySelectorAll('svg.timeline g.col')].map((g) => ({
            t: Number(g.getAttribute('data-t')),
            n: g.getAttribute('data-n'),
            parts: [...g.querySelectorAll('rect')].map((r) => [causeName(r.getAttribute('data-c')), r.getAttribute('data-n')]),
          })),
          heat: [...s.querySelectorAll('svg.heatmap rect[data-n]')].reduce((a, r) => a + Number(r.getAttribute('data-n')), 0),
          heatRows: [...s.querySelectorAll('svg.heatmap g.erow')].map((g) => [
            g.getAttribute('data-n'),
            [...g.querySelectorAll('rect[data-n]')].reduce((a, r) => a + Number(r.getAttribute('data-n')), 0),
          ]),
          heatOther: num(s.querySelector('.other'), 'data-v'),
          causes: [...s.querySelectorAll('table.causes tr.cause')].map((r) => ({
            cause: r.querySelector('a').textContent,
            n: r.getAttribute('data-n'),
            share: r.getAttribute('data-share'),
            ev: [r.getAttribute('data-confirmed'), r.getAttribute('data-likely'), r.getAttribute('data-possible')],
          })),
          details: [...s.querySelectorAll('details.cause-detail')].map((d) => ({
            distinct: num(d.querySelector('.distinct'), 'data-v'),
            tt: ['data-p50', 'data-p90', 'data-p99'].map((a) => num(d.querySelector('.tt'), a)),
            ttfb: ['data-p50', 'data-p90', 'data-p99'].map((a) => num(d.querySelector('.ttfb'), a)),
            uris: topk(d.querySelector('table.topk.uris')),
            clients: topk(d.querySelector('table.topk.clients')),
            edges: [...d.querySelectorAll('table.edges tbody tr')].map((r) => [r.cells[0].textContent, r.getAttribute('data-n')]),
            latCount: num(d.querySelector('svg.latency'), 'data-count'),
            latSum: [...d.querySelectorAll('svg.latency rect.bin')].reduce((a, r) => a + Number(r.getAttribute('data-n')), 0),
            latRef: num(d.querySelector('svg.latency .ref'), 'data-ms'),
            next: (d.querySelector('.next') || {}).textContent,
          })),
          waf: [...s.querySelectorAll('table.waf tbody tr')].map((r) => [r.cells[0].textContent, r.getAttribute('data-n')]),
        })),
      };
    });
    const inp = json.inputs;
    eq('requests', got.kpi['k-requests'], inp.requests);
    eq('files', got.kpi['k-files'], inp.files);
    eq('failed inputs', got.kpi['k-failed'], inp.files_failed);
    eq('lines', got.kpi['k-lines'], inp.lines);
    eq('rejected lines', got.kpi['k-rejected'], inp.rejected);
    const jd = json.forbidden.distributions;
    eq('403s', got.kpi['k-forbidden'], jd.reduce((a, d) => a + d.forbidden, 0));
    eq('overview rows', got.overview, Math.min(jd.length, 500));
    eq('distribution sections', got.dists.length, Math.min(jd.length, 10));
    const hourKey = (t) => new Date(t * 1000).toISOString().slice(0, 13) + ':00Z';
    got.dists.forEach((d, i) => {
      const j = jd[i];
      const w = `distribution ${j.distribution}`;
      eq(`${w}: id`, d.id, j.distribution);
      eq(`${w}: requests`, d.requests, j.requests);
      eq(`${w}: 403s`, d.forbidden, j.forbidden);
      eq(`${w}: hidden 403s`, d.hidden, j.hidden_403);
      eq(`${w}: origin reference`, d.ref, j.origin_reference_ms);
      const byName = Object.fromEntries(j.causes.map((c) => [c.cause, c]));
      eq(`${w}: causes`, d.causes.map((c) => c.cause).join(','), j.causes.map((c) => c.cause).join(','));
      d.causes.forEach((c, k) => {
        const jc = j.causes[k];
        eq(`${w} ${jc.cause}: 403s`, c.n, jc.requests);
        eq(`${w} ${jc.cause}: share`, Number(c.share), jc.share);
        eq(`${w} ${jc.cause}: evidence`, c.ev.join(' '), [jc.evidence.confirmed, jc.evidence.likely, jc.evidence.possible].join(' '));
        const dt = d.details[k];
        if (!dt) return fail(`${w} ${jc.cause}: no details`);
        eq(`${w} ${jc.cause}: distinct clients`, dt.distinct, jc.distinct_clients);
        eq(`${w} ${jc.cause}: time-taken p50/p90/p99`, dt.tt.join('/'), [jc.time_taken_ms.p50, jc.time_taken_ms.p90, jc.time_taken_ms.p99].join('/'));
        eq(`${w} ${jc.cause}: ttfb p50/p90/p99`, dt.ttfb.join('/'), [jc.time_to_first_byte_ms.p50, jc.time_to_first_byte_ms.p90, jc.time_to_first_byte_ms.p99].join('/'));
        // a cause with 403s not confirmed says so before its advice (how many, from the JSON's
        // evidence counts; never for unknown, whose advice is about deciding)
        const unconfirmed = jc.cause === 'unknown' ? 0 : jc.requests - jc.evidence.confirmed;
        const caveat = unconfirmed ? `(${unconfirmed} of ${jc.requests} not confirmed: check the cause before acting) ` : '';
        eq(`${w} ${jc.cause}: next steps`, dt.next, 'Next steps. ' + caveat + jc.next_steps);
        for (const [key, t] of [['top_uris', dt.uris], ['top_clients', dt.clients]]) {
          const jt = jc[key];
          if (!t) {
            eq(`${w} ${jc.cause}: ${key} items`, 0, jt.items.length);
            continue;
          }
          eq(`${w} ${jc.cause}: ${key} error bound`, t.eb, jt.error_bound);
          eq(`${w} ${jc.cause}: ${key} total`, t.total, jt.total);
          eq(`${w} ${jc.cause}: ${key}`, JSON.stringify(t.items), JSON.stringify(jt.items.map((x) => ({ value: x.value, count: String(x.count), error: String(x.error) }))));
        }
        eq(`${w} ${jc.cause}: top edges`, JSON.stringify(dt.edges), JSON.stringify(Object.entries(jc.top_edges).map(([e, n]) => [e, String(n)])));
        if (dt.latCount !== null) eq(`${w} ${jc.cause}: latency bars sum`, dt.latSum, dt.latCount);
        if (dt.latRef !== null) eq(`${w} ${jc.cause}: latency reference`, dt.latRef, j.origin_reference_ms);
      });
      // the timeline: hourly totals and each cause's share of each hour
      if (d.k === '1') {
        const cols = Object.fromEntries(d.cols.map((c) => [hourKey(c.t), c]));
        eq(`${w}: timeline hours`, Object.keys(cols).sort().join(','), Object.keys(j.hourly).sort().join(','));
        for (const [h, n] of Object.entries(j.hourly)) {
          const c = cols[h];
          if (!c) continue;
          eq(`${w} ${h}: 403s`, c.n, n);
          for (const [cause, m] of c.parts) eq(`${w} ${h} ${cause}`, m, (byName[cause] && byName[cause].hourly[h]) || 0);
          const parts = c.parts.reduce((a, p) => a + Number(p[1]), 0);
          eq(`${w} ${h}: stacked parts`, parts, n);
        }
        eq(`${w}: peak`, d.peak, Math.max(...Object.values(j.hourly)));
      } else if (d.k !== null) {
        eq(`${w}: timeline total`, d.cols.reduce((a, c) => a + Number(c.n), 0), j.forbidden);
      }
      if (d.heatOther !== null) eq(`${w}: heat map cells + edges not drawn`, d.heat + Number(d.heatOther), j.forbidden);
      for (const [n, s] of d.heatRows) eq(`${w}: heat map row`, s, n);
      eq(`${w}: WAF rules`, JSON.stringify(d.waf), JSON.stringify(Object.entries(j.waf_rules).map(([r, n]) => [r, String(n)])));
    });
  }

  // ---- the script sorts (its hash was accepted) -----------------------------------------
  const sorted = await page.evaluate(() => {
    const t = document.querySelector('table.causes');
    if (!t) return null;
    const th = t.tHead.rows[0].cells[1];
    const vals = () => [...t.tBodies[0].rows].map((r) => Number(r.cells[1].getAttribute('data-v')));
    th.click();
    const a = vals();
    th.click();
    return { desc: a, asc: vals(), filters: document.querySelectorAll('input.flt').length };
  });
  if (sorted) {
    const isSorted = (v, s) => v.every((x, i) => i === 0 || s * (x - v[i - 1]) >= 0);
    if (!isSorted(sorted.desc, -1) || !isSorted(sorted.asc, 1)) fail(`sorting the causes table by 403s failed: ${sorted.desc} / ${sorted.asc}`);
  }
  await page.screenshot({ path: `${outDir}/report-1366.png`, fullPage: false });
  await page.screenshot({ path: `${outDir}/report-1366-full.png`, fullPage: true });

  // ---- a phone: nothing wider than the screen but the charts' own scroll boxes -----------
  await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
  await page.reload({ waitUntil: 'load' });
  const phone = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth }));
  if (phone.sw > 390) fail(`the page is ${phone.sw} px wide on a 390 px phone`);
  await page.screenshot({ path: `${outDir}/report-390.png`, fullPage: true });

  // ---- scripts off: the tables are there, the charts too --------------------------------
  const off = await browser.newPage();
  off.on('pageerror', (e) => fail(`page error (scripts off): ${e.message}`));
  await off.setJavaScriptEnabled(false);
  await off.setRequestInterception(true);
  off.on('request', (r) => {
    if (r.url() === url) r.continue();
    else {
      fail(`request leaves the page (scripts off): ${r.url()}`);
      r.abort();
    }
  });
  await off.goto(url, { waitUntil: 'load' });
  const noJs = await off.evaluate(() => ({
    filters: document.querySelectorAll('input.flt').length,
    dists: document.querySelectorAll('section.dist').length,
    causes: document.querySelectorAll('table.causes tbody tr').length,
    overview: document.querySelectorAll('table.overview tbody tr').length,
    timelines: document.querySelectorAll('svg.timeline g.col').length,
    kpis: document.querySelectorAll('.kpi dd').length,
  }));
  if (noJs.filters !== 0) fail('with JavaScript disabled the script still ran');
  if (json) {
    const jd = json.forbidden.distributions;
    eq('scripts off: distribution sections', noJs.dists, Math.min(jd.length, 10));
    eq('scripts off: cause rows', noJs.causes, jd.slice(0, 10).reduce((a, d) => a + d.causes.length, 0));
    eq('scripts off: overview rows', noJs.overview, Math.min(jd.length, 500));
    if (jd.some((d) => d.forbidden > 0) && noJs.timelines === 0) fail('scripts off: no timeline columns');
  }
  if (noJs.kpis < 6) fail(`scripts off: ${noJs.kpis} summary numbers`);
  if (sorted) console.log(`sorted ${sorted.desc.length} cause rows both ways; ${sorted.filters} filter boxes`);
} finally {
  await browser.close();
}
for (const f of fails) console.log(`FAIL ${f}`);
console.log(fails.length ? `${fails.length} checks failed` : 'all checks passed');
process.exit(fails.length ? 1 : 0);
