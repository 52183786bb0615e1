"""The staff console's data: reports, charts and CSV built from the database and the
knowledge base. Pure library code: no web server and no Telegram here (tests/test_layers.py).

What each page takes, for the web server that renders them:
- overview: `reports.overview` -> `charts.hours_chart`, `shares_chart`, `languages_chart`;
  CSV `csvexport.overview_hours_csv` and `overview_summary_csv`.
- unanswered: `reports.unanswered` (with the keys staff marked handled) ->
  `snippets.questions_snippet_for` (an entry id staff chose) / `new_entry_snippet`; CSV
  `unanswered_csv`.
- feedback: `reports.feedback`; CSV `feedback_csv`.
- knowledge base: `knowledge.FolderChecks(root).get(today)` (in a thread) ->
  `knowledge.knowledge_report`, `flag_labels`, `reload_label`; CSV `knowledge_csv`.
Question texts are masked with a `masking.Masker.for_knowledge(kb)`, built once per
knowledge base; times are shown in `reports.zone_for(kb, municipality)`. Every text returned
is plain (text.py): escape it once where it goes into HTML; the SVG charts are escaped.
"""
