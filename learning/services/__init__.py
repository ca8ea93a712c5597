"""The learning app's writes, one module per concern:

- ``training``: fit a model version, the promotion guard, activate a version.
- ``loop``: the learning loop, its claim and heartbeat, when a retrain is due.
- ``workers``: which worker this is, messages to the workers, labels and rescore requests counted.
- ``admin``: the admin's audited changes (settings, point rules, promotions, next actions).
- ``webhooks``: changed scores to the CRM.
- ``explanations``: explanations of leads the rescore left unexplained, on first read.
"""
