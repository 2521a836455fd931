"""Answering "is A really better than B?": pure statistics over runs' values.

- :mod:`heron.analysis.stats`: two groups compared (Welch, bootstrap, effect size,
  the sample size needed, a verdict in words);
- :mod:`heron.analysis.groups`: seed groups (runs that differ only in the seed);
- :mod:`heron.analysis.bands`: a group's curves as a mean with a band;
- :mod:`heron.analysis.importance`: correlation and random-forest importance of
  parameters for a metric.

Numbers in, numbers out: no store, no I/O. Needs numpy, scipy and scikit-learn (the
``sweeps`` extra). See docs/analysis.md.
"""
