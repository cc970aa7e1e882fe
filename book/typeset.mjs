// Typeset the TeX of the book's pages at build time with MathJax 3 itself (npm mathjax-full), so
// that a reader's browser gets finished CommonHTML and runs no MathJax at all.
//
//   node book/typeset.mjs NODE_MODULES < pages.jsonl > typeset.jsonl
//
// One process for the whole book (book/build.py starts it and feeds it while it exports): each input
// line is a JSON string, a whole HTML page; for each, in order, one output line
// {"html": the page with its math typeset, "math": how many formulas, "problems": [...]}, where
// a problem is an expression MathJax could not parse or a macro it does not know (the page shows
// those in red, as the browser did). At the end of the input, one last line {"css": the style sheet
// of all the math of all the pages}: the pages link it; it finds the fonts in woff-v2/ beside it.
//
// What counts as math is what the browser's MathJax found when the pages loaded tex-chtml-full.js
// with the book's configuration (kept below and checked against the browser by tests/test_book.py):
// the same delimiters and environments, every TeX package of the full component, AMS equation
// numbers, and the assistive MathML the full component adds for screen readers. Each page is a
// document of its own, as in the browser: numbers, \label and \newcommand stay on their page.
import {createRequire} from "node:module";
import {createInterface} from "node:readline";

const require = createRequire(`${process.argv[2]}/`);  // the node_modules that npm ci filled
const {mathjax} = require("mathjax-full/js/mathjax.js");
const {STATE} = require("mathjax-full/js/core/MathItem.js");
const {TeX} = require("mathjax-full/js/input/tex.js");
const {CHTML} = require("mathjax-full/js/output/chtml.js");
const {liteAdaptor} = require("mathjax-full/js/adaptors/liteAdaptor.js");
const {RegisterHTMLHandler} = require("mathjax-full/js/handlers/html.js");
const {AssistiveMmlHandler} = require("mathjax-full/js/a11y/assistive-mml.js");
const {AllPackages} = require("mathjax-full/js/input/tex/AllPackages.js");
require("mathjax-full/js/util/entities/all.js");  // every HTML entity at hand, none loaded later

// The book's browser configuration (window.MathJax.tex) as it was. The full component also had the
// `require` package, which could only load packages that are all here already.
const TEX = {
  packages: AllPackages,
  inlineMath: [["$", "$"], ["\\(", "\\)"]],
  displayMath: [["$$", "$$"], ["\\[", "\\]"]],
  processEscapes: true,
  processEnvironments: true,
  tags: "ams",
};

const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));
// One output jax for all pages: its adaptive style sheet gathers the rules of every character used
// anywhere, so one file serves the whole site.
const chtml = new CHTML({fontURL: "woff-v2"});

function problems(node, tex) {  // merror: a TeX error (noerrors); red \name: undefined (noundefined)
  if (node.isKind("merror")) return [`${tex}: ${node.attributes.get("data-mjx-error") || "error"}`];
  if (node.isKind("mtext") && node.attributes.get("mathcolor") === "red"
      && node.childNodes[0]?.getText?.().startsWith("\\")) {
    return [`${tex}: undefined macro ${node.childNodes[0].getText()}`];
  }
  return node.childNodes.flatMap(child => (child ? problems(child, tex) : []));
}

const same = (a, b) => a.length === b.length && a.every((math, i) =>
  math.math === b[i].math && math.display === b[i].display && math.isEscaped === b[i].isEscaped);
let previous = {found: [], problems: []};

function typeset(html) {
  const page = mathjax.document(html, {InputJax: new TeX(TEX), OutputJax: chtml});
  page.findMath();
  const found = Array.from(page.math);
  // A deck has the math of its page, in the same order: then its typeset output is the page's
  // (MathJax's result depends on nothing but the sequence of expressions), copied, not redone.
  const copied = found.length > 0 && same(found, previous.found);
  if (copied) {
    found.forEach((math, i) => {
      math.root = previous.found[i].root;
      math.typesetRoot = adaptor.clone(previous.found[i].typesetRoot);
      math.state(STATE.ASSISTIVEMML);
    });
  }
  page.render();
  if (chtml.chtmlStyles && adaptor.parent(chtml.chtmlStyles)) {  // the pages link the shared sheet
    adaptor.remove(chtml.chtmlStyles);
  }
  const math = found.filter(item => !item.isEscaped);  // not \$, which only becomes <span>$</span>
  const wrong = copied ? previous.problems : math.flatMap(item => problems(item.root, item.math));
  previous = {found, problems: wrong};
  const out = adaptor.doctype(page.document) + "\n" + adaptor.outerHTML(adaptor.root(page.document));
  return {html: out, math: math.length, problems: wrong};
}

for await (const line of createInterface({input: process.stdin, crlfDelay: Infinity})) {
  if (line) process.stdout.write(JSON.stringify(typeset(JSON.parse(line))) + "\n");
}
const css = chtml.chtmlStyles ? adaptor.textContent(chtml.chtmlStyles) : "";
process.stdout.write(JSON.stringify({css}) + "\n");
