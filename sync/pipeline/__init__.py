"""The Closed Won pipeline: inbox -> opportunity graphs -> gates -> mapping -> ordered NetSuite upserts ->
cross-references -> write-back to Salesforce.

``sources`` and ``gates`` are the seams other parts plug into (published mappings, business rules);
``writer`` is the per-opportunity NetSuite work run in worker threads (no database access there);
``runner`` is the batch around it (claims, job records, write-back), and ``polling`` the catch-up poll.
"""
