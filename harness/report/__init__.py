"""Reports: every writer of a matrix (terminal, JSON, JUnit, Markdown, HTML) and views."""
