"""The page in French: `<html lang="fr">` and Streamlit's own English strings translated in the browser.

Streamlit 1.67 has no translations: its page declares `<html lang="en">` (so a
screen reader reads the French interface with an English voice) and its widgets
say « Choose an option », « Drag and drop files here », « 5 options available »…
`dashboard.py` serves the app through this ASGI middleware, which rewrites the
HTML document Streamlit sends (only that: websockets, scripts, media and other
responses pass through untouched):

- `<html lang="en">` becomes `<html lang="fr">`;
- a small fixed script is added to `<head>`: a MutationObserver that replaces
  the known English strings (`TEXTES`, `MOTIFS`) in text nodes and in the
  `placeholder`, `aria-label`, `title` and `aria-placeholder` attributes as
  Streamlit draws them. Only whole strings from the lists are replaced, and
  never inside what the app writes itself (`GARDER`: texts, Markdown, tables),
  so a comment typed by a user is shown exactly as typed.

The lists were collected in Chromium by opening every page of every role
(`tests/browser/test_french.py` keeps checking them). Where Streamlit has a
French option it is used instead (`format="DD/MM/YYYY"`, `placeholder=`…).
"""

from __future__ import annotations

import json
import re

# Whole strings Streamlit's front end writes, and their French.
TEXTES: dict[str, str] = {
    # select boxes and multiselects
    "Choose an option": "Choisissez une option",
    "Choose options": "Choisissez des options",
    "Select...": "Choisissez…",
    "No options to select": "Aucune option à choisir",
    "No options to select.": "Aucune option à choisir.",
    "No results": "Aucun résultat",
    "Clear all": "Tout effacer",
    "Clear value": "Effacer la valeur",
    "Select all": "Tout choisir",
    "Open": "Ouvrir",
    "Close": "Fermer",
    "Delete": "Supprimer",
    "Remove": "Retirer",
    # forms and text fields
    "Press Enter to submit form": "Appuyez sur Entrée pour envoyer le formulaire",
    "Press Ctrl+Enter to submit form": "Appuyez sur Ctrl+Entrée pour envoyer le formulaire",
    "Press ⌘+Enter to submit form": "Appuyez sur ⌘+Entrée pour envoyer le formulaire",
    "Press Enter to apply": "Appuyez sur Entrée pour valider",
    "Press Ctrl+Enter to apply": "Appuyez sur Ctrl+Entrée pour valider",
    "Press ⌘+Enter to apply": "Appuyez sur ⌘+Entrée pour valider",
    "Show password text": "Afficher le mot de passe",
    "Hide password text": "Masquer le mot de passe",
    "Increment": "Augmenter",
    "Decrement": "Diminuer",
    # dates
    "dd/mm/yyyy": "jj/mm/aaaa",
    "DD/MM/YYYY": "JJ/MM/AAAA",
    "YYYY/MM/DD": "AAAA/MM/JJ",
    "Choose date": "Choisir une date",
    "Choose Date": "Choisir une date",
    "Previous month.": "Mois précédent.",
    "Next month.": "Mois suivant.",
    "Previous month": "Mois précédent",
    "Next month": "Mois suivant",
    "Calendar.": "Calendrier.",
    "Calendar": "Calendrier",
    # file uploader
    "Drag and drop files here": "Glissez-déposez des fichiers ici",
    "Drag and drop file here": "Glissez-déposez un fichier ici",
    "Browse files": "Parcourir les fichiers",
    "Upload": "Téléverser",
    "Upload file": "Téléverser un fichier",
    "Upload files": "Téléverser des fichiers",
    "Remove file": "Retirer le fichier",
    "Showing page": "Page",
    # charts (the chart's menu) and tables (their toolbar)
    "Show data": "Voir les données",
    "Download as PNG": "Télécharger en PNG",
    "Download as SVG": "Télécharger en SVG",
    "Save as PNG": "Enregistrer en PNG",
    "Save as SVG": "Enregistrer en SVG",
    "View Source": "Voir la source",
    "View source": "Voir la source",
    "View Compiled Vega": "Voir le Vega compilé",
    "Open in Vega Editor": "Ouvrir dans l'éditeur Vega",
    "Download as CSV": "Télécharger en CSV",
    "Search": "Rechercher",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "Copy to clipboard": "Copier",
    "Sort ascending": "Tri croissant",
    "Sort descending": "Tri décroissant",
    "Autosize": "Taille automatique",
    "Pin column": "Épingler la colonne",
    "Unpin column": "Détacher la colonne",
    "Hide column": "Masquer la colonne",
    "Format": "Format",
    "Fullscreen chart": "Graphique en plein écran",
    # the app's frame
    "Main menu": "Menu principal",
    "Running...": "Calcul en cours…",
    "Stop": "Arrêter",
    "Rerun": "Relancer",
    "Connecting": "Connexion…",
    "Collapse sidebar": "Replier le panneau latéral",
    "Expand sidebar": "Déplier le panneau latéral",
    "Close sidebar": "Fermer le panneau latéral",
    "Open sidebar": "Ouvrir le panneau latéral",
    "Show navigation": "Afficher la navigation",
    "Hide navigation": "Masquer la navigation",
    "View more": "Voir plus",
    "View less": "Voir moins",
    "Help": "Aide",
    "Tooltip": "Info-bulle",
    "Copy": "Copier",
    "Copied": "Copié",
    "Dismiss": "Fermer",
    "Link to heading": "Lien vers ce titre",
    "Sidebar": "Panneau latéral",
    "Skip to main content": "Aller au contenu principal",
    "file upload": "téléversement de fichier",
    "dd": "jj",
    "mm": "mm",
    "yyyy": "aaaa",
}

