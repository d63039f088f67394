import { createRoute } from '@hono/zod-openapi';
import { documentedRoutes, OPEN, success } from './define';

/**
 * The docs page: self-contained (no CDN; the page must work offline), it reads /openapi.json and
 * renders each operation's parameters, body schema, example and responses.
 */
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tidings API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ddd;margin-top:2rem}details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}code,pre{font:13px ui-monospace,monospace}pre{background:#f6f6f6;padding:.5rem;overflow:auto}
.m{display:inline-block;min-width:4.2rem;font-weight:600;text-transform:uppercase}.lock{color:#a60}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .4rem;text-align:left;vertical-align:top}
</style></head><body>
<h1 id="title">Tidings API</h1><p id="intro"></p><p><a href="/openapi.json">openapi.json</a></p><main id="ops">Loading…</main>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const pre = (v) => '<pre>' + esc(JSON.stringify(v, null, 2)) + '</pre>';
function resolve(doc, r) { return r && r.$ref ? r.$ref.split('/').slice(1).reduce((o, k) => o[k], doc) : r; }
function render(doc) {
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  document.getElementById('intro').textContent = doc.info.description;
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item)) (byTag[op.tags[0]] ??= []).push({ path, method, op });
  let html = '';
  for (const [tag, ops] of Object.entries(byTag)) {
    html += '<h2>' + esc(tag) + '</h2>';
    for (const { path, method, op } of ops) {
      const open = Array.isArray(op.security) && op.security.length === 0;
      html += '<details><summary><span class="m">' + method + '</span> <code>' + esc(path) + '</code> ' + esc(op.summary) +
        (open ? '' : ' <span class="lock" title="Bearer JWT">🔒</span>') + '</summary>';
      if (op.parameters) html += '<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th><th>example</th></tr>' +
        op.parameters.map((p) => '<tr><td><code>' + esc(p.name) + '</code></td><td>' + p.in + '</td><td>' + (p.required ? 'yes' : '') +
          '</td><td><code>' + esc(JSON.stringify(p.schema)) + '</code></td><td><code>' + esc(p.example ?? '') + '</code></td></tr>').join('') + '</table>';
      const body = op.requestBody && op.requestBody.content['application/json'];
      if (body) html += '<h4>Body' + (op.requestBody.required ? '' : ' (optional)') + '</h4>' + pre(body.schema) + '<h4>Example</h4>' + pre(body.example);
      html += '<h4>Responses</h4><table>' + Object.entries(op.responses).map(([s, r]) => '<tr><td>' + s + '</td><td>' + esc(resolve(doc, r).description) + '</td></tr>').join('') + '</table>';
      html += '</details>';
    }
  }
  html += '<h2>Error body</h2>' + pre(doc.components.schemas.Error);
  document.getElementById('ops').innerHTML = html;
}
fetch('/openapi.json').then((r) => r.json()).then(render, (e) => { document.getElementById('ops').textContent = 'could not load /openapi.json: ' + e; });
</script></body></html>`;

const openApiJson = createRoute({
  method: 'get',
  path: '/openapi.json',
  tags: ['operations'],
  summary: 'This document',
  ...OPEN,
  responses: { 200: success('OpenAPI 3.1') },
});
const docs = createRoute({
  method: 'get',
  path: '/docs',
  tags: ['operations'],
  summary: 'This document as a page',
  ...OPEN,
  responses: { 200: success('HTML', { contentType: 'text/html' }) },
});

/** `GET /openapi.json` (the OpenAPI 3.1 document `document` makes) and `GET /docs` (a page rendering it); both open. */
export function openApiRoutes(document: () => Promise<object>) {
  const app = documentedRoutes();
  app.openapi(openApiJson, async (c) => c.json(await document(), 200));
  app.openapi(docs, (c) => c.html(DOCS_PAGE));
  return app;
}
