"""Periodic operations across the apps. Thin: the work is in the module named, safe to run twice."""

from assessments.tasking import Queue, task

from .retention import retention_run


@task(name="ops.retention_run", queue=Queue.DEFAULT, time_limit=30 * 60, ignore_result=True)
def retention_run_task() -> dict:
    """Erase the personal data of every candidate whose retention period has run out. Beat runs it daily."""
    report = retention_run()
    return {"erased": len(report.erased), "skipped": len(report.skipped), "failed": len(report.failed)}