# Strings with a number or a name inside: (JavaScript regular expression, French replacement).
MOTIFS: list[tuple[str, str]] = [
    (r"^(\d+) options? available\.?$", "$1 option(s) disponible(s)"),
    (r"^(\d+) results? available\.?$", "$1 résultat(s) disponible(s)"),
    (r"^Limit (\d+(?:[.,]\d+)?)\s?MB per file(.*)$", "Limite : $1 Mo par fichier$2"),
    (r"^(\d+(?:[.,]\d+)?)\s?MB per file(.*)$", "$1 Mo par fichier$2"),
    (r"^Choose date\. Selected date is (.*)$", "Choisir une date. Date choisie : $1"),
    (r"^Selected Date: (\w+) (\d+), (\d+)$", "Date choisie : $2 $1 $3"),
    (r"^(day|month|year), (.+)$", "$1, $2"),
    (r"^option (.*), selected\.$", "option $1, choisie."),
    (r"^option (.*) focused, (\d+) of (\d+)\. (\d+) results? available\.(.*)$", "option $1 en surbrillance, $2 sur $3."),
    (r"^Select box activated$", "Liste de choix ouverte"),
    (r"^Help for (.+)$", "Aide : $1"),
    (r"^Show data: (.+)$", "Voir les données : $1"),
    (r"^Download as PNG: (.+)$", "Télécharger en PNG : $1"),
    (r"^Download as SVG: (.+)$", "Télécharger en SVG : $1"),
    (r"^Copy Vega-Lite spec: (.+)$", "Copier la spécification Vega-Lite : $1"),
    (r"^Fullscreen: (.+)$", "Plein écran : $1"),
    (r"^Close fullscreen: (.+)$", "Quitter le plein écran : $1"),
    # what Vega says of a chart to a screen reader
    (r"^([XY])-axis titled '(.*)' for a (\w+) scale with values from (.*) to (.*)$", "Axe $1 « $2 », valeurs de $4 à $5"),
    (r"^([XY])-axis for a (\w+) scale with values from (.*) to (.*)$", "Axe $1, valeurs de $3 à $4"),
    (r"^([XY])-axis titled '(.*)' for a discrete scale with (\d+) values?: (.*)$", "Axe $1 « $2 », $3 valeur(s) : $4"),
    (r"^([XY])-axis for a discrete scale with (\d+) values?: (.*)$", "Axe $1, $2 valeur(s) : $3"),
    (r"^(?:Symbol|Gradient) legend titled '(.*)' for .* with (\d+) values?: (.*)$", "Légende « $1 », $2 valeur(s) : $3"),
    (r"^(?:Symbol|Gradient) legend for .* with (\d+) values?: (.*)$", "Légende, $1 valeur(s) : $2"),
    (r"^Gradient legend titled '(.*)' for .* with values from (.*) to (.*)$", "Légende en dégradé « $1 », de $2 à $3"),
    (r"^Gradient legend for .* with values from (.*) to (.*)$", "Légende en dégradé, de $1 à $2"),
    (r"^Remove (.+)$", "Retirer $1"),
    (r"^Delete (.+)$", "Supprimer $1"),
]
# English names inside a translated string (a date Streamlit spells out), then into French.
MOTS = {
    "January": "janvier", "February": "février", "March": "mars", "April": "avril", "May": "mai", "June": "juin",
    "July": "juillet", "August": "août", "September": "septembre", "October": "octobre", "November": "novembre",
    "December": "décembre", "day": "jour", "month": "mois", "year": "année",
}

