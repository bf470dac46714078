"""Governance: roles and their permissions, the audit trail, and (later) approvals and releases."""
