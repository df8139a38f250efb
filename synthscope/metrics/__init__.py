"""Pure metrics: arrays in, numbers out. Modules are named by what they turn into what
(``features_to_stats``, ``frechet_distance``, ``kid``, ``inception_score``, ``prdc``,
``bootstrap``, ``cas``). Each metric module registers itself (``metric.register_metric``);
``suite`` imports them and runs the registry for the score stage."""
