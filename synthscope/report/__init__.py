"""The report: pure functions that turn the stages' outputs into a verdict, tables and HTML.

Nothing here reads or writes files; ``synthscope.stages.report.run`` does that. The pieces:

- ``headlines``: headline metrics, the CAS ratio and findings picked from the typed documents
  (``synthscope.documents`` parses and validates them), named in words;
- ``gates``: ``evaluate_gates(metrics, bias, gates)`` -> verdict (pass|warn|fail) and reasons;
- ``sections``: the per-section tables (class balance, attributes, location heatmaps, ...);
- ``build``: ``build_report(...)`` assembles everything into one JSON-able dict (``report.json``);
- ``history``: the run-history table and its trend;
- ``figures``: matplotlib figures and thumbnail grids as inline PNG data URIs;
- ``render``: ``render_html``, ``summary_markdown``, ``findings_table``, ``plot_tables``.
"""
