"""bench/volume.py's own checks: the percentile, the plan summary and the verdict that fails a run."""

from __future__ import annotations

from bench.volume import Page, PageResult, PlanSummary, percentile, plan_summary, verdict

PAGE = Page("jobs", "/sync/jobs/", "revops", "href")


def test_it_takes_the_nearest_rank_percentile() -> None:
    assert percentile([float(v) for v in range(40, 0, -1)], 95) == 38.0
    assert percentile([5.0], 95) == 5.0
    assert percentile([1.0, 2.0], 50) == 1.0


def test_it_names_every_scan_and_the_big_tables_read_in_full() -> None:
    explained = [
        {
            "Execution Time": 1.234,
            "Plan": {
                "Node Type": "Nested Loop",
                "Plans": [
                    {
                        "Node Type": "Index Scan",
                        "Relation Name": "sync_syncjob",
                        "Index Name": "syncjob_started",
                    },
                    {"Node Type": "Seq Scan", "Relation Name": "sync_connection"},
                    {
                        "Node Type": "Hash",
                        "Plans": [{"Node Type": "Seq Scan", "Relation Name": "sync_inboxmessage"}],
                    },
                ],
            },
        }
    ]
    summary = plan_summary("SELECT 1", explained)
    assert summary.ms == 1.23
    assert summary.scans == [
        "Index Scan sync_syncjob using syncjob_started",
        "Seq Scan sync_connection",  # a small table read in full is fine
        "Seq Scan sync_inboxmessage",
    ]
    assert summary.seq_scans_of_big_tables == ["sync_inboxmessage"]


def test_its_verdict_fails_a_slow_page_a_big_seq_scan_an_error_and_an_empty_page() -> None:
    fast = PageResult(
        PAGE, 200, True, [10.0] * 39 + [150.0], plans=[PlanSummary("q", 1.0, ["Index Scan"], [])]
    )
    assert verdict([fast]) == []  # one slow request in 40 is above p95
    slow = PageResult(PAGE, 200, True, [10.0] * 37 + [150.0] * 3)  # 3 of 40: the 38th is slow
    scan = PageResult(PAGE, 200, True, [1.0], plans=[PlanSummary("SELECT big", 9.0, [], ["sync_syncjob"])])
    problems = verdict([slow, scan, PageResult(PAGE, 500, False, [])])
    assert problems == [
        "jobs (revops): p95 150.0 ms, goal under 100 ms",
        "jobs (revops): sequential scan of sync_syncjob in SELECT big",
        "jobs (revops): answered 500",
        "jobs (revops): no rows on the page (did the seed run?)",
        "jobs (revops): not timed",
    ]


def test_a_bitmap_heap_scan_names_the_indexes_its_bitmap_came_from() -> None:
    # The queue's search: one trigram index per searched column, OR-ed.
    explained = [
        {
            "Plan": {
                "Node Type": "Bitmap Heap Scan",
                "Relation Name": "sync_exceptionitem",
                "Plans": [
                    {
                        "Node Type": "BitmapOr",
                        "Plans": [
                            {"Node Type": "Bitmap Index Scan", "Index Name": "exception_title_trgm"},
                            {"Node Type": "Bitmap Index Scan", "Index Name": "exception_records_trgm"},
                            {"Node Type": "Bitmap Index Scan", "Index Name": "exception_title_trgm"},
                        ],
                    }
                ],
            }
        }
    ]
    summary = plan_summary("SELECT search", explained)
    assert summary.scans == [
        "Bitmap Heap Scan sync_exceptionitem using exception_title_trgm, exception_records_trgm"
    ]
    assert summary.seq_scans_of_big_tables == []
