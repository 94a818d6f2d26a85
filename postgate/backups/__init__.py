"""Backups that restore: ``postgate backup FILE`` and ``postgate restore FILE``.

A backup is one gzip-compressed tar file:

- ``manifest.json`` first: the format and its version, when and by which Postgate (and
  Python, SQLite or pg_dump) it was made, the store's dialect and schema revision, the
  row count of every table and the audit chain's head as the copy holds them, fingerprints
  of the keys it needs, and every other member's size and SHA-256;
- ``store/postgate.sqlite3`` (SQLite's online backup API: one consistent snapshot while
  writers carry on) or ``store/postgate.pgdump`` (``pg_dump --format=custom`` of Postgate's
  schema, taken in a snapshot exported by the transaction that read the counts, so manifest
  and dump agree however busy the store is);
- ``media/...``: the instance's media folder, when there is one, file by file.

The keys are not in it: a backup and its keys kept apart are two things a thief must get.
``restore`` checks every hash before it writes anything, restores only into an empty
instance whose keys match the fingerprints, then checks the restored store against the
manifest's counts and verifies the audit chain.
"""
