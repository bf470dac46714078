"""Setting integrations up: a new integration's configuration as a copy of another's, the acquisition
onboarding (the go-live scan of a new org against the NetSuite records the first org created, its plan and
its application), and the console pages, API and commands that manage integrations and their grants."""
