"""Notifications to people and team channels: Slack and Microsoft Teams incoming webhooks, and e-mail.

Life cycle (see docs/notifications.md):

1. A source *raises* an event (:mod:`sync.notifications.events`): an escalation, a failure rate over the
   threshold, a reconciliation run with mismatches, a connection going down or coming back. The event is
   a row, due after the policy's delay (escalations and recoveries: at once).
2. A condition that clears before the event is due *cancels* it (a connection back within the delay, a
   clean re-run): a transient error a quick retry fixes notifies nobody.
3. The dispatcher (:mod:`sync.notifications.dispatch`, a django-q2 schedule and a task after each raise)
   turns each due event into deliveries: one per matching channel, one e-mail per person who wants it, and
   console notifications.
4. Each delivery is claimed, sent once, and recorded (status, attempts, last error); a transient failure
   (network, 429, 5xx) is tried again with backoff; the deliveries page and API show them all.
"""
