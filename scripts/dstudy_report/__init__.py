"""Report rendering for the delete-intensive container study.

Reads only a run folder's merged results.json (docs/result-schema.md) and
writes figures, an HTML page and a Markdown summary; see docs/reports.md.
"""
