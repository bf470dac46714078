"""Each deal's milestones on its way from Closed Won to cash, written by the pipeline as they happen.

The dashboard's quote to cash (:func:`console.selectors.quote_to_cash`) reads a window of deals won from
here by index, instead of working out each deal's first event from the inbox, its first synced record
and its first invoice at every look (a scan of the inbox at a million events).
"""

from __future__ import annotations

from django.db import models


class DealMilestone(models.Model):
    """One opportunity of one integration (Salesforce ids are unique within one org only): when it was
    first reported won, first synced as a sales order and first invoiced.

    Every moment is the earliest seen: a write only ever moves one earlier or fills it in
    (:mod:`sync.pipeline.milestones`), so a redelivered or replayed event, a re-sync or a second day's
    invoice leaves it as it is. A deal a backfill brought in carries ``backfilled_at`` and is not counted
    as won: a backfill reads history, and a later poll of the deal (an edit) is not when it was won.
    """

    # Derived figures: they go with their integration.
    integration = models.ForeignKey("sync.Integration", on_delete=models.CASCADE, related_name="+")
    opportunity_id = models.CharField(max_length=18)
    won_at = models.DateTimeField(null=True, blank=True)  # its first Closed Won event (never a backfill's)
    ordered_at = models.DateTimeField(null=True, blank=True)  # its first record synced to NetSuite
    invoiced_at = models.DateTimeField(null=True, blank=True)  # its first invoice synced back
    backfilled_at = models.DateTimeField(null=True, blank=True)  # the first backfill job that read it

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "opportunity_id"], name="deal_milestone_unique")
        ]
        # Quote to cash reads the deals won in a window: of some integrations (a person limited to them,
        # the dashboard's filter) or of all; the other moments ride along (INCLUDE), so the rows are read
        # off the index alone.
        indexes = [
            models.Index(
                fields=["integration", "won_at"],
                include=["opportunity_id", "ordered_at", "invoiced_at", "backfilled_at"],
                name="milestone_integration_won",
            ),
            models.Index(
                fields=["won_at"],
                include=["integration", "opportunity_id", "ordered_at", "invoiced_at", "backfilled_at"],
                name="milestone_won",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.opportunity_id} won {self.won_at}, ordered {self.ordered_at}, invoiced {self.invoiced_at}"
        )
