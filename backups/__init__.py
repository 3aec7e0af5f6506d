"""Logical backups: a ``pg_dump`` of the database and the media files, verified by a restore.

A backup is a job (``BackupJob``, run by ``jobs.runner``) that writes three things to the store
(``backups.store``: a local folder or S3-compatible object storage):

- ``dumps/<name>.dump``: ``pg_dump -Fc`` taken in an exported snapshot;
- ``media/<sha256>``: each media file once, by content, so unchanged files are never copied again;
- ``manifests/<name>.json``: what the backup holds (per table row counts and checksums computed in
  the dump's own snapshot, the media files by name and digest, the applied migrations, a locate
  answer), enough to restore and verify without the database it came from.

Then it restores the dump into a scratch database and checks it against the manifest
(``backups.verify``); a backup that does not verify fails and alerts the administrators.
``backups.restore`` brings a backup back into a new database and swaps it in by renaming, never
with ``pg_restore --clean``, which drops PostGIS and breaks the connections that are open.
"""