# Streamlit's own words drawn as Markdown inside its widgets (the uploader's button says « Upload »).
CHROME = ('[data-testid="stFileUploader"] button', '[data-testid="stFileUploaderDropzone"]')
ATTRIBUTS = ("placeholder", "aria-label", "title", "aria-placeholder", "aria-valuetext")
# Where the app's own words are (texts, Markdown, tables, code), and icons (`translate="no"`: the name of a
# Material icon, « search », is its drawing): their text nodes are never changed, so a comment typed by a
# conseiller that happens to read « Stop » or « Search » stays as typed.
GARDER = ('[data-testid="stMarkdownContainer"]', '[data-testid="stText"]', '[data-testid="stCode"]',
          '[data-testid="stTable"]', '[data-testid="stMetricValue"]', '[translate="no"]', "textarea", "input")

_SCRIPT = r"""
(function () {
  var T = %(textes)s, M = %(motifs)s.map(function (m) { return [new RegExp(m[0]), m[1]]; }), W = %(mots)s;
  // one test tells whether any pattern may apply: most strings of a page are none of Streamlit's
  var ANY = new RegExp(M.map(function (m) { return "(?:" + m[0].source + ")"; }).join("|"));
  var WORDS = new RegExp("\\b(" + Object.keys(W).join("|") + ")\\b", "g");
  var SEGMENTS = {"dd": 1, "mm": 1, "yyyy": 1};
  var A = %(attributs)s, KEEP = %(garder)s, CHROME = %(chrome)s;
  var SELECT = A.map(function (a) { return "[" + a + "]"; }).join(",");
  var has = Object.prototype.hasOwnProperty;
  function fr(s) {
    if (!s || s.length > 400) return null;
    var t = s.trim();
    if (!t) return null;
    if (has.call(T, t)) return s.replace(t, T[t]);
    if (!ANY.test(t)) return null;
    for (var i = 0; i < M.length; i++) {
      if (M[i][0].test(t)) {
        var f = t.replace(M[i][0], M[i][1]).replace(WORDS, function (w) { return W[w]; });
        return s.replace(t, f);
      }
    }
    return null;
  }
  function textNode(n) {
    var v = fr(n.nodeValue);  // the cheap test first: the checks below walk up the tree
    if (v === null || v === n.nodeValue) return;
    var p = n.parentElement;
    if (!p || p.nodeName === "SCRIPT" || p.nodeName === "STYLE") return;
    // an editable node only when it shows a date segment's placeholder (« dd », « yyyy »: no one types letters there)
    if (p.isContentEditable && !has.call(SEGMENTS, n.nodeValue.trim())) return;
    if (p.closest(KEEP) && !p.closest(CHROME)) return;  // what the app writes (texts, tables): never changed
    n.nodeValue = v;
  }
  function element(e) {
    for (var i = 0; i < A.length; i++) {
      var a = e.getAttribute(A[i]);
      if (a) { var v = fr(a); if (v !== null && v !== a) e.setAttribute(A[i], v); }
    }
  }
  function walk(root) {
    if (root.nodeType === 3) { textNode(root); return; }
    if (root.nodeType !== 1 && root.nodeType !== 11) return;
    if (root.nodeType === 1 && root.matches(SELECT)) element(root);
    var found = root.querySelectorAll(SELECT);  // only the elements that carry one of the attributes
    for (var i = 0; i < found.length; i++) element(found[i]);
    var w = document.createTreeWalker(root, 4);  // text
    var n;
    while ((n = w.nextNode())) textNode(n);
  }
  function start() {
    document.documentElement.lang = "fr";
    walk(document.body);
    new MutationObserver(function (records) {
      for (var i = 0; i < records.length; i++) {
        var r = records[i];
        if (r.type === "childList") { for (var j = 0; j < r.addedNodes.length; j++) walk(r.addedNodes[j]); }
        else if (r.type === "characterData") textNode(r.target);
        else if (r.type === "attributes") element(r.target);
      }
      if (document.documentElement.lang !== "fr") document.documentElement.lang = "fr";
    }).observe(document.documentElement, {
      childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: A.concat(["lang"])
    });
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
"""


