"""After training: how incoming images differ from the training data (pure logic, no I/O).

``novelty`` scores each incoming image against the training embeddings and calibrates the
``uncovered`` threshold on held-out training images; ``clusters`` groups the uncovered images
and names them from their attributes; ``drift`` reuses the audit's drift check with the sides
named incoming/training; ``trends`` reads the batch history; ``verdict`` applies the
``monitor:`` gates; ``batch.monitor_batch`` puts them together. The file side (ingest,
features, store, outputs) is ``synthscope.stages.monitor``.
"""
