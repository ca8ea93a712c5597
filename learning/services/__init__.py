"""The learning app's writes, one module per concern:

- ``training``: fit a model version, the promotion guard, activate a version.
- ``loop``: the learning loop, its claim and heartbeat, when a retrain is due.
- ``workers``: which worker this is, messages to the workers, labels and rescore requests counted,
  the first write of the loop's state row.
- ``admin``: the admin's audited changes (settings, point rules, promotions, next actions).
- ``webhooks``: changed scores to the CRM.
"""
