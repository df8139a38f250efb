"""Debias augmentation (pure): ``plan`` (what to rebalance, which attributes to decorrelate),
``select`` (realism ranking, copies and near-duplicates dropped), ``transforms`` (targeted
torchvision v2 transforms), ``build`` (the list of output images), ``evaluate`` (before/after)."""
