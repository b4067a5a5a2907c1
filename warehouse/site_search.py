"""The site's search: its index (a script file, so it works from `file://`) and the page's script.

Every project, beneficiary, municipality, district and programme is an entry
`[kind, name, detail, url, facets]`; `facets` is `[programme_code, period, status,
district codes ';'-joined]` for projects (empty for the others). The script matches every
term of the query against the entry's name and detail, in Cyrillic and in Latin: the index
is transliterated in the browser with the official streamlined system
(`shared.transliteration`, whose table is written into the script), so `Stambolovo`
finds Стамболово and `стамбол` finds it too. The query and the facets live in the URL
(`?q=…&programme=…&period=…&status=…&district=…`), so a search can be shared; the number of
results is announced to screen readers (`aria-live`).
"""

from __future__ import annotations

import json
from html import escape

from shared.transliteration import _LOWER

MAX_RESULTS = 50
FACETS = ("programme", "period", "status", "district")
FACET_TITLES = {
    "programme": "Програма / programme",
    "period": "Период / period",
    "status": "Статус / status",
    "district": "Област / district",
}

SEARCH_JS = r"""(function () {
  var input = document.getElementById('q'), out = document.getElementById('results');
  var count = document.getElementById('result-count');
  if (!input || !out) return;
  var LATIN = __LATIN__;
  var KINDS = {m: 'Община', d: 'Област', g: 'Програма', r: 'Процедура', b: 'Бенефициент', p: 'Проект'};
  var ORDER = {m: 0, d: 1, g: 2, r: 3, b: 4, p: 5};
  var FACETS = ['programme', 'period', 'status', 'district'];
  function latin(s) {
    return s.replace(/[\u0400-\u04ff]+/g, function (w) {
      var r = '';
      for (var i = 0; i < w.length; i++) {
        var c = w.charAt(i);
        if (c === 'я' && i === w.length - 1 && i > 0 && w.charAt(i - 1) === 'и') { r += 'a'; continue; }
        r += LATIN.hasOwnProperty(c) ? LATIN[c] : c;
      }
      return r;
    });
  }
  function norm(s) { return (s || '').toLowerCase().replace(/[„“”"'«»]/g, '').replace(/\s+/g, ' '); }
  function prepare(entries) {
    return (entries || []).map(function (e) {
      var t = norm(e[1] + ' ' + e[2]);
      return [e, t + ' ' + latin(t)];
    });
  }
  var index = prepare(window.BGFUNDS_INDEX), projectsState = 'not loaded';
  // The projects' entries (most of the index) load with the first search, not with the page.
  function loadProjects() {
    if (projectsState !== 'not loaded') return;
    projectsState = 'loading';
    var script = document.createElement('script');
    script.src = 'search-index-projects.js';
    script.onload = function () {
      index = index.concat(prepare(window.BGFUNDS_PROJECTS));
      projectsState = 'loaded';
      run();
    };
    script.onerror = function () { projectsState = 'failed'; };
    document.head.appendChild(script);
  }
  var selects = {};
  FACETS.forEach(function (f) { selects[f] = document.getElementById('facet-' + f); });
  function facetsOk(e) {
    var v = e[4];
    for (var i = 0; i < FACETS.length; i++) {
      var s = selects[FACETS[i]], want = s && s.value;
      if (!want) continue;
      if (!v) return false;
      if (FACETS[i] === 'district') { if ((';' + v[3] + ';').indexOf(';' + want + ';') < 0) return false; }
      else if (v[i] !== want) return false;
    }
    return true;
  }
  function anyFacet() { return FACETS.some(function (f) { return selects[f] && selects[f].value; }); }
  function saveState() {
    var p = new URLSearchParams();
    if (input.value.trim()) p.set('q', input.value.trim());
    FACETS.forEach(function (f) { if (selects[f] && selects[f].value) p.set(f, selects[f].value); });
    var qs = p.toString();
    try { history.replaceState(null, '', qs ? '?' + qs : location.pathname); } catch (err) { /* file:// */ }
  }
  function run() {
    var q = norm(input.value.trim());
    out.textContent = '';
    saveState();
    if (q.length < 2 && !anyFacet()) { if (count) count.textContent = ''; return; }
    loadProjects();
    var terms = q ? q.split(' ') : [], hits = [];
    var latinTerms = terms.map(latin);
    for (var i = 0; i < index.length; i++) {
      var t = index[i][1], ok = true;
      for (var j = 0; j < terms.length; j++) {
        if (t.indexOf(terms[j]) < 0 && t.indexOf(latinTerms[j]) < 0) { ok = false; break; }
      }
      if (ok && anyFacet()) ok = facetsOk(index[i][0]);
      if (ok) hits.push(index[i][0]);
    }
    hits.sort(function (a, b) {
      var pa = norm(a[1]).indexOf(q) === 0 ? 0 : 1, pb = norm(b[1]).indexOf(q) === 0 ? 0 : 1;
      return (ORDER[a[0]] - ORDER[b[0]]) || (pa - pb) || a[1].localeCompare(b[1], 'bg');
    });
    if (count) {
      count.textContent = hits.length + (hits.length === 1 ? ' резултат' : ' резултата') +
        (hits.length > __MAX__ ? ' (първите __MAX__)' : '') + ' / ' + hits.length + ' results';
    }
    var ul = document.createElement('ul');
    hits.slice(0, __MAX__).forEach(function (e) {
      var li = document.createElement('li'), kind = document.createElement('span'), a = document.createElement('a');
      kind.className = 'kind'; kind.textContent = KINDS[e[0]] || e[0];
      a.href = e[3]; a.textContent = e[1];
      li.appendChild(kind); li.appendChild(a);
      if (e[2]) { var s = document.createElement('small'); s.textContent = ' ' + e[2]; li.appendChild(s); }
      ul.appendChild(li);
    });
    out.appendChild(ul);
  }
  var params = new URLSearchParams(location.search);
  if (params.get('q')) input.value = params.get('q');
  FACETS.forEach(function (f) {
    var s = selects[f];
    if (!s) return;
    if (params.get(f)) s.value = params.get(f);
    s.addEventListener('change', run);
  });
  input.addEventListener('input', run);
  run();
})();
"""


