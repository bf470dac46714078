"""Reconciliation: periodic comparison of Salesforce and NetSuite records, and the differences found."""
