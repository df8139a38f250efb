"""Per-image features: pixel attributes (``attributes``) and deep embeddings (``extractors``)."""
