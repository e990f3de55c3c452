// Renders GET /graphql of a running kensa-api in jsdom and reports whether GraphiQL
// started (not stuck on "Loading…"), which requests it made (only this origin), whether
// it injected <style> elements (the page's CSP refuses them) and any script error. A
// check after re-vendoring (tools/graphiql/vendor.sh), not part of CI: it needs jsdom
// (`npm install jsdom@24` in a scratch directory, then run node from there):
//
//     node tools/graphiql/render_check.js http://127.0.0.1:8080
//
// jsdom lays nothing out, so the layout calls CodeMirror makes are stubbed below.
const { JSDOM, VirtualConsole } = require('jsdom');
const base = process.argv[2];
(async () => {
  const html = await (await fetch(base + '/graphql')).text();
  const vc = new VirtualConsole();
  const errors = [];
  vc.on('jsdomError', e => errors.push(String(e.message || e)));
  vc.on('error', e => errors.push(String(e)));
  const requested = [];
  const dom = new JSDOM(html, { url: base + '/graphql', runScripts: 'dangerously', resources: 'usable', virtualConsole: vc, pretendToBeVisual: true,
    beforeParse(window) {
      window.fetch = async (url, opts) => { requested.push(String(url)); return fetch(new URL(url, base), opts); };
      window.TextDecoder = TextDecoder; window.TextEncoder = TextEncoder;
      window.ResizeObserver = window.ResizeObserver || class { observe() {} unobserve() {} disconnect() {} };
      const rect = () => ({ left: 0, right: 0, top: 0, bottom: 0, width: 0, height: 0 });
      window.Range.prototype.getBoundingClientRect = rect; window.Range.prototype.getClientRects = () => ({ length: 0, item: () => null, [Symbol.iterator]: function* () {} });
      window.matchMedia = window.matchMedia || (() => ({ matches: false, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {} }));
    } });
  await new Promise(r => dom.window.addEventListener('load', r));
  await new Promise(r => setTimeout(r, 3000));
  const root = dom.window.document.getElementById('graphiql');
  console.log('style elements:', dom.window.document.querySelectorAll('style').length, [...dom.window.document.querySelectorAll('style')].map(s => s.textContent.slice(0, 80)));
  console.log('container:', !!root.querySelector('.graphiql-container'));
  console.log('still loading:', root.textContent.startsWith('Loading'));
  console.log('fetches:', requested);
  console.log('errors:', errors.slice(0, 5));
  process.exit(0);
})();