def script() -> str:
    """The fixed script added to the page (the lists as JSON: no value of a request ever goes into it)."""
    return _SCRIPT % {
        "textes": json.dumps(TEXTES, ensure_ascii=False),
        "motifs": json.dumps(MOTIFS, ensure_ascii=False),
        "mots": json.dumps(MOTS, ensure_ascii=False),
        "attributs": json.dumps(list(ATTRIBUTS)),
        "garder": json.dumps(", ".join(GARDER)),
        "chrome": json.dumps(", ".join(CHROME)),
    }


_TAG = ('<script id="mlimpact-francais">' + script() + "</script>").encode("utf-8")
_HTML_LANG = re.compile(rb"<html(\s[^>]*)?>", re.IGNORECASE)


def french_document(html: bytes) -> bytes:
    """Streamlit's HTML document with `lang="fr"` and the script of translations in its head."""

    def lang_fr(match: re.Match) -> bytes:
        attributes = re.sub(rb'\s+lang\s*=\s*("[^"]*"|\'[^\']*\'|\S+)', b"", match.group(1) or b"", flags=re.IGNORECASE)
        return b'<html lang="fr"' + attributes + b">"

    html = _HTML_LANG.sub(lang_fr, html, count=1)
    if b'id="mlimpact-francais"' in html:
        return html
    head = html.lower().find(b"<head>")
    if head < 0:
        return html
    at = head + len(b"<head>")
    return html[:at] + _TAG + html[at:]


class FrenchPage:
    """Pure ASGI middleware: rewrite Streamlit's HTML document (`text/html` responses); the rest passes through.

    The document is asked of Streamlit uncompressed (the request's `Accept-Encoding`
    is dropped for page requests), then rewritten and its `Content-Length` set again.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD") or not _wants_html(scope):
            await self.app(scope, receive, send)
            return
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]}
        start: dict | None = None
        body: list[bytes] = []

        async def rewrite(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                is_html = headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers
                if not is_html:
                    start = None
                    await send(message)
                    return
                start = message
                return
            if message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                html = french_document(b"".join(body))
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(html)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": html if scope.get("method") == "GET" else b""})
                return
            await send(message)

        await self.app(scope, receive, rewrite)


def _wants_html(scope) -> bool:
    """A request for a page (the browser asks for HTML), not for a script, a style, an image or data."""
    path = scope.get("path", "")
    if path.startswith(("/_stcore", "/static/", "/media/", "/component/", "/app/static/")):
        return False
    accept = next((v for k, v in scope.get("headers", []) if k.lower() == b"accept"), b"")
    return b"text/html" in accept or path.endswith((".html", "/"))
