"""Duplicates and stories: URL canonicalisation, text fingerprints, online story clustering.

A pure stage: it takes :class:`aggregator.models.ClusterItem` values and returns decisions; it
never touches storage, settings, fetching or cleaning.
"""
