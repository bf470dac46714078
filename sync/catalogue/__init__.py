"""The item catalogue: NetSuite items and their price levels become Salesforce products and price book
entries, on a schedule and on demand."""
