"""Pure metrics: arrays in, numbers out. Modules are named by what they turn into what
(``features_to_stats``, ``frechet_distance``, ``kid``, ``inception_score``, ``prdc``,
``bootstrap``, ``cas``); ``suite`` holds the registry the score stage runs."""
