"""Integrations: one Salesforce org with one NetSuite account (and the sandbox pair its releases are tested
on). An integration owns its mappings, lookups and rules, namespaces its external ids and scopes who sees
its data; several integrations may feed one NetSuite account (an acquired company's org beside the first).

This package is low in the layers (just above :mod:`sync.connections`): the model, the pair -> integration
resolution, external-id namespacing and the per-person scope. Setting integrations up (copying another's
configuration, the acquisition onboarding scan, the console, API and commands) is :mod:`sync.onboarding`.
"""
