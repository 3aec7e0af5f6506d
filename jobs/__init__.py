"""Background work: one run protocol for every kind of job.

- ``models.Job``: the abstract job (one status vocabulary, lease, heartbeat, progress, report,
  attempts, cancel) that every job model extends;
- ``registry``: one processor per kind, found by the job's model and kind;
- ``runner``: claim, heartbeat, run exactly once, recover after a dead worker, queue on commit;
- ``tasks``: the Celery tasks (``jobs.run``, and ``jobs.recover_stalled`` on the beat schedule).
"""
