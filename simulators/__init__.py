"""Salesforce and NetSuite simulators: the vendors' real wire protocols served over HTTPS on loopback.

The package stands alone (no Django). ``python -m simulators --help`` lists the commands.
"""
