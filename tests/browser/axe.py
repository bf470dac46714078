"""axe-core and the label check, run in Chromium on the page a browser test has open.

axe-core is the vendored copy in static/vendor/axe-core/, injected here only: no template loads it. Used by
test_accessibility.py (every page of the URL access table) and the first-run journey (the MFA pages).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.templatetags.static import static
from playwright.sync_api import Page

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
# Loaded by its URL on the live server rather than from the file, so that Chromium compiles it once and
# reuses the compiled code on every page (a third of the test's time otherwise).
AXE_STATIC = "vendor/axe-core/axe.min.js"
# WCAG 2.0-2.2 A and AA, and axe's best practices (landmarks, headings, one main, ...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}
RUN_AXE = """async tags => {
  // The API docs' Swagger UI is a third party's generated widget: its own page shell is checked.
  const only = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
  const result = await axe.run({exclude: [["#swagger-ui"]]}, only);
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""
# axe accepts a placeholder, a title or a wrapping label as a control's name; here a control is named by
# a <label for> (its id), aria-label or aria-labelledby; ids are unique; each label's "for" names an element.
UNLABELLED = """() => {
  const problems = [];
  const text = element => (element && element.textContent || "").trim();
  const controls = Array.from(document.querySelectorAll("input, select, textarea"))
    .filter(c => !["hidden", "submit", "button", "reset", "image"].includes(c.type));
  for (const c of controls) {
    const label = c.id ? document.querySelector(`label[for="${CSS.escape(c.id)}"]`) : null;
    const labelledBy = (c.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean)
      .map(id => text(document.getElementById(id))).join(" ").trim();
    if (text(label) || (c.getAttribute("aria-label") || "").trim() || labelledBy) continue;
    const wrapped = c.closest("label") ? " (a wrapping label is not enough: use for=)" : "";
    problems.push(`a control without a label${wrapped}: ${c.outerHTML.slice(0, 120)}`);
  }
  const counts = {};
  for (const element of document.querySelectorAll("[id]")) counts[element.id] = (counts[element.id] || 0) + 1;
  for (const [id, count] of Object.entries(counts)) {
    if (count > 1) problems.push(`the id "${id}" is used ${count} times`);
  }
  for (const label of document.querySelectorAll("label[for]")) {
    if (!document.getElementById(label.htmlFor)) {
      problems.push(`a label for "${label.htmlFor}", which is not there`);
    }
  }
  return problems;
}"""


def axe_violations(page: Page, where: str) -> list[str]:
    """axe-core's serious and critical violations on ``page`` and the label check's problems, each
    prefixed with ``where``; axe is injected by its URL on the page's own server (the CSP's 'self')."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(url=static(AXE_STATIC))
    found = page.evaluate(RUN_AXE, AXE_TAGS)
    unlabelled = [f"{where}: {problem}" for problem in page.evaluate(UNLABELLED)]
    return unlabelled + [
        f"{where}: {v['impact']} {v['id']} ({v['help']}) at {'; '.join(v['targets'])}"
        for v in found
        if v["impact"] in FAILING_IMPACTS
    ]
