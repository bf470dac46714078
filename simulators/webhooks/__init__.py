"""A local receiver of Slack and Microsoft Teams incoming webhooks, for tests over real HTTPS."""