def search_js() -> str:
    """The search script, with the transliteration table of `transforms.transliteration`."""
    return SEARCH_JS.replace("__LATIN__", json.dumps(_LOWER, ensure_ascii=False)).replace(
        "__MAX__", str(MAX_RESULTS)
    )


def index_js(entries: list[list], name: str = "BGFUNDS_INDEX") -> str:
    """A script that sets `window.<name>` to the entries (a script, not JSON: `file://` loads it)."""
    return (
        f"window.{name} = " + json.dumps(entries, ensure_ascii=False, separators=(",", ":")) + ";\n"
    )


def facet_controls(options: dict[str, list[tuple[str, str]]]) -> str:
    """A `<select>` per facet (value, label), each starting with "all"."""
    parts = []
    for facet in FACETS:
        opts = "".join(
            f'<option value="{escape(v)}">{escape(label)}</option>'
            for v, label in options.get(facet, [])
        )
        parts.append(
            f'<label class="facet">{escape(FACET_TITLES[facet])}'
            f'<select id="facet-{facet}" name="{facet}"><option value="">всички / all</option>'
            f"{opts}</select></label>"
        )
    return f'<div class="facets">{"".join(parts)}</div>'


def search_box() -> str:
    """The search field, the facets go after it, and the live region that announces results."""
    return (
        '<label for="q">Търсене: община, бенефициент (име или ЕИК), проект, програма; '
        "на кирилица или латиница / search in Cyrillic or Latin</label>"
        '<input id="q" type="search" placeholder="напр. Стамболово, Stambolovo, 000413878, '
        'BG05SFOP001-2.009-0010" autofocus>'
    )


def results_region() -> str:
    return (
        '<p id="result-count" role="status" aria-live="polite" aria-atomic="true"></p>'
        '<div id="results"></div>'
    )
