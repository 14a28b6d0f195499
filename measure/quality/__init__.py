"""How right the suggestions are: the evaluation over fill-in-the-middle suites, the fresh and
multi-language suites and the import and edit holes they are cut from, the naive baseline,
the confidence threshold."""
