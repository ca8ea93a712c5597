"""Reads behind the managers' dashboards.

Labels are dated by ``Label.outcome_at`` (when the outcome happened: the labeling time for a rep,
the outcome date for imported history); imported history is left out unless asked for. Shares
and rates are weighted by inverse propensity (see ``config.rates``) and carry their label counts.
"""
