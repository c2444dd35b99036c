"""The HTML report's stylesheet and script (``report.css``, ``report.js``): package data,
inlined into every page by :func:`harness.report.html.to_html` so the page stays one
self-contained file."""
