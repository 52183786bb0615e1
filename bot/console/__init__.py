"""The staff console: a web view of what residents ask, what the bot could not answer, and the
help desk's queue, served by the bot itself.

This package is its domain part, with no web server and no Telegram (tests/test_layers.py):
the reports, charts and CSV built from the database and the knowledge base, sign-in links,
sessions and the audit log (auth.py), and the one adapter through which a page changes the
help desk (actions.py). The web part is `bot.console.web`.

What each page takes:
- overview: `reports.overview` -> `charts.hours_chart`, `shares_chart`, `languages_chart`;
  CSV `csvexport.overview_hours_csv` and `overview_summary_csv`.
- unanswered: `reports.unanswered` (with the keys staff marked handled, and the
  `records.SimilarityMemo` the web pages keep between requests) ->
  `snippets.questions_snippet_for` (an entry id staff chose) / `new_entry_snippet`; CSV
  `unanswered_csv`.
- feedback: `reports.feedback`; CSV `feedback_csv`.
- knowledge base: `knowledge.FolderChecks(root).get(today)` (in a thread) ->
  `knowledge.knowledge_report`, `flag_labels`, `reload_label`; CSV `knowledge_csv`.
Question texts are masked with a `masking.Masker.for_knowledge(kb)`, built once per
knowledge base (it keeps what it masked); times are shown in `reports.zone_for(kb,
municipality)`. Every text returned is plain (text.py): escape it once where it goes into
HTML; the SVG charts are escaped.
"""
