"""Cross-agency record linkage over keyed match features (docs/guide/linkage.md).

- ``spec``      the model as a specification (comparisons, blocking, training rules) plus
                trained parameters, rendered per engine (DuckDB or Spark);
- ``model``     training, prediction and clustering with Splink;
- ``baseline``  the deterministic baseline (shared identifiers, else exact name + birth date);
- ``evaluate``  pairwise precision/recall/F1 and B-cubed against a ground truth (pure);
- ``explain``   match-weight waterfalls without raw values;
- ``store``     the workspace tables (features, models, person_links, runs);
- ``spark``     the optional Spark backend (``vru[spark]``).
"""
