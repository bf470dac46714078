"""Real-time entries: the Salesforce Outbound Message listener and the signed JSON webhook."""
